"""The review store on SQLite and PostgreSQL: roster, versions, the decision workflow, 核定得分,
optimistic concurrency, carried-over failures, the audit log and the migrations."""
from __future__ import annotations

import os
import threading
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError

from shared import store as store_module
from shared.batch import check_paths
from shared.checks import SubmissionResult
from shared.findings import finding
from shared.rubric import CATEGORY_CITY, CATEGORY_COUNTY, RUBRIC
from shared.scoring import rescore
from shared.store import (
    APPROVE, AWAITING_REVIEW, AWAITING_SITE, FAILED, NOT_SUBMITTED, PASSED, REJECT, RETURN, RETURNED,
    STAGE_REVIEW, STAGE_SITE, InvalidDecision, StaleWrite, Store, StoreError, upgrade_schema,
)

# Figures that meet all three 2020 targets: energy and water per head fall 3 %, energy per m² 3 %.
GOOD_FIGURES = {
    "floor_area_m2": 10000, "headcount": 100, "energy_tce": 97, "water_t": 9700,
    "base_floor_area_m2": 10000, "base_headcount": 100, "base_energy_tce": 100, "base_water_t": 10000,
}
NON_COMPUTED = [r.id for r in RUBRIC.rules if not r.computed]


def make_result(org: str, year: int = 2020, claims: dict | None = None, figures: dict | None = None,
                category: str = CATEGORY_CITY) -> SubmissionResult:
    """A checked submission as checks.py would give it: full marks unless claims say otherwise."""
    claims = {r.id: r.points for r in RUBRIC.rules if not r.computed} | (claims or {})
    figures = GOOD_FIGURES if figures is None else figures
    scored = rescore(claims, figures, year)
    rules = {r.id: {"claimed": claims.get(r.id), "score": scored.card.rules[r.id], "evidenced": True}
             for r in RUBRIC.rules}
    return SubmissionResult(
        source=f"{org}.zip", org_name=org, org_category=category, assess_year=year,
        claimed_total=scored.total, rescored_total=scored.total, evidenced_total=scored.total,
        qualifies=scored.card.qualifies, rules=rules, items=dict(scored.card.items),
        findings=[finding("text_length", where=f"{org}.zip", cell="备案表!B9", label="单位基本情况", length=320, limit="300 字以内",
                          fix="精简")],
        values={"org_name": org, "assess_year": year, **figures},
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jyjg.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def open_store(db_url, tmp_path):
    """Opens a Store on the test database (several may be open at once, as separate processes would)."""
    opened = []

    def _open() -> Store:
        s = Store(db_url, data_dir=tmp_path / "jyjg-data")
        opened.append(s)
        return s

    yield _open
    for s in opened:
        s.close()


@pytest.fixture
def store(open_store) -> Store:
    return open_store()


class Uploads:
    """Distinct original files, one per call, so each is a new version."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0

    def __call__(self, org: str) -> Path:
        self.count += 1
        path = self.folder / f"{org}-{self.count}.xlsx"
        path.write_bytes(f"{org} upload {self.count}".encode())
        return path


@pytest.fixture
def upload(tmp_path) -> Uploads:
    folder = tmp_path / "uploads"
    folder.mkdir()
    return Uploads(folder)


def submit(store: Store, upload: Uploads, org: str = "市委办公室", **kw):
    return store.record(make_result(org, **kw), upload(org))


def approve_review(store: Store, version) -> int:
    return store.decide(version.id, STAGE_REVIEW, APPROVE, "", "张初审", version.revision).revision


def verify_all(store: Store, version_id: int, revision: int, scores: dict | None = None):
    scores = scores or {}
    claims = {r.id: r.points for r in RUBRIC.rules if not r.computed}
    entries = {rid: (scores.get(rid, claims[rid]), True, "现场核查扣分" if rid in scores else "")
               for rid in NON_COMPUTED}
    return store.verify_rules(version_id, entries, "李评价", revision)


# --- roster and units --------------------------------------------------------------------------

def test_roster_sync_gives_the_76_units_once(store, open_store):
    units = store.units()
    assert len(units) == 76
    assert {u.creation_year for u in units} == {2020, 2021, 2022}
    assert sum(u.creation_year == 2020 for u in units) == 33
    assert store.sync_roster() == 0
    assert len(open_store().units()) == 76  # a second process opening the store adds nothing
    assert sum(e.action == "unit_added" for e in store.audit_log()) == 76


def test_compound_groups(store):
    members = {u.name for u in store.compound_members("市林业局")}
    assert len(members) == 9 and "市发展和改革委员会" in members
    assert store.compound_members("市教育局") == []  # 独立庭院: its own courtyard
    assert store.unit("市教育局").compound is None
    assert store.unit("益阳市人民政府办公室").compound == "市委市政府大院"


def test_import_district_units(store):
    rows = [("赫山区机关事务服务中心", 2020, "区委区政府大院"), {"name": "赫山区财政局", "year": "2021", "group": ""}]
    assert store.import_units(rows, "赫山区") == 2
    assert store.import_units(rows, "赫山区") == 0
    unit = store.unit("赫山区财政局")
    assert (unit.category, unit.district, unit.creation_year) == (CATEGORY_COUNTY, "赫山区", 2021)
    with pytest.raises(StoreError, match="已在市直名单"):
        store.import_units([("市委办公室", 2020, "")], "赫山区")
    with pytest.raises(StoreError, match="年份"):
        store.import_units([("赫山区水利局", "明年", "")], "赫山区")
    with pytest.raises(StoreError, match="“东湖区”不是益阳市的区县（市）。可选：资阳区、赫山区"):
        store.import_units([("东湖区财政局", 2020, "")], "东湖区")  # the districts are the city's (city.toml)
    names = [s.unit.name for s in store.unit_states(2020)]
    assert "赫山区机关事务服务中心" in names and "赫山区财政局" not in names
    assert names.index("市纪委市监委机关") == 0  # 附件4 order first


# --- recording versions ------------------------------------------------------------------------

def test_record_is_idempotent_by_content(store, upload, tmp_path):
    path = upload("市委办公室")
    first = store.record(make_result("市委办公室"), path)
    again = store.record(make_result("市委办公室"), path)
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(path.read_bytes())
    third = store.record(make_result("市委办公室"), copy)
    assert first.created and not again.created and not third.created
    assert first.id == again.id == third.id
    assert len(store.versions("市委办公室")) == 1
    assert store.original_path(first.id).read_bytes() == path.read_bytes()
    assert first.rescored_total == Decimal(100)
    assert first.findings[0]["code"] == "text_length"


def test_folder_package_is_kept_as_a_deterministic_zip(store, tmp_path):
    package = tmp_path / "市委办公室申报"
    (package / "佐证材料" / "制度").mkdir(parents=True)
    (package / "自评表.xlsx").write_bytes(b"workbook")
    (package / "佐证材料" / "制度" / "节水管理制度.pdf").write_bytes(b"%PDF-1.4 rules")
    first = store.record(make_result("市委办公室"), package)
    (package / "自评表.xlsx").touch()  # a new modification time, same contents
    again = store.record(make_result("市委办公室"), package)
    assert again.id == first.id and first.kind == "folder"
    with zipfile.ZipFile(store.original_path(first.id)) as zf:
        assert sorted(zf.namelist()) == ["市委办公室申报/佐证材料/制度/节水管理制度.pdf", "市委办公室申报/自评表.xlsx"]


def test_record_links_by_normalized_name_and_creates_unlisted_units(store, upload):
    v = submit(store, upload, "中共益阳市委办公室")
    assert v.unit_name == "市委办公室" and v.number == 1
    alias = submit(store, upload, "市纪委监委机关")
    assert alias.unit_name == "市纪委市监委机关"
    stranger = submit(store, upload, "益阳市某某中心", category=CATEGORY_COUNTY)
    unit = store.unit("市某某中心")
    assert stranger.unit_name == "益阳市某某中心" and not unit.listed and unit.category == CATEGORY_COUNTY
    assert "益阳市某某中心" in [s.unit.name for s in store.unit_states(2020)]


def test_unreadable_upload_is_kept_without_a_unit(store, tmp_path):
    broken = tmp_path / "坏文件.xlsx"
    broken.write_bytes(b"not a workbook")
    v = store.record(SubmissionResult(source="坏文件.xlsx", findings=[]), broken)
    assert v.unit_id is None and v.rescored_total is None and v.status == AWAITING_REVIEW
    with pytest.raises(InvalidDecision, match="无法读取"):
        store.decide(v.id, STAGE_REVIEW, APPROVE, "", "张初审", 0)
    assert store.decide(v.id, STAGE_REVIEW, RETURN, "文件损坏，请重新提交", "张初审", 0).outcome == RETURN


def test_resubmission_is_a_new_version_and_history_stays(store, upload):
    v1 = submit(store, upload)
    store.decide(v1.id, STAGE_REVIEW, RETURN, "佐证材料不全", "张初审", v1.revision)
    v2 = submit(store, upload)
    assert v2.number == 2 and v2.status == AWAITING_REVIEW
    old = store.version(v1.id)
    assert old.superseded_by == v2.id and old.status == RETURNED
    history = store.history(v1.id)
    assert [d.opinion for d in history.decisions] == ["佐证材料不全"]
    assert [v.id for v in store.history(v2.id).versions] == [v1.id, v2.id]
    state = next(s for s in store.unit_states(2020) if s.unit.name == "市委办公室")
    assert (state.state, state.version_id) == (AWAITING_REVIEW, v2.id)
    with pytest.raises((InvalidDecision, StaleWrite)):
        store.decide(v1.id, STAGE_REVIEW, APPROVE, "", "张初审", old.revision)


def test_a_batch_numbers_supersedes_and_audits_as_one_by_one_would(store, upload, tmp_path):
    """record_many writes a batch in a few statements: versions of a unit inside the batch and before it
    chain up, the same content twice is one version, a file that cannot be kept is refused, the rest go in."""
    before = submit(store, upload)
    first_file, second_file = upload("市委办公室"), upload("市委办公室")
    broken = tmp_path / "坏文件.xlsx"
    broken.write_bytes(b"not a workbook")
    outcomes = store.record_many([
        (make_result("市委办公室"), first_file),
        (make_result("市财政局"), upload("市财政局")),
        (make_result("市委办公室"), second_file),
        (make_result("市委办公室"), first_file),  # the same content again
        (SubmissionResult(source="坏文件.xlsx", findings=[]), broken),
        (make_result("市商务局"), tmp_path / "不存在.xlsx"),
        (make_result("市委办公室"), upload.folder / "市委办公室-1.xlsx"),  # recorded before this batch
    ])
    first, finance, second, again, unreadable, missing, earlier = outcomes
    assert isinstance(missing, StoreError) and "不存在.xlsx" in str(missing)
    assert [v.created for v in (first, finance, second, again, unreadable, earlier)] == [True, True, True, False, True, False]
    assert again.id == first.id and earlier.id == before.id
    assert (first.number, second.number, finance.number, unreadable.number) == (2, 3, 1, None)
    assert store.version(before.id).superseded_by == first.id and store.version(first.id).superseded_by == second.id
    assert store.version(before.id).revision == before.revision + 1 and store.version(first.id).revision == 1
    assert [v.id for v in store.versions("市委办公室", current_only=True)] == [second.id]
    recorded = [a for a in store.audit_log() if a.action == "recorded"]
    assert [(a.version_id, a.before) for a in recorded] == [
        (before.id, None), (first.id, {"superseded": before.id}), (finance.id, None),
        (second.id, {"superseded": first.id}), (unreadable.id, None)]
    assert len([u for u in store.units() if u.name == "市财政局"]) == 1


def test_a_batch_finds_each_years_current_version_apart_though_their_numbers_coincide(store, upload):
    """record_many reads each year's last version, not every version of the unit: a unit's years are kept
    apart though their numbers are the same, and a year whose last version was withdrawn continues from the
    one that is current again (numbered after the withdrawn one)."""
    first_2020 = submit(store, upload, year=2020)
    second_2020 = submit(store, upload, year=2020)
    first_2021 = submit(store, upload, year=2021)
    second_2021 = submit(store, upload, year=2021)
    store.withdraw(second_2021.id, "李主任", "重复上传", second_2021.revision)
    third_2020, third_2021 = store.record_many([(make_result("市委办公室", 2020), upload("市委办公室")),
                                                (make_result("市委办公室", 2021), upload("市委办公室"))])
    assert (third_2020.number, third_2021.number) == (3, 3)
    assert store.version(second_2020.id).superseded_by == third_2020.id
    assert store.version(first_2021.id).superseded_by == third_2021.id
    assert store.version(second_2021.id).superseded_by is None and store.version(second_2021.id).withdrawn
    assert store.version(first_2020.id).superseded_by == second_2020.id
    assert sorted(v.id for v in store.versions("市委办公室", current_only=True)) == [third_2020.id, third_2021.id]


def test_an_original_kept_elsewhere_is_kept_again_and_one_that_could_not_be_kept_is_refused(store, upload, tmp_path):
    """record_many takes a KeptOriginal (a load's worker kept it) as it is only when it was kept in this store's
    data folder; one kept in another is copied here again, and one that could not be read is refused."""
    path = upload("市委办公室")
    elsewhere = store_module.keep_original(tmp_path / "另一个数据文件夹", path)
    here = store_module.keep_original(store.data_dir, upload("市财政局"))
    missing = store_module.keep_original(store.data_dir, tmp_path / "不存在.xlsx")
    assert missing.kept is None and "不存在.xlsx" in missing.refused
    again, taken, refused = store.record_many([(make_result("市委办公室"), elsewhere), (make_result("市财政局"), here),
                                               (make_result("市商务局"), missing)])
    assert store.original_path(again.id).read_bytes() == path.read_bytes()
    assert store.original_path(again.id).is_relative_to(store.data_dir)
    assert (taken.content_hash, taken.original_name) == (here.kept[0], "市财政局-2.xlsx")
    assert isinstance(refused, StoreError) and str(refused) == missing.refused


def test_json_columns_hold_chinese_as_it_is(store, upload):
    """A version's JSON is written with its Chinese as UTF-8, not \\u escapes (half the length, half the pages
    each insert and update writes), and reads back the same; only a lone surrogate keeps its escape."""
    version = submit(store, upload)
    with store.engine.connect() as connection:
        written = connection.execute(text("SELECT CAST(findings AS TEXT) FROM submissions WHERE id = :id"),
                                     {"id": version.id}).scalar_one()
    assert "单位基本情况" in written and "\\u" not in written
    assert store.version(version.id).findings == version.findings
    assert store_module._json_text({"名称": "\ud800"}) == '{"\\u540d\\u79f0": "\\ud800"}'


def test_a_row_the_database_refuses_is_refused_alone_and_the_batch_goes_in(store, upload, monkeypatch):
    """When the database refuses one row of a batch, the batch is written again row by row: only that row is
    refused, in Chinese, and the numbers stay without gaps."""
    real = store_module.checked_for_store

    def refused_for_finance(result, city):
        checked = real(result, city)
        if result.org_name == "市财政局":
            checked.columns["error_count"] = None  # a NOT NULL column: the database refuses the row
        return checked
    monkeypatch.setattr(store_module, "checked_for_store", refused_for_finance)
    outcomes = store.record_many([(make_result(org), upload(org)) for org in ("市委办公室", "市财政局", "市委办公室")])
    first, refused, second = outcomes
    assert isinstance(refused, StoreError) and "未能记入数据库" in str(refused) and "市财政局.zip" in str(refused)
    assert (first.number, second.number) == (1, 2) and store.version(first.id).superseded_by == second.id
    assert [v.org_name for v in store.versions()] == ["市委办公室", "市委办公室"]
    assert len([a for a in store.audit_log() if a.action == "recorded"]) == 2


def test_store_survives_reopening(db_url, tmp_path, upload):
    with Store(db_url, data_dir=tmp_path / "d") as first:
        v = first.record(make_result("市财政局"), upload("市财政局"))
        first.decide(v.id, STAGE_REVIEW, APPROVE, "材料齐全", "张初审", 0)
    with Store(db_url, data_dir=tmp_path / "d") as again:
        assert again.version(v.id).status == AWAITING_SITE
        assert again.original_path(v.id).is_file()


# --- the decision workflow ----------------------------------------------------------------------

def test_full_workflow_to_pass(store, upload):
    v = submit(store, upload)
    revision = approve_review(store, v)
    card = verify_all(store, v.id, revision)
    assert card.complete and card.total == 100
    decision = store.decide(v.id, STAGE_SITE, APPROVE, "", "李评价", card.revision)
    assert decision.verified_total == 100 and decision.revision == card.revision + 1
    assert store.version(v.id).status == PASSED
    states = {s.unit.name: s for s in store.unit_states(2020)}
    assert states["市委办公室"].state == PASSED and states["市委办公室"].verified_total == 100
    assert states["市委组织部"].state == NOT_SUBMITTED
    assert len(states) == 33


def _refusals(store: Store, upload: Uploads):
    """(name, version, stage, outcome, opinion, reviewer, message) for every refused transition."""
    fresh = submit(store, upload, "市委组织部")
    low = submit(store, upload, "市委宣传部", claims={"2.1.1": 0, "2.2.3": 0, "3.2.1": 0, "3.2.2": 0, "5.1.3": 0, "5.1.4": 0})
    returned = submit(store, upload, "市委政法委员会")
    store.decide(returned.id, STAGE_REVIEW, RETURN, "缺少备案表盖章", "张初审", 0)
    reviewed = submit(store, upload, "市委政策研究室")
    approve_review(store, reviewed)
    failed = submit(store, upload, "市委老干部局")
    store.decide(failed.id, STAGE_SITE, REJECT, "垃圾分类未落实", "李评价",
                 verify_all(store, failed.id, approve_review(store, failed)).revision)
    after_final = submit(store, upload, "市委老干部局")
    return [
        ("site before review", fresh, STAGE_SITE, APPROVE, "", "李评价", "尚未初审通过"),
        ("unknown stage", fresh, "复审", APPROVE, "", "李评价", "未知的评审环节"),
        ("outcome of the other stage", fresh, STAGE_REVIEW, REJECT, "x", "张初审", "初审的结论应为"),
        ("no reviewer", fresh, STAGE_REVIEW, APPROVE, "", "  ", "评审人"),
        ("return without opinion", fresh, STAGE_REVIEW, RETURN, " ", "张初审", "须填写意见"),
        ("below 80 at review", low, STAGE_REVIEW, APPROVE, "", "张初审", "低于 80 分"),
        ("review after return", returned, STAGE_REVIEW, APPROVE, "", "张初审", "已退回补正"),
        ("site on a returned version", returned, STAGE_SITE, REJECT, "x", "李评价", "尚未初审通过"),
        ("review twice", reviewed, STAGE_REVIEW, APPROVE, "", "张初审", "不能重复初审"),
        ("site with rules unverified", reviewed, STAGE_SITE, APPROVE, "", "李评价", "条规则未核定"),
        ("a fail with rules unverified", reviewed, STAGE_SITE, REJECT, "整改", "李评价", "33 条规则未核定（2.1.1、"),
        ("new version after the year's result", after_final, STAGE_REVIEW, APPROVE, "", "张初审", "已有实地验收结论"),
    ]


def test_every_refused_transition_leaves_nothing_behind(store, upload):
    for name, version, stage, outcome, opinion, reviewer, message in _refusals(store, upload):
        before = store.version(version.id)
        audit_before = len(store.audit_log(version.id))
        with pytest.raises(InvalidDecision, match=message):
            store.decide(version.id, stage, outcome, opinion, reviewer, before.revision)
            pytest.fail(f"not refused: {name}")
        after = store.version(version.id)
        assert (after.status, after.revision) == (before.status, before.revision), name
        assert len(store.audit_log(version.id)) == audit_before, name


def test_stale_decision_is_refused_in_chinese(store, upload):
    v = submit(store, upload)
    store.decide(v.id, STAGE_REVIEW, APPROVE, "同意", "张初审", 0)
    with pytest.raises(StaleWrite) as refused:
        store.decide(v.id, STAGE_REVIEW, RETURN, "材料不全", "王初审", 0)
    message = str(refused.value)
    assert "张初审" in message and "没有保存" in message and "载入最新内容" in message and "修订号" not in message
    assert (refused.value.expected, refused.value.current) == (0, 1)
    assert [d.reviewer for d in store.decisions(v.id)] == ["张初审"]


def _race(open_store, count: int, write) -> tuple[list, list]:
    """Runs write(store, i) in `count` threads, each with its own Store, all released at once."""
    stores = [open_store() for _ in range(count)]
    barrier = threading.Barrier(count)
    won, stale, other = [], [], []

    def run(i: int) -> None:
        barrier.wait()
        try:
            won.append((i, write(stores[i], i)))
        except StaleWrite as e:
            stale.append(e)
        except Exception as e:  # noqa: BLE001 - reported below
            other.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert other == []
    return won, stale


def test_concurrent_decisions_one_wins(store, open_store, upload):
    v = submit(store, upload)
    outcomes = [APPROVE, RETURN] * 4
    won, stale = _race(open_store, 8, lambda s, i: s.decide(v.id, STAGE_REVIEW, outcomes[i], f"意见{i}", f"评审{i}", 0))
    assert len(won) == 1 and len(stale) == 7
    assert all("没有保存" in str(e) for e in stale)
    winner, decision = won[0]
    decisions = store.decisions(v.id)
    assert [(d.reviewer, d.outcome) for d in decisions] == [(f"评审{winner}", outcomes[winner])]
    assert [e.actor for e in store.audit_log(v.id) if e.action == "decided"] == [f"评审{winner}"]
    assert store.version(v.id).revision == 1
    # Nothing is lost for the others: after refreshing they can act on what they now see.
    current = store.version(v.id)
    if current.status == AWAITING_SITE:
        card = verify_all(store, v.id, current.revision)
        store.decide(v.id, STAGE_SITE, REJECT, "现场核查未通过", "评审9", card.revision)
    else:
        assert submit(store, upload).number == 2


def test_concurrent_verifications_one_wins(store, open_store, upload):
    v = submit(store, upload)
    revision = approve_review(store, v)
    won, stale = _race(open_store, 8, lambda s, i: s.verify(v.id, "2.2.5", i % 5, True, f"现场看到 {i % 5} 项制度", f"评审{i}", revision))
    assert len(won) == 1 and len(stale) == 7
    winner = won[0][0]
    card = store.verified_card(v.id)
    assert card.rules["2.2.5"].verified == winner % 5 and card.rules["2.2.5"].reviewer == f"评审{winner}"
    assert len([e for e in store.audit_log(v.id) if e.action == "verified"]) == 1


# --- 核定得分 ------------------------------------------------------------------------------------

@pytest.mark.parametrize("rule_id, score, reason, message", [
    ("2.2.5", 5, "多报", "超过本规则最高 4 分"),
    ("2.2.3", 3, "只有台账", "不是本规则的计分档次"),
    ("3.3.1", 2, "部分", "不是本规则的计分档次"),
    ("2.1.1", "四分", "x", "不是数值"),
    ("1.1.1", 0, "数据不实", "由备案表能耗数据计算"),
    ("2.1.1", 0, "", "请简要填写理由"),
    ("2.1.1", 0, "理" * 201, "精简到 200 字以内"),
    ("9.9.9", 0, "x", "没有编号"),
])
def test_verified_scores_must_be_allowed(store, upload, rule_id, score, reason, message):
    v = submit(store, upload)
    revision = approve_review(store, v)
    with pytest.raises(InvalidDecision, match=message):
        store.verify(v.id, rule_id, score, True, reason, "李评价", revision)
    assert store.version(v.id).revision == revision
    assert store.verified_card(v.id).pending == tuple(NON_COMPUTED)


def test_verification_only_between_review_and_site_decision(store, upload):
    v = submit(store, upload)
    with pytest.raises(InvalidDecision, match="初审通过后"):
        store.verify(v.id, "2.1.1", 4, True, "", "李评价", 0)
    revision = approve_review(store, v)
    card = verify_all(store, v.id, revision)
    store.decide(v.id, STAGE_SITE, APPROVE, "", "李评价", card.revision)
    with pytest.raises(InvalidDecision, match="核定得分不能再修改"):
        store.verify(v.id, "2.1.1", 0, True, "复查", "李评价", card.revision + 1)


def test_pass_below_80_is_refused_and_fail_lists_marked_down_rules(store, upload):
    v = submit(store, upload)
    revision = approve_review(store, v)
    markdowns = {"2.2.3": 2, "2.2.5": 1, "3.2.2": 0, "5.1.3": 0, "4.2.1": 0, "2.1.1": 0}
    card = verify_all(store, v.id, revision, markdowns)
    assert card.total == Decimal("79") and card.complete
    assert card.rules["2.2.5"].verified == 1 and card.rules["2.2.5"].reason == "现场核查扣分"
    with pytest.raises(InvalidDecision, match="核定总分为 79 分，低于 80 分"):
        store.decide(v.id, STAGE_SITE, APPROVE, "", "李评价", card.revision)
    decision = store.decide(v.id, STAGE_SITE, REJECT, "", "李评价", card.revision)
    assert decision.marked_down == tuple(sorted(markdowns, key=NON_COMPUTED.index))
    assert "2.2.5" in decision.opinion and "自评 4 分，核定 1 分" in decision.opinion
    assert decision.verified_total == 79
    assert store.version(v.id).status == FAILED


def test_verified_card_counts_unverified_rules_at_their_claim(store, upload):
    v = submit(store, upload, claims={"2.2.5": 3})
    revision = approve_review(store, v)
    card = store.verify(v.id, "2.2.5", 4, True, "现场看到 4 项制度", "李评价", revision)
    assert card.rules["2.2.5"].claimed == 3 and card.rules["2.2.5"].score == 4
    assert card.total == 100 and "2.2.5" not in card.pending and len(card.pending) == len(NON_COMPUTED) - 1
    assert card.revision == revision + 1
    unchanged = store.verify(v.id, "2.2.5", 4, True, "现场看到 4 项制度", "李评价", card.revision)
    assert unchanged.revision == card.revision  # nothing changed, nothing bumped


def test_figure_correction_rescores_item_1_1(store, upload):
    v = submit(store, upload)
    revision = approve_review(store, v)
    card = store.verified_card(v.id)
    assert card.rules["1.1.1"].score == 4 and card.total == 100
    # The real energy use was 99 tce: a 1 % fall misses the 2.5 % per-head and 2.0 % per-m² targets.
    card = store.correct_figures(v.id, {"energy_tce": "99"}, "李评价", revision, reason="电费单核对")
    assert (card.rules["1.1.1"].score, card.rules["1.1.2"].score, card.rules["1.1.3"].score) == (0, 3, 0)
    assert card.total == 93 and set(card.marked_down) == {"1.1.1", "1.1.3"}
    assert card.corrections == {"energy_tce": (97, Decimal("99"))}
    entry = [e for e in store.audit_log(v.id) if e.action == "figures_corrected"][-1]
    assert entry.before == {"energy_tce": 97} and entry.after["energy_tce"] == "99"
    with pytest.raises(InvalidDecision, match="大于 0"):
        store.correct_figures(v.id, {"headcount": -3}, "李评价", card.revision)
    with pytest.raises(InvalidDecision, match="不是备案表的能耗数据项"):
        store.correct_figures(v.id, {"energy_per_area": 1}, "李评价", card.revision)
    with pytest.raises(StaleWrite):
        store.correct_figures(v.id, {"energy_tce": None}, "李评价", revision)
    restored = store.correct_figures(v.id, {"energy_tce": None}, "李评价", card.revision)
    assert restored.total == 100 and restored.corrections == {}


# --- the year's list --------------------------------------------------------------------------

def test_failed_unit_is_carried_into_next_year(store, upload):
    v = submit(store, upload, "市财政局")
    revision = verify_all(store, v.id, approve_review(store, v)).revision
    store.decide(v.id, STAGE_SITE, REJECT, "节水器具未更换，请整改", "李评价", revision)
    next_year = {s.unit.name: s for s in store.unit_states(2021)}
    carried = next_year["市财政局"]
    assert (carried.state, carried.carried_from, carried.rectification) == (NOT_SUBMITTED, 2020, "节水器具未更换，请整改")
    assert next_year["市交通运输局"].carried_from is None
    assert len(next_year) == 28 + 1
    again = submit(store, upload, "市财政局", year=2021)
    revision = approve_review(store, again)
    card = verify_all(store, again.id, revision)
    store.decide(again.id, STAGE_SITE, APPROVE, "", "李评价", card.revision)
    assert {s.unit.name: s.state for s in store.unit_states(2021)}["市财政局"] == PASSED
    assert "市财政局" not in {s.unit.name for s in store.unit_states(2022)}
    assert {s.unit.name: s.state for s in store.unit_states(2020)}["市财政局"] == FAILED


def test_shared_figures_are_expected_inside_a_compound(store, upload):
    for org in ("市林业局", "市森林公安局", "市教育局", "市水利局"):
        submit(store, upload, org, year=2021)
    shares = store.shared_figures(2021)
    assert len(shares) == 1  # all four report GOOD_FIGURES
    assert not shares[0].same_compound
    other = dict(GOOD_FIGURES, energy_tce=96)
    store2_versions = [submit(store, upload, org, year=2021, figures=other) for org in ("市林业局", "市森林公安局")]
    shares = store.shared_figures(2021)
    inside = [s for s in shares if set(s.version_ids) == {v.id for v in store2_versions}]
    assert len(inside) == 1 and inside[0].same_compound


# --- comments and the audit log ---------------------------------------------------------------

def test_comments_and_history(store, upload):
    v = submit(store, upload)
    store.add_comment(v.id, "王科员", "请核对 2.2.5 的制度文件")
    with pytest.raises(StoreError):
        store.add_comment(v.id, "王科员", "  ")
    history = store.history(v.id)
    assert [c.text for c in history.comments] == ["请核对 2.2.5 的制度文件"]
    assert [e.action for e in history.audit] == ["recorded", "comment"]
    assert store.version(v.id).revision == 0  # comments do not conflict with decisions


def test_audit_log_is_append_only_in_the_database(store, upload):
    submit(store, upload)
    with store.engine.connect() as conn:
        with pytest.raises(DBAPIError, match="只能追加"):
            conn.execute(text("UPDATE audit_log SET actor = 'x'"))
        conn.rollback()
        with pytest.raises(DBAPIError, match="只能追加"):
            conn.execute(text("DELETE FROM audit_log"))
        conn.rollback()


# --- undo: 撤销决定 and 撤回, nothing deleted ------------------------------------------------------

def _passed(store, upload, org="市委办公室"):
    v = submit(store, upload, org)
    card = verify_all(store, v.id, approve_review(store, v))
    decision = store.decide(v.id, STAGE_SITE, APPROVE, "同意", "王组长", card.revision)
    return store.version(v.id), decision


def test_a_revoked_pass_stays_in_the_history_and_the_state_is_worked_out_again(store, upload):
    v, passed = _passed(store, upload)
    assert v.status == PASSED
    with pytest.raises(InvalidDecision, match="须填写理由"):
        store.revoke_decision(passed.id, "李主任", "  ", v.revision)
    revoked = store.revoke_decision(passed.id, "李主任", "核定得分录入有误，需重新核定", v.revision)
    assert revoked.revoked and revoked.revoked_by == "李主任" and revoked.revoke_reason == "核定得分录入有误，需重新核定"
    after = store.version(v.id)
    assert after.status == AWAITING_SITE and after.revision == v.revision + 1
    every = store.decisions(v.id, include_revoked=True)
    assert [(d.stage, d.outcome, d.revoked) for d in every] == [(STAGE_REVIEW, APPROVE, False), (STAGE_SITE, APPROVE, True)]
    assert [d.stage for d in store.decisions(v.id)] == [STAGE_REVIEW]  # what stands
    assert store.history(v.id).decisions[-1].revoked
    entry = store.audit_log(v.id)[-1]
    assert (entry.action, entry.actor) == ("revoked", "李主任") and "核定得分录入有误" in entry.summary
    assert {s.unit.name: s.state for s in store.unit_states(2020)}["市委办公室"] == AWAITING_SITE
    # the scores stay and can be changed again; a new decision can be made
    card = store.verify(v.id, "2.2.5", 3, True, "现场复核", "李评价", after.revision)
    store.decide(v.id, STAGE_SITE, APPROVE, "复核后通过", "王组长", card.revision)
    assert store.version(v.id).status == PASSED


def test_only_the_latest_standing_decision_of_a_current_version_can_be_revoked(store, upload):
    v, passed = _passed(store, upload)
    review = store.decisions(v.id)[0]
    with pytest.raises(InvalidDecision, match="请先撤销其后的实地验收通过结论"):
        store.revoke_decision(review.id, "李主任", "误操作", v.revision)
    store.revoke_decision(passed.id, "李主任", "误操作", v.revision)
    with pytest.raises(InvalidDecision, match="已于 .* 被李主任撤销"):
        store.revoke_decision(passed.id, "李主任", "误操作", v.revision + 1)
    with pytest.raises(StaleWrite):
        store.revoke_decision(review.id, "李主任", "误操作", v.revision)  # based on what it saw before
    store.revoke_decision(review.id, "李主任", "初审也有误", v.revision + 1)
    assert store.version(v.id).status == AWAITING_REVIEW
    returned = submit(store, upload, "市委组织部")
    back = store.decide(returned.id, STAGE_REVIEW, RETURN, "缺材料", "张初审", 0)
    submit(store, upload, "市委组织部")  # the unit sent a new version
    with pytest.raises(InvalidDecision, match="已被新版本替代"):
        store.revoke_decision(back.id, "李主任", "误操作", store.version(returned.id).revision)
    assert not store.decisions(returned.id, include_revoked=True)[0].revoked


def test_a_withdrawn_upload_is_kept_but_out_of_the_lists_and_counts(store, upload, tmp_path):
    broken = tmp_path / "随机字节.zip"
    broken.write_bytes(b"\x13\x37" * 100)
    v = store.record(SubmissionResult(source="随机字节.zip", findings=[]), broken)
    with pytest.raises(InvalidDecision, match="须填写理由"):
        store.withdraw(v.id, "李主任", "", v.revision)
    gone = store.withdraw(v.id, "李主任", "不是申报包", v.revision)
    assert gone.withdrawn and gone.withdrawn_by == "李主任" and gone.withdraw_reason == "不是申报包" and not gone.current
    assert v.id not in [x.id for x in store.versions()]
    assert v.id in [x.id for x in store.versions(include_withdrawn=True)]
    assert store.original_path(v.id).read_bytes() == broken.read_bytes()  # the file is kept
    entry = store.audit_log(v.id)[-1]
    assert (entry.action, entry.actor) == ("withdrawn", "李主任") and "不是申报包" in entry.summary
    with pytest.raises(InvalidDecision, match="已撤回"):
        store.decide(v.id, STAGE_REVIEW, RETURN, "x", "张初审", gone.revision)
    with pytest.raises(InvalidDecision, match="已于 .* 被李主任撤回"):
        store.withdraw(v.id, "李主任", "再撤一次", gone.revision)


def test_withdrawing_a_wrong_new_version_makes_the_one_before_current_again(store, upload):
    first = submit(store, upload)
    card = verify_all(store, first.id, approve_review(store, first))
    wrong = submit(store, upload)  # a second version by mistake
    assert store.version(first.id).superseded_by == wrong.id
    with pytest.raises(InvalidDecision, match="只能撤回单位的最新版本"):
        store.withdraw(first.id, "李主任", "x", store.version(first.id).revision)
    store.withdraw(wrong.id, "李主任", "重复上传", wrong.revision)
    again = store.version(first.id)
    assert again.current and again.status == AWAITING_SITE
    assert {s.unit.name: (s.state, s.version_id) for s in store.unit_states(2020)}["市委办公室"] == (AWAITING_SITE, first.id)
    assert store.verified_card(first.id).total == card.total
    third = submit(store, upload)  # numbers stay unique; the next real version supersedes the current one
    assert third.number == 3 and store.version(first.id).superseded_by == third.id
    decided = store.decisions(first.id)
    with pytest.raises(InvalidDecision, match="已有初审通过结论"):
        reviewed = submit(store, upload, "市委组织部")
        store.withdraw(reviewed.id, "李主任", "x", approve_review(store, reviewed))
    assert decided


def test_a_bulk_review_decides_each_under_its_own_rules(store, upload):
    good = [submit(store, upload, org) for org in ("市委办公室", "市委组织部", "市委宣传部")]
    low = submit(store, upload, "市委政法委员会", claims={"2.1.1": 0, "2.2.3": 0, "3.2.1": 0, "3.2.2": 0,
                                                          "5.1.3": 0, "5.1.4": 0})
    store.decide(good[2].id, STAGE_REVIEW, RETURN, "别人先退回了", "王初审", 0)  # changed since the list was read
    results = store.decide_many([(v.id, v.revision) for v in good + [low]], STAGE_REVIEW, APPROVE, "材料齐全", "张初审")
    outcome = {r.version_id: r for r in results}
    assert [outcome[v.id].decision.outcome for v in good[:2]] == [APPROVE, APPROVE]
    assert "保存失败" in outcome[good[2].id].refused and "王初审" in outcome[good[2].id].refused
    assert "低于 80 分" in outcome[low.id].refused and "市委政法委员会" in outcome[low.id].label
    assert [store.version(v.id).status for v in good + [low]] == [AWAITING_SITE, AWAITING_SITE, RETURNED, AWAITING_REVIEW]
    assert [d.opinion for d in store.decisions(good[0].id)] == ["材料齐全"]


def test_nothing_counts_as_verified_until_a_reviewer_sets_it(store, upload):
    v = submit(store, upload)
    revision = approve_review(store, v)
    assert len(store.verified_card(v.id).pending) == len(NON_COMPUTED)
    card = store.confirm_item(v.id, "2.1", "李评价", revision)  # one action for the whole item
    item = next(i for i in RUBRIC.items if i.id == "2.1")
    assert all(card.rules[r.id].verified == card.rules[r.id].claimed and card.rules[r.id].evidence_seen
               for r in item.rules)
    assert set(card.pending) == set(NON_COMPUTED) - {r.id for r in item.rules}
    assert card.revision == revision + 1 and len([e for e in store.audit_log(v.id) if e.action == "verified"]) == len(item.rules)
    with pytest.raises(InvalidDecision, match=f"还有 {len(card.pending)} 条规则未核定（2.2.1、"):
        store.decide(v.id, STAGE_SITE, APPROVE, "", "王组长", card.revision)
    marked = store.verify(v.id, "2.2.1", 0, False, "现场未见", "李评价", card.revision)
    again = store.confirm_item(v.id, "2.2", "李评价", marked.revision)  # a set score stays; it is marked seen
    assert again.rules["2.2.1"].verified == 0 and again.rules["2.2.1"].evidence_seen
    with pytest.raises(InvalidDecision, match="没有编号为“9.9”的评分项目"):
        store.confirm_item(v.id, "9.9", "李评价", again.revision)


# --- migrations ---------------------------------------------------------------------------------

def test_upgrade_from_the_first_migration_keeps_data(db_url, tmp_path):
    engine = create_engine(db_url)
    upgrade_schema(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO units (name, name_key, category, group_name, creation_year, listed, roster_order, created_at)"
            " VALUES ('市委办公室', '市委办公室', :cat, '市委市政府大院', 2020, :t, 1, '2020-10-20 08:00:00')"),
            {"cat": CATEGORY_CITY, "t": True})
        unit_id = conn.scalar(text("SELECT id FROM units"))
        rules = '{"2.2.5": {"claimed": 4, "score": "4", "evidenced": true}}'
        conn.execute(text(
            "INSERT INTO submissions (unit_id, assess_year, number, content_hash, stored_name, original_name, source,"
            " kind, size, org_name, org_category, claimed_total, rescored_total, evidenced_total, qualifies, error_count,"
            " warning_count, rules, figures, findings, named_values, evidence, status, revision, recorded_by, recorded_at)"
            " VALUES (:unit, 2020, 1, :h, 'originals/aa/a.xlsx', 'a.xlsx', 'a.xlsx', 'xlsx', 3, '市委办公室', :cat,"
            " '86.5', '86.5', '80.5', :t, 0, 0, :rules, :figures, '[]', '{}', '{}', :status, 1, '系统', '2020-10-21 09:00:00')"),
            {"unit": unit_id, "h": "a" * 64, "cat": CATEGORY_CITY, "t": True, "rules": rules,
             "figures": '{"energy_tce": 97}', "status": AWAITING_SITE})
        version_id = conn.scalar(text("SELECT id FROM submissions"))
        conn.execute(text(
            "INSERT INTO decisions (submission_id, stage, outcome, opinion, reviewer, decided_at, revision)"
            " VALUES (:version, :stage, :outcome, '同意', '张初审', '2020-10-22 10:00:00', 1)"),
            {"version": version_id, "stage": STAGE_REVIEW, "outcome": APPROVE})
    engine.dispose()
    with Store(db_url, data_dir=tmp_path / "d") as upgraded:
        v = upgraded.version(version_id)
        assert not v.withdrawn and not upgraded.decisions(version_id)[0].revoked
        assert (v.unit_name, v.rescored_total, v.status, v.revision) == ("市委办公室", Decimal("86.5"), AWAITING_SITE, 1)
        assert v.edition == "yiyang-2020"  # stored before editions: the 2020 附件1
        assert [d.opinion for d in upgraded.decisions(version_id)] == ["同意"]
        assert upgraded.decisions(version_id)[0].marked_down == ()
        card = upgraded.verify(version_id, "2.2.5", 2, True, "只见到 2 项制度", "李评价", 1)
        assert card.rules["2.2.5"].claimed == 4 and card.revision == 2
        assert len(upgraded.units()) == 76  # the roster joined the unit already there


def test_concurrent_first_opens_create_the_schema_once(db_url, tmp_path):
    stores, failures = [], []
    barrier = threading.Barrier(4)

    def open_one() -> None:
        barrier.wait()
        try:
            stores.append(Store(db_url, data_dir=tmp_path / "d"))
        except Exception as e:  # noqa: BLE001 - reported below
            failures.append(e)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert failures == [] and len(stores[0].units()) == 76
        assert sum(e.action == "unit_added" for e in stores[0].audit_log()) == 76
    finally:
        for s in stores:
            s.close()


def test_models_match_the_migrations(db_url, tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    Store(db_url, data_dir=tmp_path / "d").close()
    engine = create_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), store_module.Base.metadata)
    engine.dispose()
    assert diff == [], diff


# --- hostile input and failing infrastructure (issue 18) ----------------------------------------

def keep_with_a_file_size_limit(data_dir: str, original: str):
    """Keeps one original with a 50 MB file-size limit (so a copy that never ends fails, not fills the disk)."""
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (50 << 20, 50 << 20))
    store = Store("sqlite://", data_dir=data_dir)
    try:
        return store._keep_original(Path(original))
    except StoreError as error:
        return f"refused: {error}"
    except OSError as error:
        return f"failed: {error}"


def test_only_regular_files_are_kept(tmp_path):
    from bounded import within

    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    (inbox / "零.xlsx").symlink_to("/dev/zero")
    os.mkfifo(inbox / "管道.zip")
    for original in ("/dev/zero", inbox / "零.xlsx", inbox / "管道.zip"):
        said = within(60, keep_with_a_file_size_limit, str(tmp_path / "data"), str(original))
        assert said.startswith("refused: ") and "不是普通文件" in said and "未记入" in said, said
    assert not list((tmp_path / "data").rglob("copy-*")) and not (tmp_path / "data" / "originals").exists()


def test_a_file_bigger_than_the_checker_reads_is_recorded_not_copied(store, tmp_path, monkeypatch):
    from shared import submission

    monkeypatch.setattr(submission, "MAX_WORKBOOK_BYTES", 1 << 20)
    big = tmp_path / "大.xlsx"
    big.write_bytes(os.urandom(3 << 20))
    first = store.record(make_result("市委办公室"), big)
    assert store.record(make_result("市委办公室"), big).id == first.id  # the same file twice is one version
    assert not (store.data_dir / "originals").exists()
    with pytest.raises(StoreError, match="过大"):
        store.original_path(first.id)


def test_half_written_copies_are_cleaned_at_the_next_start_and_live_ones_are_not(tmp_path):
    import fcntl

    data = tmp_path / "data"
    incoming = data / "incoming"
    incoming.mkdir(parents=True)
    (incoming / "copy-left-by-a-kill").write_bytes(b"half")
    (incoming / "tmpabc123").write_bytes(b"half, from before copies were locked")
    live = open(incoming / "copy-being-written", "wb")
    fcntl.flock(live, fcntl.LOCK_EX)
    try:
        Store(f"sqlite:///{tmp_path / 'r.db'}", data_dir=data).close()
        assert sorted(p.name for p in incoming.iterdir() if p.name != ".lock") == ["copy-being-written"]
    finally:
        live.close()


def test_a_copy_killed_half_way_is_cleaned_at_the_next_start(tmp_path):
    import signal
    import subprocess
    import sys

    data = tmp_path / "data"
    big = tmp_path / "慢.zip"
    big.write_bytes(os.urandom(8 << 20))
    script = (f"import sys, time\nfrom pathlib import Path\nfrom shared import store\nreal = store._read_source\n"
              f"def slow(src, path):\n    time.sleep(0.5)\n    return real(src, path)\nstore._read_source = slow\n"
              f"s = store.Store('sqlite:///{tmp_path / 'r.db'}', data_dir='{data}')\nprint('ready', flush=True)\n"
              f"s._keep_original(Path('{big}'))\n")
    child = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[1],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    deadline = 60
    while not list((data / "incoming").glob("copy-*")) and deadline:
        import time
        time.sleep(0.1)
        deadline -= 0.1
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert list((data / "incoming").glob("copy-*"))  # what the kill left
    Store(f"sqlite:///{tmp_path / 'r.db'}", data_dir=data).close()
    assert not list((data / "incoming").glob("copy-*"))


def test_text_for_json_columns_loses_only_what_no_database_holds():
    """The fast paths for usual text (ASCII, Chinese with full-width punctuation) change nothing; a NUL is
    dropped and a lone surrogate replaced wherever it sits, keys included."""
    from shared.store import _cell_json, _fit, _jsonable

    value = {"code\x00": ["市\x00商务局", "x\ud800y", "（全角：标点）", "plain", 1, None, True, Decimal("1.50"), 2.5],
             "名称": {"键\udc00": ("a", "b\x00")}}
    assert _jsonable(value) == {"code": ["市商务局", "x?y", "（全角：标点）", "plain", 1, None, True, "1.50", 2.5],
                                "名称": {"键?": ["a", "b"]}}
    assert [_cell_json(raw) for raw in ("a\x00b", "ok", "市\ud800", float("nan"))] == ["ab", "ok", "市?", "nan"]
    assert _fit("益阳市财政局", 4) == "益阳市…" and _fit("abc", 4) == "abc"


def test_text_any_database_can_hold_and_one_bad_entry_never_stops_a_load(db_url, tmp_path):
    """PostgreSQL refused a NUL (Excel's _x0000_) and names over 200 characters, and stopped the load there."""
    from shared.batch import load_paths
    from shared.template import write_named_values, write_template

    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    template = write_template(tmp_path / "t.xlsx")
    long_name = "益阳市" + "很长的单位名称" * 40
    for file, org in (("1空字符.xlsx", "市_x0000_商务局"), ("2长名称.xlsx", long_name), ("4正常.xlsx", "市财政局")):
        write_named_values(template, inbox / file, {"org_name": org, "org_category": "市直党政机关",
                                                    "assess_year": 2020, "contact_name": "张_x0000_三"})
    (inbox / "3循环.xlsx").symlink_to(inbox / "3循环.xlsx")
    with Store(db_url, data_dir=tmp_path / "data") as store:
        loaded = load_paths(store, [inbox])
        assert [v.original_name for v in loaded] == ["1空字符.xlsx", "2长名称.xlsx", "4正常.xlsx"]
        assert len(loaded.refused) == 1 and "3循环.xlsx" in loaded.refused[0] and "循环" in loaded.refused[0]
        names = {v.org_name for v in store.versions()}
        assert {"市商务局", long_name, "市财政局"} <= names  # the whole name kept on the version
        (long_unit,) = [u for u in store.units() if u.name.startswith("益阳市很长")]
        assert len(long_unit.name) == 200 and long_unit.name.endswith("…")
        assert "\x00" in check_paths([inbox / "1空字符.xlsx"])[0].org_name  # Excel's escape, read as a NUL


def test_a_save_that_finds_nothing_to_change_is_refused_when_another_was_saved_meanwhile(store, open_store, upload):
    """Two reviewers save the same 核定 of 2.2.5 on one revision, and the first commits while the second is
    between reading the version and reading its scores. The second must be refused (StaleWrite), not told
    its save was done because the scores it then reads already say what it wanted: they are the first
    reviewer's. (Seen on PostgreSQL in CI: two of eight concurrent saves both succeeded.)"""
    v = submit(store, upload)
    revision = approve_review(store, v)
    first, second = open_store(), open_store()
    between = threading.Event()  # the second has read the version and is about to read its scores
    first_done = threading.Event()

    def pause_before_the_scores(conn, cursor, statement, *args):
        if "verified_scores" in statement and not between.is_set():
            between.set()
            first_done.wait(timeout=3)  # the first commits now, unless the second's read holds it back

    event.listen(second.engine, "before_cursor_execute", pause_before_the_scores)
    outcomes = {}

    def save(name: str, store_: Store) -> None:
        try:
            outcomes[name] = store_.verify(v.id, "2.2.5", 3, True, "现场看到 3 项制度", name, revision)
        except StaleWrite as stale:
            outcomes[name] = stale
        finally:
            if name == "评审甲":
                first_done.set()

    second_saving = threading.Thread(target=save, args=("评审乙", second))
    second_saving.start()
    assert between.wait(timeout=30)
    first_saving = threading.Thread(target=save, args=("评审甲", first))
    first_saving.start()
    second_saving.join(timeout=60)
    first_saving.join(timeout=60)
    refused = [name for name, outcome in outcomes.items() if isinstance(outcome, StaleWrite)]
    assert len(outcomes) == 2 and len(refused) == 1
    (saved,) = set(outcomes) - set(refused)
    assert store.verified_card(v.id).rules["2.2.5"].reviewer == saved
    assert [e.actor for e in store.audit_log(v.id) if e.action == "verified"] == [saved]
