"""The annual export: 名单 in 附件4 order with each unit's state, scores and opinions; 进度 against the
configured targets with a chart; 评分 per submission; 抽查; typed text never becomes a formula."""
from __future__ import annotations

import re
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from shared.export import progress, gather, write_annual_export
from shared.rubric import CATEGORY_CITY, CATEGORY_COUNTY, CITY, ROSTER, RUBRIC
from shared.sampling import draw_sample
from shared.store import (AWAITING_REVIEW, AWAITING_SITE, FAILED, NOT_SUBMITTED, PASSED, RETURNED)
from shared.template import fit_row_height
from year_fixtures import (AWAITING_REVIEW_2020, AWAITING_SITE_2020, CITY_PASSED_2020, DISTRICTS, FAILED_2020,
                           HYPERLINK, MARKED_DOWN, PASSED_2021, RECTIFICATION, RETURNED_2020, build_scenario)

FAILED_TOTAL = 100 - sum(RUBRIC.rule(rid).points for rid in MARKED_DOWN)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    year = build_scenario(tmp_path_factory.mktemp("scenario"))
    draw_sample(year.store, 2020, seed="测试")
    yield year
    year.close()


@pytest.fixture(scope="module")
def book2020(scenario, tmp_path_factory):
    path = write_annual_export(scenario.store, 2020, tmp_path_factory.mktemp("out") / "2020.xlsx")
    return path, openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def book2021(scenario, tmp_path_factory):
    path = write_annual_export(scenario.store, 2021, tmp_path_factory.mktemp("out") / "2021.xlsx")
    return path, openpyxl.load_workbook(path)


def unit_rows(ws) -> list[dict]:
    """The 名单's unit lines (those numbered in column A), by header label."""
    header = [c.value for c in ws[3]]
    return [dict(zip(header, (c.value for c in row))) | {"_row": row[0].row}
            for row in ws.iter_rows(min_row=4) if isinstance(row[0].value, int)]


def headings(ws) -> list[str]:
    return [row[0].value for row in ws.iter_rows(min_row=4)
            if isinstance(row[0].value, str) and re.match(r"^[一二三四五六七八九十]+、|^（[一二三四五六七八九十]+）", row[0].value)]


def test_sheets_are_chinese_and_in_order(book2020):
    _, wb = book2020
    assert wb.sheetnames == ["名单", "进度", "评分", "抽查"]


def test_list_has_all_76_roster_units_in_annex4_order_with_their_state(book2020):
    rows = unit_rows(book2020[1]["名单"])
    assert [r["单位名称"] for r in rows[:76]] == [u.name for u in ROSTER]
    assert [r["序号"] for r in rows] == list(range(1, len(rows) + 1))
    states = {r["单位名称"]: r["本年度状态"] for r in rows}
    expected = {name: PASSED for name in CITY_PASSED_2020} | {
        FAILED_2020: FAILED, RETURNED_2020: RETURNED, AWAITING_SITE_2020: AWAITING_SITE,
        AWAITING_REVIEW_2020: AWAITING_REVIEW}
    for unit in ROSTER:
        assert states[unit.name] == expected.get(unit.name, NOT_SUBMITTED), unit.name
    assert {r["创建年度"] for r in rows[:76]} == {2020, 2021, 2022}
    assert [r["创建年度"] for r in rows[:76]] == [u.year for u in ROSTER]


def test_list_groups_as_annex4_heads_them_then_districts_then_others(book2020):
    found = headings(book2020[1]["名单"])
    assert found == [
        "一、2020年创建单位（33家）", "（一）市委市政府大院办公单位（23家）", "（二）市人大大院办公单位（1家）",
        "（三）市政协大院办公单位（2家）", "（四）独立庭院单位（7家）",
        "二、2021年创建单位（28家）", "（一）独立庭院单位（12家）", "（二）市政协大院办公单位（7家）",
        "（三）合署办公单位（9家）",
        "三、2022年创建单位（15家）",
        "四、区县（市）创建单位（33家）", "（一）沅江市（3家）", "（二）资阳区（5家）", "（三）赫山区（25家）",
        "五、其他申报单位（不在创建名单中，1家）",
    ]


