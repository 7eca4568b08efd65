"""Builds a review store with a year's worth of decisions, for the export, notice, sampling and report
tests. Submissions are made the way tests/test_store.py makes them (its make_result and Uploads)."""
from __future__ import annotations

import re
from pathlib import Path

from shared.rubric import CATEGORY_CITY, CATEGORY_COUNTY, RUBRIC
from shared.store import APPROVE, REJECT, RETURN, STAGE_REVIEW, STAGE_SITE, Store, Version, file_district
from test_store import Uploads, make_result

NON_COMPUTED = [r.id for r in RUBRIC.rules if not r.computed]


class Year:
    """One store and the moves of the workflow, each a single call."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.store = Store(f"sqlite:///{folder / 'jyjg.db'}", data_dir=folder / "jyjg-data")
        uploads = folder / "uploads"
        uploads.mkdir(exist_ok=True)
        self.upload = Uploads(uploads)

    def close(self) -> None:
        self.store.close()

    def submit(self, org: str, year: int = 2020, *, county: bool = False, claims: dict | None = None,
               figures: dict | None = None) -> Version:
        result = make_result(org, year, claims=claims, figures=figures,
                             category=CATEGORY_COUNTY if county else CATEGORY_CITY)
        return self.store.record(result, self.upload(re.sub(r"\W", "_", org)))  # names may hold / or =

    def review(self, version: Version, outcome: str = APPROVE, opinion: str = "") -> int:
        return self.store.decide(version.id, STAGE_REVIEW, outcome, opinion, "张初审", version.revision).revision

    def verify(self, version_id: int, revision: int, scores: dict | None = None, reasons: dict | None = None):
        scores, reasons = scores or {}, reasons or {}
        entries = {rid: (scores.get(rid, RUBRIC.rule(rid).points), True,
                         reasons.get(rid, "现场核查扣分" if rid in scores else "")) for rid in NON_COMPUTED}
        return self.store.verify_rules(version_id, entries, "李评价", revision)

    def passed(self, org: str, year: int = 2020, *, county: bool = False, scores: dict | None = None,
               opinion: str = "同意验收通过") -> Version:
        version = self.submit(org, year, county=county)
        card = self.verify(version.id, self.review(version), scores)
        self.store.decide(version.id, STAGE_SITE, APPROVE, opinion, "王组长", card.revision)
        return self.store.version(version.id)

    def failed(self, org: str, year: int = 2020, *, opinion: str = "", county: bool = False) -> Version:
        version = self.submit(org, year, county=county)
        low = {rid: 0 for rid in NON_COMPUTED[:8]}
        card = self.verify(version.id, self.review(version), low)
        self.store.decide(version.id, STAGE_SITE, REJECT, opinion, "王组长", card.revision)
        return self.store.version(version.id)

    def returned(self, org: str, year: int = 2020, opinion: str = "佐证材料不全，请补正") -> Version:
        version = self.submit(org, year)
        self.review(version, RETURN, opinion)
        return self.store.version(version.id)

    def awaiting_site(self, org: str, year: int = 2020) -> Version:
        version = self.submit(org, year)
        self.review(version)
        return self.store.version(version.id)


def district_units(district: str, count: int, year: int = 2020) -> list[tuple[str, int, str]]:
    return [(f"{district}第{i:02d}机关", year, "") for i in range(1, count + 1)]



# --- one scenario shared by the export, notice, sampling and report tests -------------------------

HYPERLINK = '=HYPERLINK("http://x","y")'
CITY_PASSED_2020 = ["市委办公室", "市委组织部", "市委宣传部", "市人大常委会机关", "市政协机关", "市教育局", "市公安局",
                    "市财政局", "市水利局", "市交警支队", "市强制隔离戒毒所"]
FAILED_2020 = "市委统一战线工作部"
RETURNED_2020 = "市委政法委员会"
AWAITING_SITE_2020 = "市委政策研究室"
AWAITING_REVIEW_2020 = "市委老干部局"
RECTIFICATION = HYPERLINK + " 领导小组文件缺失，请补齐后重新申报"
PASSED_2021 = ["市交通运输局"]  # and FAILED_2020, after 整改
# district -> (units listed for 2020, how many of them pass)
DISTRICTS = {"赫山区": (25, 21), "资阳区": (5, 2), "沅江市": (3, 0)}
DISTRICT_AWAITING_SITE = "资阳区第03机关"
FILED_DISTRICTS = ("赫山区", "沅江市")  # 资阳区 cannot file its 年度备案: a unit still awaits 实地验收
MARKED_DOWN = {rid: 0 for rid in NON_COMPUTED[:8]}  # what Year.failed marks down


def build_scenario(folder: Path) -> Year:
    """2020: 11 市直 units pass, one fails, one is returned, one waits for 实地验收, one for 初审, an
    unlisted unit named like a formula submits; three districts' units pass in part. 2021: the failed
    unit passes after 整改, and one 2021 unit passes. 赫山区 and 沅江市 file their 2020 年度备案."""
    y = Year(folder)
    for district, (count, passing) in DISTRICTS.items():
        y.store.import_units(district_units(district, count), district)
        for name, _, _ in district_units(district, count)[:passing]:
            y.passed(name, county=True)
    y.awaiting_site(DISTRICT_AWAITING_SITE)
    for name in CITY_PASSED_2020:
        y.passed(name)
    y.failed(FAILED_2020, opinion=RECTIFICATION)
    y.returned(RETURNED_2020)
    y.awaiting_site(AWAITING_SITE_2020)
    y.submit(AWAITING_REVIEW_2020)
    y.submit(HYPERLINK)
    for district in FILED_DISTRICTS:
        file_district(y.store, district, 2020, by="区县审核员")
    y.passed(FAILED_2020, 2021)
    for name in PASSED_2021:
        y.passed(name, 2021)
    return y
