"""The 验收评分表: 附件3's rows with 自评 and 核定 side by side, reasons, evidence seen, corrected figures,
the decision, signatures; A4 portrait with the header repeated and no item split by a page break."""
from __future__ import annotations

import openpyxl
import pytest

from paging import assert_units_named_on_every_page
from shared.report import FIGURES_SHEET, SHEET, write_acceptance_report
from shared.rubric import RUBRIC
from shared.store import StoreError
from year_fixtures import (AWAITING_SITE_2020, FAILED_2020, MARKED_DOWN, RECTIFICATION, build_scenario)

FAILED_TOTAL = 100 - sum(RUBRIC.rule(rid).points for rid in MARKED_DOWN)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    year = build_scenario(tmp_path_factory.mktemp("report"))
    yield year
    year.close()


@pytest.fixture(scope="module")
def failed_report(scenario, tmp_path_factory):
    path = write_acceptance_report(scenario.store, FAILED_2020, 2020, tmp_path_factory.mktemp("r") / "failed.xlsx")
    return openpyxl.load_workbook(path)


def rule_rows(ws) -> dict[str, dict]:
    """Rule id -> the row's columns, found by each rule's text in column D (as 附件3 prints it)."""
    texts = {(f"{r.number}.{r.text}（由备案表数据计算）" if r.computed else r.text): r.id for r in RUBRIC.rules}
    found = {}
    for row in ws.iter_rows(min_row=6):
        rid = texts.get(row[3].value)
        if rid:
            found[rid] = {"row": row[0].row, "self": row[4].value, "self_item": row[5].value, "verified": row[6].value,
                          "verified_item": row[7].value, "seen": row[8].value, "reason": row[9].value}
    return found


def test_header_is_annex3_with_verified_columns_beside(failed_report):
    ws = failed_report[SHEET]
    assert ws["A1"].value == "益阳市节约型机关创建验收评分表"
    assert ws["A2"].value == f"单位：{FAILED_2020}" and ws["E2"].value == "创建年度：2020"
    assert [ws.cell(4, c).value for c in (1, 2, 3, 4, 5, 7, 9, 10)] == [
        "序号", "单元", "项目", "评分规则", "自评得分", "核定得分", "佐证\n已查看", "核定理由"]
    assert [ws.cell(5, c).value for c in (5, 6, 7, 8)] == ["分项", "项目", "分项", "项目"]


def test_every_rule_in_order_with_claimed_and_verified_scores(failed_report):
    rows = rule_rows(failed_report[SHEET])
    assert list(rows) == [r.id for r in RUBRIC.rules]
    assert [rows[r.id]["row"] for r in RUBRIC.rules] == list(range(6, 6 + len(RUBRIC.rules)))
    for rule in RUBRIC.rules:
        row = rows[rule.id]
        assert row["self"] == rule.points, rule.id
        expected = 0 if rule.id in MARKED_DOWN else rule.points
        assert row["verified"] == expected, rule.id
        if rule.computed:
            assert (row["seen"], row["reason"]) == ("—", "按备案表能耗数据计算")
        else:
            assert row["seen"] == "是"
            assert row["reason"] == ("现场核查扣分" if rule.id in MARKED_DOWN else None)
    for item in RUBRIC.items:  # item scores sit on the item's first rule row
        first = rows[item.rules[0].id]
        verified = min(item.cap, sum((0 if r.id in MARKED_DOWN else r.points) for r in item.rules))
        assert (first["self_item"], first["verified_item"]) == (item.cap, verified), item.id


def test_totals_decision_and_signatures(failed_report):
    ws = failed_report[SHEET]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    total = next(r for r in values if r[0] == "合计")
    assert (total[4], total[6]) == (100, FAILED_TOTAL) and "未达到 80 分" in total[8]
    decision = next(r[0] for r in values if isinstance(r[0], str) and r[0].startswith("实地验收结论"))
    assert "不通过" in decision and RECTIFICATION in decision and "王组长" in decision
    texts = [v for r in values for v in r if isinstance(v, str)]
    assert "评价小组组长（签字）：" in texts and "评价小组成员（签字）：" in texts and "日期：      年    月    日" in texts
    opinion_cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and RECTIFICATION in c.value)
    assert opinion_cell.data_type == "s"


def test_print_setup_a4_portrait_header_repeated_and_items_never_split(failed_report):
    ws = failed_report[SHEET]
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == "$4:$5"
    breaks = [b.id for b in ws.row_breaks.brk]
    assert breaks, "the table is longer than one page"
    item_starts = {rule_rows(ws)[i.rules[0].id]["row"] for i in RUBRIC.items}
    decision_row = next(c.row for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("实地验收结论"))
    for after in breaks:
        assert after + 1 in item_starts | {decision_row}, after
    assert failed_report[FIGURES_SHEET].page_setup.orientation == "portrait"


def test_each_unit_is_merged_down_its_rows_on_every_page_it_reaches(failed_report):
    ws = failed_report[SHEET]
    rule_row = {rid: row["row"] for rid, row in rule_rows(ws).items()}
    assert_units_named_on_every_page(ws, rule_row)  # (the 自评表's test has units cut by a break)


