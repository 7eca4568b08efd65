"""Builds a review store with a year's worth of decisions, for the export, notice, sampling and report
tests. Submissions are made the way tests/test_store.py makes them (its make_result and Uploads)."""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from shared.rubric import CATEGORY_CITY, CATEGORY_COUNTY, RUBRIC
from shared.store import APPROVE, REJECT, RETURN, STAGE_REVIEW, STAGE_SITE, Store, Version
from test_store import GOOD_FIGURES, Uploads, make_result

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


__all__ = ["Year", "district_units", "GOOD_FIGURES", "NON_COMPUTED", "Decimal"]