def test_list_shows_scores_opinions_and_district_units(book2020):
    rows = {r["单位名称"]: r for r in unit_rows(book2020[1]["名单"])}
    passed = rows["市委办公室"]
    assert (passed["自评分"], passed["重算得分"], passed["核定得分"], passed["累计建成"]) == (100, 100, 100, "2020年")
    assert passed["初审意见"].startswith("通过（张初审") and passed["实地验收意见"].startswith("通过：同意验收通过（王组长")
    failed = rows[FAILED_2020]
    assert failed["核定得分"] == FAILED_TOTAL and failed["累计建成"] is None
    assert failed["实地验收意见"].startswith(f"不通过：{RECTIFICATION}")
    assert rows[RETURNED_2020]["初审意见"].startswith("退回补正：佐证材料不全，请补正")
    assert rows[AWAITING_SITE_2020]["核定得分"] is None and rows[AWAITING_SITE_2020]["自评分"] == 100
    assert rows["市纪委市监委机关"]["自评分"] is None
    assert rows["市交通运输局"]["备注"] == "2021年创建单位"
    assert rows["赫山区第21机关"]["本年度状态"] == PASSED and rows["赫山区第22机关"]["本年度状态"] == NOT_SUBMITTED
    assert rows[HYPERLINK]["备注"] == "不在创建名单中"


def test_typed_text_stays_text_never_a_formula(book2020):
    path, wb = book2020
    name_cell = next(ws_row[1] for ws_row in wb["名单"].iter_rows(min_row=4) if ws_row[1].value == HYPERLINK)
    assert name_cell.data_type == "s" and name_cell.quotePrefix
    opinion = next(r for r in unit_rows(wb["名单"]) if r["单位名称"] == FAILED_2020)
    assert wb["名单"].cell(opinion["_row"], 9).data_type == "s"
    assert HYPERLINK in [row[1].value for row in wb["评分"].iter_rows(min_row=4)]
    with zipfile.ZipFile(path) as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 4
        for name in sheets:
            assert "<f>" not in zf.read(name).decode() and "<f " not in zf.read(name).decode(), name
    loaded = openpyxl.load_workbook(path, data_only=False)
    assert all(c.data_type != "f" for ws in loaded for row in ws.iter_rows() for c in row)


def test_carried_over_unit_shows_its_rectification_next_year(book2021):
    rows = {r["单位名称"]: r for r in unit_rows(book2021[1]["名单"])}
    carried = rows[FAILED_2020]
    assert carried["本年度状态"] == PASSED
    assert carried["备注"].startswith(f"2020年验收未通过，转入本年度评价；整改意见：{RECTIFICATION}")
    assert rows["市委办公室"]["本年度状态"] == NOT_SUBMITTED and rows["市委办公室"]["累计建成"] == "2020年"
    assert "已于2020年验收通过" in rows["市委办公室"]["备注"]


def progress_rows(ws) -> dict[str, list]:
    return {row[0].value: [c.value for c in row[1:6]] for row in ws.iter_rows(min_row=4, max_col=6)
            if isinstance(row[1].value, int)}


def test_progress_against_the_configured_targets(book2020, book2021):
    rows = progress_rows(book2020[1]["进度"])
    county_units = sum(n for n, _ in DISTRICTS.values())
    county_built = sum(k for _, k in DISTRICTS.values())
    assert rows[CATEGORY_CITY] == [76, 11, pytest.approx(11 / 76), pytest.approx(0.30), "未达标"]
    assert rows[f"{CATEGORY_COUNTY}（合计）"] == [county_units, county_built, pytest.approx(county_built / county_units),
                                              pytest.approx(0.20), "达标"]
    assert rows["其中：赫山区"][:2] == [25, 21] and rows["其中：赫山区"][4] == "达标"
    assert rows["其中：沅江市"] == [3, 0, 0, pytest.approx(0.20), "未达标"]
    assert rows["全市"] == [76 + county_units, 11 + county_built, pytest.approx(34 / 109), "未设目标", "—"]
    later = progress_rows(book2021[1]["进度"])
    built = 11 + 1 + len(PASSED_2021)  # cumulative: 2020's, the carried unit, 2021's
    assert later[CATEGORY_CITY] == [76, built, pytest.approx(built / 76), pytest.approx(0.50), "未达标"]
    ws = book2020[1]["进度"]
    assert ws.cell(4, 4).number_format == "0.0%" and ws.cell(4, 5).number_format == "0%"


def test_progress_compares_exactly_and_reads_targets_from_configuration(scenario, monkeypatch):
    data = gather(scenario.store, 2020)
    from shared import export

    # 3 of 10 built against 30 %: exactly on target meets it (a float 0.3 * 10 would not be exact).
    assert export.Progress("x", 10, 3, Decimal(30)).met is True
    assert export.Progress("x", 10, 2, Decimal(30)).met is False
    assert export.Progress("x", 0, 0, Decimal(30)).met is None
    monkeypatch.setitem(CITY.config.creation, 2020, {CATEGORY_CITY: Decimal("10")})
    city = progress(data)[0]
    assert (city.target, city.met) == (Decimal("10"), True)
    assert progress(data)[1].target is None


