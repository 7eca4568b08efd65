"""Workbench logic without a browser: list rows, filters, sorting, paging, escaping of unit-typed text,
the overview's progress, the launcher's configuration, and the widgets' handlers over a real store."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from shared.progress import progress
from shared.rubric import CATEGORY_CITY, CATEGORY_COUNTY, RUBRIC
from shared.store import APPROVE, AWAITING_SITE, RETURN, STAGE_REVIEW, STAGE_SITE, Store
from workbench import listing, render, server
from workbench.listing import WITH_ERRORS, WITHOUT_ERRORS, ListQuery, Row
from shared.scoped_store import ScopedStore
from workbench.identity import local_account
from workbench.synthetic import record_synthetic

SCRIPT = "<script>alert('x')</script>局"
FORMULA = '=HYPERLINK("http://evil.example","点我")'


def row(vid, unit, *, state="待初审", category=CATEGORY_CITY, rescored=Decimal(90), errors=0, file="a.zip"):
    return Row(vid, unit, category, "市委市政府大院", 2020, 1, file, rescored, rescored, rescored, errors, 0, state,
               listing.fold(f"{unit} {file}"))


ROWS = [
    row(1, "市委办公室", rescored=Decimal(100)),
    row(2, "市财政局", state="待验收", rescored=Decimal("84.5"), errors=2),
    row(3, "赫山区财政局", category=CATEGORY_COUNTY, rescored=Decimal(72), errors=1),
    row(4, "市教育局", state="验收通过", rescored=None, file="市教育局.xls"),
    row(5, "ＡＢＣ 市民政局", rescored=Decimal(95)),
]


# --- filtering -------------------------------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    (ListQuery(), [1, 2, 3, 4, 5]),
    (ListQuery(state="待验收"), [2]),
    (ListQuery(category=CATEGORY_COUNTY), [3]),
    (ListQuery(errors=WITH_ERRORS), [2, 3]),
    (ListQuery(errors=WITHOUT_ERRORS), [1, 4, 5]),
    (ListQuery(search="财政"), [2, 3]),
    (ListQuery(search="abc"), [5]),  # full-width and case folded
    (ListQuery(search=" 市 民政 "), [5]),  # spaces ignored
    (ListQuery(search=".xls"), [4]),  # the file name counts too
    (ListQuery(search="财政", errors=WITH_ERRORS, category=CATEGORY_CITY), [2]),
])
def test_filters(query, expected):
    assert [r.version_id for r in listing.filter_rows(ROWS, query)] == expected


# --- sorting and paging ----------------------------------------------------------------------

def test_sort_by_score_puts_blanks_last_both_ways():
    up = listing.sort_rows(ROWS, "rescored")
    down = listing.sort_rows(ROWS, "rescored", descending=True)
    assert [r.version_id for r in up] == [3, 2, 5, 1, 4]
    assert [r.version_id for r in down] == [1, 5, 2, 3, 4]


def test_sort_by_state_follows_the_workflow_not_the_alphabet():
    ordered = [r.state for r in listing.sort_rows(ROWS, "state")]
    assert ordered.index("待初审") < ordered.index("待验收") < ordered.index("验收通过")


def test_clicking_a_header_twice_reverses_and_numbers_start_descending():
    query = ListQuery().with_sort("rescored")
    assert (query.sort, query.descending) == ("rescored", True)
    assert query.with_sort("rescored").descending is False
    assert ListQuery(sort="rescored").with_sort("unit").descending is False
    assert ListQuery().with_sort("no-such-column") == ListQuery()


def test_paging_clamps_and_counts():
    rows = [row(i, f"单位{i:04d}") for i in range(1, 121)]
    page, matched = listing.query_rows(rows, ListQuery(page=2, page_size=50))
    assert matched == 120 and [r.version_id for r in page][:1] == [101] and len(page) == 20
    page, _ = listing.query_rows(rows, ListQuery(page=99, page_size=50))
    assert page[0].version_id == 101  # past the end shows the last page
    assert listing.page_count(0) == 1 and listing.page_count(100, 50) == 2 and listing.page_count(101, 50) == 3


# --- escaping --------------------------------------------------------------------------------

def test_table_escapes_unit_typed_text_and_marks_it_as_text_for_excel():
    rows = [row(7, SCRIPT, file=f"{FORMULA}.zip"), row(8, FORMULA)]
    html = listing.render_table(rows, ListQuery(), 2, 2)
    assert "<script>" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;局" in html
    assert "http://evil.example" in html  # shown as text...
    assert 'href="http://evil.example' not in html and "<a href=\"http" not in html  # ...never a link
    assert "=HYPERLINK(&quot;http://evil.example&quot;,&quot;点我&quot;)" in html
    # every cell holding typed text asks Excel (on paste) to keep it as text, not a formula
    cells = html.split("<td")
    for needle in ("=HYPERLINK(&quot;http://evil.example&quot;,&quot;点我&quot;)</a>", "&lt;script&gt;"):
        cell = next(c for c in cells if needle in c)
        assert "mso-number-format:'\\@'" in cell
    # the click handlers carry only our own ids, never the text
    assert "open:7" in html and "open:8" in html
    for handler in html.split('onclick="')[1:]:
        assert "HYPERLINK" not in handler.split('"')[0] and "script" not in handler.split('"')[0].lower()


def test_empty_result_says_so():
    html = listing.render_table([], ListQuery(search="无此单位"), 0, 5)
    assert "没有符合条件的申报" in html and "共 5 份申报，符合条件 0 条" in html


# --- a real store: rows, detail, progress, handlers --------------------------------------------

@pytest.fixture
def store(tmp_path):
    with Store(f"sqlite:///{tmp_path / 'jyjg.db'}", data_dir=tmp_path / "data") as s:
        yield s


def test_rows_of_a_year_keep_current_versions_and_escape_in_detail(store, tmp_path):
    record_synthetic(store, tmp_path / "in", "市委办公室")
    record_synthetic(store, tmp_path / "in", "市委办公室", scores={"2.2.5": 1})  # second version supersedes
    record_synthetic(store, tmp_path / "in", SCRIPT, category=CATEGORY_COUNTY)
    record_synthetic(store, tmp_path / "in", "市财政局", year=2021)
    rows = listing.make_rows(store.versions(), store.units(), 2020)
    assert sorted(r.unit for r in rows) == sorted(["市委办公室", SCRIPT])
    office = next(r for r in rows if r.unit == "市委办公室")
    assert office.number == 2 and office.rescored == Decimal(97)
    hostile = next(v for v in store.versions() if v.org_name == SCRIPT)
    html = render.render_header(hostile, None) + render.render_rules(hostile, {}) + render.render_findings(hostile)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_rules_table_shows_the_rescore_of_each_rule(store, tmp_path):
    version = record_synthetic(store, tmp_path / "in", "市委办公室", scores={"2.2.5": 3.5, "3.1.1": 5})
    html = render.render_rules(version, {})
    rule_row = html.split("<td>2.2.5</td>")[1].split("</tr>")[0]
    assert '<td class="num">3.5</td><td class="num">3</td>' in rule_row  # between steps: rounded down
    rule_row = html.split("<td>3.1.1</td>")[1].split("</tr>")[0]
    assert '<td class="num">5</td><td class="num">2</td>' in rule_row  # above the maximum: capped


def test_figures_show_each_decline_as_its_verdict(store, tmp_path):
    """CONTRACT: one rule everywhere, and a shown decline never contradicts it (the dashboard's figures)."""
    version = record_synthetic(store, tmp_path / "in", "市委办公室")
    near = {**version.figures, "floor_area_m2": 1000, "base_floor_area_m2": 1000, "base_energy_tce": 20,
            "energy_tce": 19.60000002, "water_t": 3321, "headcount": 100, "base_headcount": 100}
    html = render.render_figures(version, near)
    area_row = html.split("单位建筑面积能耗")[1].split("</tr>")[0]
    assert "下降 1.9999999%" in area_row and "下降 2%" in area_row and "未达标" in area_row
    assert "19.60000002" in html  # every digit the verdict rests on
    water_row = html.split("人均用水量")[1].split("</tr>")[0]
    assert "上升 0.64%" in water_row and "未达标" in water_row
    issue = {**near, "floor_area_m2": 38847, "base_floor_area_m2": 36755, "energy_tce": 1170.42,
             "base_energy_tce": 1129.99}
    issue_row = render.render_figures(version, issue).split("单位建筑面积能耗")[1].split("</tr>")[0]
    assert '<span class="jyjg-ok">达标</span>' in issue_row and "下降 2%" in issue_row


def test_progress_counts_passed_units_up_to_the_year_against_the_target(store, tmp_path):
    store.import_units([("赫山区财政局", 2020, ""), ("赫山区教育局", 2020, ""), ("赫山区民政局", 2021, "")], "赫山区")
    version = record_synthetic(store, tmp_path / "in", "赫山区财政局", category=CATEGORY_COUNTY)
    store.decide(version.id, STAGE_REVIEW, APPROVE, "", "甲", 0)
    card = store.verified_card(version.id)
    entries = {rid: (str(v.claimed), True, "") for rid, v in card.rules.items() if not v.computed}
    store.verify_rules(version.id, entries, "乙", store.version(version.id).revision)
    store.decide(version.id, STAGE_SITE, APPROVE, "", "乙", store.version(version.id).revision)
    record_synthetic(store, tmp_path / "in", "赫山区教育局", category=CATEGORY_COUNTY)
    bars = {b.label: b for b in progress(store.units(), store.versions(), 2020, store.city)}
    district = bars["其中：赫山区"]
    assert (district.units, district.built, district.in_review) == (3, 1, 1)
    assert district.target == Decimal(20) and district.target_count == 1
    assert bars["市直党政机关"].units == 76 and bars["市直党政机关"].built == 0
    html = render.render_progress(list(bars.values()), 2020)
    assert "赫山区" in html and "其中：" not in html and "已通过 1 家" in html and "目标 20%（1 家），已完成" in html
    assert bars["全市"].units == 79 and bars["全市"].built == 1
    assert progress(store.units(), store.versions(), 2019, store.city)[1].built == 0  # passed later


def test_the_dashboard_the_export_and_the_notice_count_progress_alike(store, tmp_path):
    """One computation (shared/progress.py): on main the dashboard and the export each had their own."""
    from shared.export import gather
    from shared.export import progress as export_progress
    from shared.notice import progress_sentences
    store.import_units([("赫山区财政局", 2020, ""), ("赫山区教育局", 2020, "")], "赫山区")
    version = record_synthetic(store, tmp_path / "in", "赫山区财政局", category=CATEGORY_COUNTY)
    store.decide(version.id, STAGE_REVIEW, APPROVE, "", "甲", 0)
    card = store.verified_card(version.id)
    entries = {rid: (str(v.claimed), True, "") for rid, v in card.rules.items() if not v.computed}
    store.verify_rules(version.id, entries, "乙", store.version(version.id).revision)
    store.decide(version.id, STAGE_SITE, APPROVE, "", "乙", store.version(version.id).revision)
    record_synthetic(store, tmp_path / "in", "不在名单的单位", category=CATEGORY_COUNTY)
    shown_on_dashboard = progress(store.units(), store.versions(), 2020, store.city)
    data = gather(store, 2020)
    assert export_progress(data) == shown_on_dashboard
    county = next(p for p in shown_on_dashboard if p.label.endswith("（合计）"))
    assert (county.units, county.built) == (2, 1)
    assert any("共2家，累计建成1家" in sentence for sentence in progress_sentences(data))


def test_tally_marks_items_down_and_flags_a_total_below_80():
    from shared.rubric import RUBRIC
    full = {r.id: r.points for r in RUBRIC.rules}
    lower = {**full, "2.2.3": Decimal(0), "2.1.1": Decimal(0), "2.2.1": Decimal(0), "5.1.1": Decimal(0),
             "5.1.2": Decimal(0), "3.2.1": Decimal(0)}
    html = render.render_tally(lower, full, RUBRIC)
    assert '<b class="jyjg-total-n">76</b>' in html and "低于 80 分" in html
    assert '<tr class="jyjg-down"><td>2.2</td>' in html and '<tr><td>4.1</td>' in html
    assert "<b>10</b> / 20" in html
    assert "达到 80 分" in render.render_tally(full, full, RUBRIC)


# --- the launcher ------------------------------------------------------------------------------

def test_voila_config_has_numbers_and_serves_no_files():
    config = json.loads(json.dumps(server.voila_config(8866, "tok")))
    assert config["Voila"]["ip"] == "127.0.0.1" and config["Voila"]["token"] == "tok"
    size = config["Voila"]["tornado_settings"]["websocket_max_message_size"]
    assert isinstance(size, int) and size > 100 * 1024 * 1024
    assert config["VoilaConfiguration"]["preheat_kernel"] is True
    assert config["VoilaConfiguration"]["file_allowlist"] == []
    assert config["MappingKernelManager"]["cull_idle_timeout"] > 0


def test_relative_sqlite_urls_become_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert server.absolute_db_url("sqlite:///jyjg.db") == f"sqlite:///{tmp_path / 'jyjg.db'}"
    assert server.absolute_db_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert server.absolute_db_url("sqlite://") == "sqlite://"


def test_load_paths_records_each_submission_once(store, tmp_path):
    from shared.template import write_template
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    write_template(inbox / "空白.xlsx")
    first = server.load_paths(store, [inbox], by="测试")
    again = server.load_paths(store, [inbox], by="测试")
    assert len(first) == 1 and first[0].created and not again[0].created and again[0].id == first[0].id


def test_upload_names_cannot_leave_their_folder():
    from workbench.screens.upload import safe_upload_name
    assert safe_upload_name("../../etc/passwd") == "passwd"
    assert safe_upload_name("C:\\Users\\a\\市委办公室.zip") == "市委办公室.zip"
    assert safe_upload_name("..") .startswith("上传的申报")
    assert safe_upload_name(".zip").startswith("上传的申报")


# --- the widgets' handlers, over a real store ---------------------------------------------------

@pytest.fixture
def bench(store, tmp_path):
    from workbench.app import Workbench
    for name, scores in (("市委办公室", None), ("市财政局", {"2.2.3": 0, "2.1.1": 0}), ("市教育局", None)):
        record_synthetic(store, tmp_path / "in", name, scores=scores)
    return Workbench(ScopedStore(store, local_account("我")))


def _open(bench, name):
    vid = next(r.version_id for r in bench.screen("list").rows if r.unit == name)
    bench.action.value = f"open:{vid}:1"
    assert bench.current is not None and bench.current.id == vid
    return vid


def test_filter_and_sort_through_the_widgets(bench):
    screen = bench.screen("list")
    screen.search.value = "财政"
    assert "市财政局" in screen.table.value and "市委办公室" not in screen.table.value
    screen.search.value = ""
    bench.action.value = "sort:rescored:1"
    html = screen.table.value
    assert html.index("市委办公室") < html.index("市财政局")  # 100 before 90, descending


def test_a_stale_decision_shows_the_conflict_and_keeps_the_text(bench, store):
    vid = _open(bench, "市委办公室")
    store.decide(vid, STAGE_REVIEW, APPROVE, "", "别人", 0)  # someone else, meanwhile
    screen = bench.screen("decisions")
    screen.review_outcome.value = RETURN
    screen.review_opinion.value = "请补充材料"
    screen.review_save.click()
    assert "保存失败" in screen.message.value and "别人" in screen.message.value
    assert screen.review_opinion.value == "请补充材料" and screen.review_outcome.value == RETURN
    assert [d.reviewer for d in store.decisions(vid)] == ["别人"]


def _approved(bench, store, name):
    vid = _open(bench, name)
    store.decide(vid, STAGE_REVIEW, APPROVE, "", "甲", store.version(vid).revision)
    bench.reopen()
    return vid


def test_verification_total_and_pass_below_80_refused(bench, store):
    vid = _approved(bench, store, "市财政局")
    verify = bench.screen("verification")
    assert bench.current.status == AWAITING_SITE and not verify.save_button.disabled
    assert '<b class="jyjg-total-n">90</b>' in verify.tally.value and "尚有 33 条规则未核定" in verify.tally.value
    pick, seen, reason = verify.controls["5.1.1"]
    pick.value = "0"
    reason.value = "现场未见"
    assert '<b class="jyjg-total-n">86</b>' in verify.tally.value
    pick, seen, reason = verify.controls["2.2.1"]
    pick.value = "2"
    assert '<b class="jyjg-total-n">84</b>' in verify.tally.value
    verify.save_button.click()
    assert "规则 2.2.1" in verify.message.value and "理由" in verify.message.value  # reason needed
    reason.value = "只有会议纪要"
    for rid in ("3.1.1", "3.1.2"):
        verify.controls[rid][0].value = "0"
        verify.controls[rid][2].value = "无"
    verify.save_button.click()
    assert "已保存 4 条规则的核定：核定总分 80 分" in verify.message.value and "尚未核定 29 条" in verify.message.value
    assert set(store.verified_card(vid).pending) == set(listing_rules()) - {"5.1.1", "2.2.1", "3.1.1", "3.1.2"}
    for item in ("2.1", "2.2", "3.1", "3.2", "3.3", "4.1", "4.2", "4.3", "5.1", "5.2"):
        verify.confirm_buttons[item].click()
    assert not store.verified_card(vid).pending and store.verified_card(vid).total == 80
    verify.controls["3.1.3"][0].value = "0"
    verify.controls["3.1.3"][2].value = "无"
    verify.save_button.click()
    assert "78" in verify.message.value and "全部规则已核定" in verify.message.value
    decide = bench.screen("decisions")
    decide.site_outcome.value = APPROVE
    decide.site_save.click()
    assert "低于 80 分，不能验收通过" in decide.message.value
    assert store.version(vid).status == AWAITING_SITE


def listing_rules():
    from shared.rubric import RUBRIC
    return [r.id for r in RUBRIC.rules if not r.computed]


def test_the_grid_starts_unverified_and_a_pass_needs_every_rule_set(bench, store):
    """On main the grid came filled with the claims: saving it untouched verified all 33 rules, and
    实地验收通过 was accepted with none of them looked at."""
    vid = _approved(bench, store, "市委办公室")
    verify = bench.screen("verification")
    assert all(pick.value == "" and not seen.value for pick, seen, _ in verify.controls.values())
    verify.save_button.click()
    assert "没有修改任何规则" in verify.message.value
    decide = bench.screen("decisions")
    decide.site_outcome.value = APPROVE
    decide.site_save.click()
    assert "还有 33 条规则未核定（2.1.1、2.1.2、2.2.1" in decide.message.value
    assert store.version(vid).status == AWAITING_SITE and not store.decisions(vid)[1:]
    verify.controls["2.1.1"][1].value = True  # seen, but no score chosen
    verify.save_button.click()
    assert "请先为以下规则选择核定得分：2.1.1" in verify.message.value
    verify.confirm_buttons["2.1"].click()  # one action for the whole item
    card = store.verified_card(vid)
    assert {r for r in ("2.1.1", "2.1.2") if card.rules[r].verified is not None and card.rules[r].evidence_seen} == {"2.1.1", "2.1.2"}
    assert verify.controls["2.1.1"][0].value == str(card.rules["2.1.1"].claimed) and verify.controls["2.1.1"][1].value


def test_a_verification_conflict_keeps_the_typed_grid_and_names_the_rules_that_differ(store, tmp_path):
    """On main the message named whichever rule the other reviewer saved last, and its advice (reload)
    wiped the grid."""
    from workbench.app import Workbench
    record_synthetic(store, tmp_path / "in", "市委办公室")
    first, second = (Workbench(ScopedStore(store, local_account(name))) for name in ("甲评价", "乙评价"))
    vid = _open(first, "市委办公室")
    store.decide(vid, STAGE_REVIEW, APPROVE, "", "张初审", 0)
    first.reopen()
    _open(second, "市委办公室")
    mine, theirs = second.screen("verification"), first.screen("verification")
    # the other reviewer saves first: 2.2.5 marked down, 5.2.2 verified at its claim
    theirs.controls["2.2.5"][0].value, theirs.controls["2.2.5"][2].value = "0", "未见文件"
    theirs.controls["5.2.2"][0].value = theirs.controls["5.2.2"][0].options[-1][1]
    theirs.save_button.click()
    assert "已保存 2 条" in theirs.message.value
    # this reviewer typed 2.2.5 differently and 3.1.1 that nobody else touched
    mine.controls["2.2.5"][0].value, mine.controls["2.2.5"][2].value = "1", "只有草稿"
    mine.controls["3.1.1"][0].value = "2"
    mine.save_button.click()
    message = mine.message.value
    assert "保存失败" in message and "甲评价" in message
    assert "2.2.5：对方为 0 分，已查看佐证" not in message  # 甲 did not tick seen
    assert "2.2.5：对方为 0 分，理由“未见文件”；您填写的是 1 分，理由“只有草稿”" in message
    assert "5.2.2：" not in message and "3.1.1：" not in message
    assert mine.controls["2.2.5"][0].value == "1" and mine.controls["3.1.1"][0].value == "2"
    assert mine.reapply_button.layout.display is None
    mine.reapply_button.click()
    assert mine.controls["2.2.5"][0].value == "1" and mine.controls["3.1.1"][0].value == "2"  # kept
    assert mine.controls["5.2.2"][0].value != ""  # the other reviewer's work is on the grid now
    assert "2.2.5" in mine.message.value
    mine.save_button.click()
    card = store.verified_card(vid)
    assert "已保存 2 条" in mine.message.value
    assert (card.rules["2.2.5"].verified, card.rules["2.2.5"].reviewer) == (1, "乙评价")
    assert card.rules["3.1.1"].verified == 2 and card.rules["5.2.2"].reviewer == "甲评价"


def test_an_unexpected_error_shows_a_chinese_message_not_a_traceback(bench, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(bench.store, "version", broken)
    bench.action.value = "open:1:2"
    assert "系统内部出错" in bench.message.value
    assert "Traceback" not in bench.message.value and "boom" not in bench.message.value


@pytest.mark.parametrize("kind", ["absolute", "climbing"])
def test_a_unit_name_that_is_a_path_writes_nowhere_but_offers_a_plain_name(store, tmp_path, monkeypatch, kind):
    """生成验收评分表 once made the folders a unit named `../../tmp/x/y` asked for, and wrote there."""
    import re
    from workbench.app import Workbench

    target = tmp_path / "escaped" / "x"
    hostile = str(target / "y") if kind == "absolute" else "../" * 40 + str(target / "y").lstrip("/")
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    record_synthetic(store, tmp_path / "in", hostile)
    bench = Workbench(ScopedStore(store, local_account()))
    _open(bench, hostile)
    verify = bench.screen("verification")
    verify.report_button.click()
    assert "验收评分表已生成" in verify.message.value
    assert not (tmp_path / "escaped").exists() and not any(workdir.iterdir())
    offered = re.search(r'download="([^"]*)"', verify.report_link.value).group(1)
    assert "/" not in offered and "\\" not in offered and offered.endswith("年度验收评分表.xlsx")


# --- the shell: one acting person, screens built when first shown --------------------------------

def test_the_acting_person_is_set_once_and_signs_every_write(bench, store):
    vid = _open(bench, "市委办公室")
    decide = bench.screen("decisions")
    decide.review_outcome.value = RETURN
    decide.review_opinion.value = "请补充材料"
    decide.review_save.click()
    assert [d.reviewer for d in store.decisions(vid)] == ["我"]
    assert store.audit_log(vid)[-1].actor == "我"
    assert not hasattr(decide, "reviewer") and "jyjg-reviewer" not in str(bench.root)


def test_only_the_first_tabs_are_built_when_the_page_opens(bench):
    assert [key for key, screen in bench.screens.items() if screen.built] == ["overview", "list"]
    bench.tabs.selected_index = list(bench.screens).index("verification")
    assert bench.screens["verification"].built and bench.screens["verification"].controls



def _models_under(root) -> dict[str, object]:
    """Every widget model the page is sent to show `root`: the widget, its layout and style, its children…"""
    import ipywidgets as w
    found, todo = {}, [root]
    while todo:
        widget = todo.pop()
        if widget.model_id in found:
            continue
        found[widget.model_id] = widget
        for name in widget.keys:
            value = getattr(widget, name)
            todo += [v for v in (value if isinstance(value, (list, tuple)) else [value]) if isinstance(v, w.Widget)]
    return found


def test_the_verification_tab_is_a_few_hundred_widget_models(bench):
    """Opening 核定 sends each of its widget models to the page at once. The grid's cells of a kind share one
    layout and one style, so that is some 400 models, not the 1000 that took over a second to open and, on
    a busy machine, overflowed ZeroMQ's default queue of 1000 messages (workbench/iopub.py)."""
    _open(bench, "市委办公室")
    bench.tabs.selected_index = list(bench.screens).index("verification")
    verify = bench.screens["verification"]
    models = _models_under(verify.widget)
    assert len(models) < 500
    cells = verify.grid.children
    assert len({id(cell.layout) for cell in cells}) <= 5 and len({id(cell.style) for cell in cells}) <= 5


# --- 评审意见交流 and 能耗数据更正 ------------------------------------------------------------------

def test_a_comment_is_posted_signed_and_shown_escaped(bench, store):
    vid = _open(bench, "市委办公室")
    comments = bench.screen("comments")
    comments.text.value = "  "
    comments.post.click()
    assert "请先填写意见内容" in comments.message.value and not store.history(vid).comments
    comments.text.value = "2.2.3 的台账<b>不全</b>"
    comments.post.click()
    assert [(c.author, c.text) for c in store.history(vid).comments] == [("我", "2.2.3 的台账<b>不全</b>")]
    assert "&lt;b&gt;不全&lt;/b&gt;" in comments.thread.value and "我" in comments.thread.value
    assert comments.text.value == ""


def test_a_figure_correction_needs_a_reason_and_rescores_the_energy_rules(bench, store):
    vid = _open(bench, "市委办公室")
    store.decide(vid, STAGE_REVIEW, APPROVE, "", "甲", 0)
    bench.reopen()
    figures = bench.screen("figures")
    assert not figures.save_button.disabled
    before = store.verified_card(vid)
    figures.inputs["energy_tce"].value = "120"  # more energy than last year: 1.1.x targets missed
    figures.save_button.click()
    assert "请填写更正理由" in figures.message.value and not store.verified_card(vid).corrections
    figures.reason.value = "现场核对电费单"
    figures.save_button.click()
    card = store.verified_card(vid)
    assert "已保存 1 项能耗数据更正" in figures.message.value
    assert card.corrections["energy_tce"][1] == Decimal(120) and card.total < before.total
    assert store.audit_log(vid)[-1].actor == "我" and "现场核对电费单" in str(store.audit_log(vid)[-1].after)
    assert "更正为 <b>120</b>" in figures.result.value
    figures.inputs["energy_tce"].value = ""  # undone: back to the submitted figure
    figures.reason.value = "复核后按申报值"
    figures.save_button.click()
    assert not store.verified_card(vid).corrections and store.verified_card(vid).total == before.total


def test_figures_cannot_be_corrected_before_the_first_review(bench):
    _open(bench, "市委办公室")
    figures = bench.screen("figures")
    assert figures.save_button.disabled and figures.inputs["energy_tce"].disabled
    assert "只有待验收的当前版本可以更正" in figures.note.value


# --- 决定: forms only when they can be used; 撤销决定 ---------------------------------------------------

def _verify_all(store, vid):
    card = store.verified_card(vid)
    entries = {rid: (str(v.claimed), True, "") for rid, v in card.rules.items() if not v.computed}
    return store.verify_rules(vid, entries, "乙", store.version(vid).revision)


def test_decision_forms_are_inactive_once_they_cannot_be_used(bench, store):
    vid = _open(bench, "市委办公室")
    decide = bench.screen("decisions")
    assert not decide.review_save.disabled and decide.site_save.disabled
    assert "初审通过后方可实地验收" in decide.site_state.value
    store.decide(vid, STAGE_REVIEW, APPROVE, "", "甲", 0)
    bench.reopen()
    assert decide.review_save.disabled and decide.review_outcome.disabled and "初审已完成" in decide.review_state.value
    assert not decide.site_save.disabled and "尚有 33 条规则未核定" in decide.site_state.value
    _verify_all(store, vid)
    store.decide(vid, STAGE_SITE, APPROVE, "", "乙", store.version(vid).revision)
    bench.reopen()  # the final decision: nothing more can be decided
    assert all(x.disabled for x in (decide.review_save, decide.site_save, decide.site_outcome, decide.site_opinion))
    assert "已有实地验收结论（验收通过）" in decide.site_state.value


def test_a_wrong_pass_is_revoked_with_a_reason_and_stays_in_the_history(bench, store):
    """On main a wrong 验收通过 was final."""
    vid = _open(bench, "市委办公室")
    store.decide(vid, STAGE_REVIEW, APPROVE, "", "甲", 0)
    _verify_all(store, vid)
    store.decide(vid, STAGE_SITE, APPROVE, "同意", "乙", store.version(vid).revision)
    bench.reopen()
    decide = bench.screen("decisions")
    assert decide.revoke_box.layout.display is None and "实地验收通过" in decide.revoke_what.value
    decide.revoke_button.click()
    assert "请填写撤销理由" in decide.message.value and store.version(vid).status == "验收通过"
    decide.revoke_reason.value = "核定分录错，需重新核定"
    decide.revoke_button.click()
    assert "已撤销实地验收通过结论" in decide.message.value and "当前状态：待验收" in decide.message.value
    assert store.version(vid).status == AWAITING_SITE and bench.current.status == AWAITING_SITE
    revoked = store.decisions(vid, include_revoked=True)[-1]
    assert (revoked.revoked_by, revoked.revoke_reason) == ("我", "核定分录错，需重新核定")
    assert "已撤销（我" in decide.history.value and "核定分录错" in decide.history.value
    assert not decide.site_save.disabled  # decide again
    assert "初审通过" in decide.revoke_what.value  # the next one back can be revoked too
    assert "待验收" in bench.screen("overview").board.value


# --- 申报列表: 未申报, bulk 初审 ---------------------------------------------------------------------

def test_units_that_have_not_submitted_are_listed_under_their_filter(bench, store):
    """On main the 未申报 filter returned nothing while the overview counted the units."""
    store.import_units([("赫山区财政局", 2020, ""), ("赫山区教育局", 2020, "")], "赫山区")
    bench.reload()
    screen = bench.screen("list")
    screen.state_pick.value = "未申报"
    counted = sum(s.state == "未申报" for s in store.unit_states(2020))
    rows = listing.filter_rows(screen.rows, screen.query)
    assert counted > 2 and len(rows) == counted and "赫山区教育局" in screen.table.value
    assert f"{counted} 家未申报单位" in screen.table.value
    assert 'open:None' not in screen.table.value and "jyjg-unsubmitted" in screen.table.value
    screen.state_pick.value = "全部"
    assert "共 3 份申报" in screen.table.value


def test_a_bulk_review_records_one_opinion_on_each_selected_and_reports_each_refusal(bench, store, tmp_path):
    record_synthetic(store, tmp_path / "in", "市委组织部", scores={r: 0 for r in ("2.2.3", "2.1.1", "2.2.1", "5.1.1",
                                                                           "5.1.2", "3.2.1")})  # below 80
    bench.reload()
    screen = bench.screen("list")
    screen.state_pick.value = "待初审"  # synthetic submissions all carry evidence errors: no 无错误 filter here
    screen.pick_matching.click()
    assert len(screen.picked) == 4 and "已选 <b>4</b>" in screen.picked_line.value and "☑" in screen.table.value
    office = next(r for r in screen.rows if r.unit == "市委办公室")
    store.decide(office.version_id, STAGE_REVIEW, RETURN, "另一位评审已退回", "别人", office.revision)  # meanwhile
    screen.bulk_outcome.value = APPROVE
    screen.bulk_opinion.value = "材料齐全，同意"
    screen.bulk_save.click()
    message = screen.bulk_message.value
    assert "已对 2 份申报作出初审通过结论" in message and "2 份未保存" in message
    assert "别人" in message and "低于 80 分" in message
    by_unit = {v.unit_name: v for v in store.versions(current_only=True)}
    assert by_unit["市财政局"].status == by_unit["市教育局"].status == AWAITING_SITE
    assert by_unit["市委办公室"].status == "退回补正" and by_unit["市委组织部"].status == "待初审"
    assert [(d.opinion, d.reviewer) for d in store.decisions(by_unit["市教育局"].id)] == [("材料齐全，同意", "我")]
    assert screen.picked == {by_unit["市委组织部"].id}  # what can still be decided stays selected


# --- 上传: errors as errors, no server paths, 撤回 --------------------------------------------------

def _upload(bench, name, content):
    screen = bench.screen("upload")
    screen._on_upload({"new": [{"name": name, "content": content}]})
    return screen.message.value


@pytest.mark.parametrize("name, content", [
    ("随机字节.zip", bytes(range(256)) * 40),
    ("不是压缩包.zip", "这是一段文字".encode()),
    ("空的.xlsx", b""),
])
def test_an_unusable_upload_is_an_error_with_its_first_finding_and_no_server_path(bench, store, name, content):
    """On main these got a green 已接收 … 错误 1 条 and stayed in the list for ever."""
    message = _upload(bench, name, content)
    assert "jyjg-msg-error" in message and "已接收" not in message and "jyjg-msg-ok" not in message
    assert "无法作为申报接收" in message and name in message
    assert "/tmp" not in message and "jyjg-upload" not in message and tempfile_root() not in message
    version = next(v for v in store.versions() if v.original_name == name)
    first = next(f["message"] for f in version.findings if f["severity"] == "error")
    assert listing.text(first) in message and "/tmp" not in first
    assert f"withdraw:{version.id}" in message


def tempfile_root():
    import tempfile
    return tempfile.gettempdir()


def test_a_wrong_upload_is_withdrawn_with_a_reason_and_leaves_the_lists(bench, store):
    _upload(bench, "随机字节.zip", bytes(range(256)) * 40)
    version = next(v for v in store.versions() if v.original_name == "随机字节.zip")
    counts = render.state_counts(bench.unit_states(), bench.versions, 2020)
    assert counts.get(listing.UNKNOWN_UNIT) == 1
    bench.action.value = f"withdraw:{version.id}:1"  # the link in the upload's result
    decide = bench.screens["decisions"]
    assert bench.tabs.selected_index == list(bench.screens).index("decisions")
    assert decide.withdraw_box.layout.display is None
    decide.withdraw_button.click()
    assert "请填写撤回理由" in decide.message.value
    decide.withdraw_reason.value = "误传：不是申报包"
    decide.withdraw_button.click()
    assert "已撤回" in decide.message.value
    gone = store.version(version.id)
    assert gone.withdrawn and gone.withdrawn_by == "我" and gone.withdraw_reason == "误传：不是申报包"
    assert all(r.version_id != version.id for r in bench.screen("list").rows)
    assert listing.UNKNOWN_UNIT not in render.state_counts(bench.unit_states(), bench.versions, 2020)
    assert "已撤回" in bench.screen("detail").current_box.value and decide.withdraw_box.layout.display == "none"
    again = _upload(bench, "随机字节.zip", bytes(range(256)) * 40)  # the same file once more
    assert "此前已收到并已撤回" in again and "误传：不是申报包" in again


# --- an edition with gates, ★ items, 不评分 and grades (issue 15): the made-up one, in a store of its city ------

@pytest.fixture
def made_up_bench(tmp_path):
    from made_up_year import MADE_UP_CITY, write_workbooks
    from shared.batch import load_paths
    from workbench.app import Workbench
    store = Store(f"sqlite:///{tmp_path / 'made_up.db'}", data_dir=tmp_path / "data", city=MADE_UP_CITY)
    load_paths(store, write_workbooks(tmp_path / "inbox"))
    yield Workbench(ScopedStore(store, local_account("我"))), store
    store.close()


def test_the_detail_shows_the_verdict_grade_gates_stars_and_skipped_items(made_up_bench):
    from made_up_year import SKIPPED, STAR_ZERO
    bench, _ = made_up_bench
    _open(bench, SKIPPED)
    detail = bench.screen("detail")
    assert "通过条件" in detail.header.value and "符合通过条件（按适用项目折算 87.5 分，等级：乙等）" in detail.header.value
    assert "达到 70 分" not in detail.header.value
    rules = detail.body.value
    assert "前提（必须完成）" in rules and "食堂（上限 20 分）" in rules and "创新（附加 5 分）" in rules
    assert '<td class="num">不适用</td>' in rules and '<td class="num">符合</td>' in rules  # 2.2 left out; gate met
    assert "★</span>制度" in rules and "★</span>计量器具" in rules and "核查方式：现场检查" in rules
    assert "每缺一项扣 5 分，最高 20 分（填缺项数）" in rules and "按与同类平均值之比分档，最高 20 分" in rules
    assert "缺 0 项" in rules and "同类对标" in rules and "测试用虚构数据" in rules
    assert '<td class="num">0.75 倍</td><td class="num">20 / 20</td>' in rules  # 15 kgce/m² against 20
    _open(bench, STAR_ZERO)
    assert "不符合通过条件：★ 项 2.3.1 得 0 分" in bench.screen("detail").header.value


def test_verification_judges_gates_and_the_pass_rule_of_the_edition(made_up_bench):
    from made_up_year import GATE_FOUND_NOT_MET
    bench, store = made_up_bench
    vid = _approved(bench, store, GATE_FOUND_NOT_MET)
    verify = bench.screen("verification")
    pick, seen, reason = verify.controls["1.1.2"]
    assert [label for label, _ in pick.options] == ["未核定", "不符合", "符合"]
    assert "符合通过条件（等级：甲等），可以验收通过" in verify.tally.value
    pick.value, reason.value = "0", "发现违规使用公物"
    assert "不符合通过条件：必须完成项 1.1.2 未达到，不能验收通过" in verify.tally.value
    assert '<td>1.1</td><td>前提</td><td class="num">符合</td><td class="num">不符合</td>' in verify.tally.value
    assert "（不符合通过条件：必须完成项 1.1.2 未达到）" in verify.total_line.value
    verify.save_button.click()
    assert "核定总分 105 分，不符合通过条件：必须完成项 1.1.2 未达到，不能验收通过" in verify.message.value
    for item in ("2.1", "2.2", "2.3", "4.1"):
        verify.confirm_buttons[item].click()
    decide = bench.screen("decisions")
    decide.site_outcome.value = APPROVE
    decide.site_save.click()
    assert "核定结果必须完成项 1.1.2 未达到，不能验收通过" in decide.message.value
    assert store.version(vid).status == AWAITING_SITE



def test_a_version_of_another_edition_replaces_the_grid_and_closes_the_old_rows(made_up_bench):
    from made_up_year import GATE_FOUND_NOT_MET
    bench, store = made_up_bench
    bench.tabs.selected_index = list(bench.screens).index("verification")
    verify = bench.screen("verification")
    old_rows = verify.grid.children  # the configured edition's, drawn before anything is open
    _approved(bench, store, GATE_FOUND_NOT_MET)
    assert "1.1.2" in verify.controls and verify.grid.children != old_rows
    assert all(cell.comm is None for cell in old_rows)  # closed: no model left behind in the kernel or the page
    assert all(cell.comm is not None for cell in verify.grid.children)
    assert all(looks["layout"].comm is not None for looks in verify.looks.values())  # shared: still in use


# --- serving: culling, --ip, the file route's headers ------------------------------------------------

def test_kernels_of_vanished_pages_are_culled_within_minutes_and_open_pages_never():
    config = server.voila_config(8866, "tok")
    cull = config["MappingKernelManager"]
    assert cull["cull_idle_timeout"] + cull["cull_interval"] <= 5 * 60 and cull["cull_connected"] is False
    assert config["VoilaKernelManager"]["fill_delay"] > 0 and config["Voila"]["log_level"] == "ERROR"
    assert server.voila_command(server.NOTEBOOK.parent)[1:3] == ["-m", "workbench.voila_app"]


def test_listening_beyond_this_machine_warns_that_tls_is_needed():
    assert server.tls_warning("127.0.0.1") is None and server.tls_warning("localhost") is None
    for ip in ("0.0.0.0", "192.168.1.20"):
        warning = server.tls_warning(ip)
        assert "HTTPS" in warning and "TLS" in warning and "明文" in warning
    assert server.voila_config(8866, "tok", "0.0.0.0")["Voila"]["ip"] == "0.0.0.0"


def test_jyjg_serve_takes_ip_and_kernels():
    from shared.cli import build_parser
    args = build_parser().parse_args(["serve", "--ip", "0.0.0.0", "--kernels", "6", "--reviewer", "张三"])
    assert (args.ip, args.kernels, args.reviewer) == ("0.0.0.0", 6, "张三")
    assert build_parser().parse_args(["serve"]).ip == "127.0.0.1"