def test_unverified_version_leaves_the_verified_column_blank(scenario, tmp_path):
    wb = openpyxl.load_workbook(write_acceptance_report(scenario.store, AWAITING_SITE_2020, 2020, tmp_path / "a.xlsx"))
    ws = wb[SHEET]
    rows = rule_rows(ws)
    for rule in RUBRIC.rules:  # nothing in 核定 until the group verifies: not the claims, not 1.1's figures
        assert rows[rule.id]["verified"] is None and rows[rule.id]["reason"] == "（未核定）", rule.id
        assert rows[rule.id]["self"] == rule.points, rule.id
    assert all(rows[item.rules[0].id]["verified_item"] is None for item in RUBRIC.items)
    assert rows["2.1.1"]["seen"] is None
    decision = next(c.value for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("实地验收结论"))
    assert "□ 通过" in decision and "□ 不通过" in decision
    total = next(row for row in ws.iter_rows(values_only=True) if row[0] == "合计")
    assert total[4] == 100 and total[6] == "未核定" and "尚未核定" in total[8]


def test_partly_verified_version_shows_only_what_was_verified(scenario, tmp_path):
    version = scenario.awaiting_site("市国家保密局")
    scenario.store.verify(version.id, "2.1.1", 0, False, "无领导小组文件", "李评价", version.revision)
    ws = openpyxl.load_workbook(write_acceptance_report(scenario.store, version.unit_name, 2020, tmp_path / "p.xlsx"))[SHEET]
    rows = rule_rows(ws)
    assert (rows["2.1.1"]["verified"], rows["2.1.1"]["seen"], rows["2.1.1"]["reason"]) == (0, "否", "无领导小组文件")
    assert rows["2.1.2"]["verified"] is None and rows["2.1.2"]["reason"] == "（未核定）"
    assert rows["1.1.1"]["verified"] == 4  # the figures, once the group has begun
    assert rows["1.1.1"]["verified_item"] == 10 and rows["2.1.1"]["verified_item"] is None  # 2.1.2 still open
    total = next(row for row in ws.iter_rows(values_only=True) if row[0] == "合计")
    assert total[6] == "未核定" and f"尚有 {len(RUBRIC.rules) - 4} 条规则未核定" in total[8]


def test_corrected_figures_and_declines_are_shown(scenario, tmp_path):
    store = scenario.store
    version = scenario.awaiting_site("市委网络安全和信息化委员会办公室")
    store.correct_figures(version.id, {"energy_tce": 99}, "李评价", version.revision, reason="以电费单据为准")
    wb = openpyxl.load_workbook(write_acceptance_report(store, version.unit_name, 2020, tmp_path / "c.xlsx"))
    figures = {row[0]: row for row in wb[FIGURES_SHEET].iter_rows(values_only=True) if row[0]}
    assert figures["单位综合能源消耗量（tce）"][4] == 97 and figures["单位综合能源消耗量（tce）"][6] == 99
    assert figures["单位综合能源消耗量（tce）"][8] == "评价小组更正"
    per_capita = figures["人均综合能耗较上年（目标下降 2.5%）"]
    assert (per_capita[4], per_capita[6], per_capita[8]) == ("下降 3%", "下降 1%", "未完成目标")
    decline_rows = [r for r in wb[FIGURES_SHEET].iter_rows(min_col=1, max_col=1) if "较上年" in str(r[0].value)]
    assert len(decline_rows) == 3  # each room for 下降 10.26% on two lines
    assert all(wb[FIGURES_SHEET].row_dimensions[r[0].row].height >= 2 * 10.5 * 1.4 for r in decline_rows)
    rows = rule_rows(wb[SHEET])
    assert rows["1.1.1"]["verified"] == 0 and rows["1.1.1"]["self"] == 4
    assert rows["1.1.1"]["reason"] == "按更正后的能耗数据计算"


def test_raw_claim_that_scored_differently_is_explained(scenario, tmp_path):
    version = scenario.submit("市委机构编制委员会办公室", claims={"2.2.5": "4分"})
    wb = openpyxl.load_workbook(write_acceptance_report(scenario.store, version.unit_name, 2020, tmp_path / "r.xlsx"))
    row = rule_rows(wb[SHEET])["2.2.5"]
    assert row["self"] == 0 and row["reason"].startswith("单位填报“4分”，按规则计 0 分。")


def test_unknown_unit_or_year_is_refused_in_chinese(scenario, tmp_path):
    with pytest.raises(StoreError, match="没有单位“不存在的局”"):
        write_acceptance_report(scenario.store, "不存在的局", 2020, tmp_path / "x.xlsx")
    with pytest.raises(StoreError, match="没有 2020 年度的申报"):
        write_acceptance_report(scenario.store, "市纪委市监委机关", 2020, tmp_path / "x.xlsx")
    with pytest.raises(StoreError, match="没有 2021 年度的申报"):
        write_acceptance_report(scenario.store, "市委组织部", 2021, tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()