def test_progress_has_a_native_bar_chart_of_rate_and_target(book2020):
    path, _ = book2020
    with zipfile.ZipFile(path) as zf:
        charts = [n for n in zf.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1
        xml = zf.read(charts[0]).decode()
    assert "<barChart>" in xml and '<barDir val="bar"/>' in xml
    assert "'进度'!$D$4:$D$9" in xml and "'进度'!$E$4:$E$9" in xml and "'进度'!$A$4:$A$9" in xml
    assert "<tx><strRef><f>'进度'!D3</f>" in xml and "<tx><strRef><f>'进度'!E3</f>" in xml  # 建成率, 年度目标


def test_scores_sheet_has_every_submission_with_totals_counts_and_items(scenario, book2020):
    ws = book2020[1]["评分"]
    header = [c.value for c in ws[3]]
    assert header[:10] == ["序号", "单位名称", "版本", "状态", "自评分", "重算得分", "佐证支撑得分", "核定得分", "错误", "警告"]
    assert [h.split("\n")[0] for h in header[10:]] == [i.id for i in RUBRIC.items]
    rows = {r[1]: r for r in ws.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)}
    assert len(rows) == len(scenario.store.versions(year=2020))
    failed = rows[FAILED_2020]
    assert failed[3:10] == (FAILED, 100, 100, 100, FAILED_TOTAL, 0, 1)
    assert failed[10:] == tuple(int(i.cap) for i in RUBRIC.items)  # re-scored items: the claims
    assert rows[AWAITING_SITE_2020][7] is None  # nothing verified yet
    assert rows["赫山区第01机关"][3] == PASSED


def test_sample_sheet_lists_the_drawn_units_with_their_verified_results(scenario, book2020):
    ws = book2020[1]["抽查"]
    entries = scenario.store.sample(2020)
    values = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    detail = [r for r in values if isinstance(r[0], int)]
    assert [(r[1], r[2]) for r in detail] == [(e.district, e.unit.name) for e in entries]
    assert all(r[4] == 100 and r[5] == "是" and r[6] == "无" for r in detail)
    summary = {r[0]: list(r[2:5]) for r in values if r[0] in DISTRICTS}
    assert summary["赫山区"][:2] == [21, 2] and summary["资阳区"][:2] == [2, 0]  # 资阳区 has not filed: none drawn
    assert "沅江市" not in summary  # nothing passed, nothing to draw
    assert "测试" in values[1][0]


def test_header_rows_are_tall_enough_for_their_wrapped_labels(book2020):
    """创建年度, 核定得分, 达到80分 wrap to two lines in their narrow columns: no header row cuts one off."""
    for ws in book2020[1].worksheets:
        for (cell,) in ws.iter_rows(max_col=1):
            if cell.value != "序号":
                continue
            height = ws.row_dimensions[cell.row].height
            for label in ws[cell.row]:
                fit_row_height(ws, label)  # grows the row only if a label needs more
            assert ws.row_dimensions[cell.row].height == height, (ws.title, cell.row)


def test_sample_sheet_says_when_nothing_was_drawn(scenario, tmp_path):
    wb = openpyxl.load_workbook(write_annual_export(scenario.store, 2021, tmp_path / "x.xlsx"))
    assert "尚未抽取" in wb["抽查"]["A2"].value


def test_sheets_are_set_up_for_a4_printing(book2020):
    _, wb = book2020
    for ws, orientation in zip(wb, ("landscape", "portrait", "landscape", "portrait")):
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.page_setup.orientation == orientation
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.page_setup.fitToHeight == 0
        assert ws.print_area
    assert wb["名单"].print_title_rows == "$3:$3" and wb["评分"].print_title_rows == "$3:$3"
    cell = wb["名单"]["B10"]
    assert cell.font.name == "宋体" and cell.font.size >= 10 and cell.border.left.style == "thin"


def test_empty_year_still_exports(tmp_path):
    from year_fixtures import Year

    year = Year(tmp_path / "empty")
    try:
        wb = openpyxl.load_workbook(write_annual_export(year.store, 2022, tmp_path / "e.xlsx"))
        assert len(unit_rows(wb["名单"])) == 76
        assert "尚无申报" in wb["评分"]["A4"].value
        rows = progress_rows(wb["进度"])
        assert rows["全市"] == [76, 0, 0, pytest.approx(0.70), "未达标"]
    finally:
        year.close()
