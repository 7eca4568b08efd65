"""The template generator: names, committed template, formulas, protection, validation, write_named_values."""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from paging import assert_units_named_on_every_page
from shared.names import BASE_USES, EDITION, EVIDENCE_NAMES, ITEM_NAMES, SCORE_NAMES, TOTAL, USES, edition_names
from shared.rubric import CATEGORIES, CITY, CONFIG, RUBRIC
from shared.scoring import parse_year
from shared.template import (ALLOWED_FUNCTIONS, CONVERSION, FILING, PARAMS, SELF, YEAR_MAX, YEAR_MIN, build_template, named_cell,
                             workbook_bytes, write_named_values, write_template)

ALL_NAMES = edition_names(RUBRIC)  # the names of the default edition's template
COMMITTED = Path(__file__).resolve().parents[1] / "templates" / "自评表.xlsx"
SELF_NAMES = {TOTAL, *SCORE_NAMES, *EVIDENCE_NAMES, *ITEM_NAMES}
CONVERSION_NAMES = {*USES, *BASE_USES}
ONE_CELL = re.compile(r"^'([^']+)'!\$([A-Z]{1,3})\$(\d+)$")


@pytest.fixture(scope="module")
def template_path(tmp_path_factory) -> Path:
    return write_template(tmp_path_factory.mktemp("tpl") / "自评表.xlsx")


@pytest.fixture(scope="module")
def wb(template_path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(template_path)


def test_every_contract_name_is_a_workbook_name_of_one_cell_on_its_sheet(wb):
    for name in ALL_NAMES:
        assert name in wb.defined_names, name
        defined = wb.defined_names[name]
        assert defined.localSheetId is None, f"{name} is sheet-scoped"
        match = ONE_CELL.match(defined.attr_text)
        assert match, f"{name} -> {defined.attr_text} is not one absolute cell"
        sheet = (SELF if name in SELF_NAMES else PARAMS if name == EDITION else CONVERSION if name in CONVERSION_NAMES
                 else FILING)
        assert match.group(1) == sheet, name
    for ws in wb.worksheets:
        assert not ws.defined_names, f"sheet-scoped names on {ws.title}"


def test_named_cells_are_distinct_and_never_inside_a_merge(wb):
    cells = {}
    for name in ALL_NAMES:
        cell = named_cell(wb, name)
        key = (cell.parent.title, cell.coordinate)
        assert key not in cells, f"{name} and {cells.get(key)} share {key}"
        cells[key] = name
        for rng in cell.parent.merged_cells.ranges:
            if cell.coordinate in rng:
                assert (rng.min_row, rng.min_col) == (cell.row, cell.column), f"{name} is not a merge's top-left"


def test_rubric_layout_one_row_per_rule_in_rubric_order(wb):
    rows = [named_cell(wb, r.score_name).row for r in RUBRIC.rules]
    assert rows == list(range(rows[0], rows[0] + len(RUBRIC.rules)))
    for rule in RUBRIC.rules:
        assert named_cell(wb, rule.evidence_name).row == named_cell(wb, rule.score_name).row
    ws = wb[SELF]
    for item in RUBRIC.items:
        first = named_cell(wb, item.rules[0].score_name).row
        assert named_cell(wb, item.score_name).row == first
        if len(item.rules) > 1:  # the item's cells merged down its rules, as on the printed form
            item_cell = named_cell(wb, item.score_name).coordinate
            assert any(item_cell in r and r.max_row == first + len(item.rules) - 1 for r in ws.merged_cells.ranges)


def test_items_and_total_formulas_take_caps_from_the_rubric(wb):
    for item in RUBRIC.items:
        formula = named_cell(wb, item.score_name).value
        cap = format(item.cap.normalize(), "f")
        assert formula.startswith(f"=MIN({cap},SUM("), (item.id, formula)
    total = named_cell(wb, TOTAL).value
    assert total == "=SUM(" + ",".join(i.score_name for i in RUBRIC.items) + ")"


def test_claim_formulas_look_up_exactly_the_allowed_values(wb):
    ws = wb[SELF]
    for rule in RUBRIC.rules:
        cell = named_cell(wb, rule.score_name)
        helper = ws.cell(cell.row, cell.column + 3).value  # the hidden 核定分 column
        allowed = ",".join(format(a.normalize(), "f") for a in rule.allowed)
        assert f"LOOKUP({rule.score_name},{{{allowed}}})" in helper, rule.id
        if rule.computed:
            assert str(cell.value).startswith("="), rule.id
            assert f",{format(rule.points.normalize(), 'f')},0)" in cell.value


def test_params_sheet_holds_the_configured_targets(wb):
    ws = wb[PARAMS]
    assert ws.sheet_state == "hidden"
    years = sorted(CONFIG.energy)
    rows = [[c for c in row] for row in ws.iter_rows(min_row=3, max_row=2 + len(years), values_only=True)]
    assert [r[0] for r in rows] == years
    for row, year in zip(rows, years):
        assert [Decimal(str(v)) for v in row[1:4]] == list(CONFIG.energy[year].percent.values())


def test_template_year_bounds_are_parse_years(wb):
    assert parse_year(YEAR_MIN) == YEAR_MIN and parse_year(YEAR_MIN - 1) is None
    assert parse_year(YEAR_MAX) == YEAR_MAX and parse_year(YEAR_MAX + 1) is None


def _formulas(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    yield ws.title, cell.coordinate, str(cell.value)
        for rng in ws.conditional_formatting:
            for rule in rng.rules:
                for formula in rule.formula:
                    yield ws.title, str(rng.sqref), formula


def test_formulas_use_only_functions_every_engine_computes(wb):
    used = set()
    for sheet, where, formula in _formulas(wb):
        code = re.sub(r'"[^"]*"', '""', formula)  # ignore text inside string literals
        functions = set(re.findall(r"([A-Za-z_][A-Za-z0-9_.]*)\(", code))
        assert functions <= ALLOWED_FUNCTIONS, (sheet, where, functions - ALLOWED_FUNCTIONS)
        used |= functions
    assert {"LOOKUP", "IFERROR", "ISLOGICAL", "ROUND", "MIN", "LEN"} <= used


def test_inputs_unlocked_formulas_locked_sheets_protected(wb):
    inputs = [n for n in ALL_NAMES if not str(named_cell(wb, n).value or "").startswith("=")]
    computed_scores = {r.score_name for r in RUBRIC.computed_rules}
    for name in ALL_NAMES:
        cell = named_cell(wb, name)
        is_formula = cell.data_type == "f"
        expected_formula = name in ITEM_NAMES or name == TOTAL or name in computed_scores or name in (
            "energy_per_area", "energy_per_capita", "water_per_capita", "energy_tce", "base_energy_tce",
            "use_total_tce", "base_use_total_tce")
        assert is_formula == expected_formula, name
        assert cell.protection.locked == (is_formula or name == EDITION), name  # the edition is the template's own
    assert "score_2_2_5" in inputs and "evidence_2_2_5" in inputs
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        assert not ws.protection.password, ws.title
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert cell.protection.locked, (ws.title, cell.coordinate)


def _validations(ws, coordinate):
    return [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]


def test_every_score_input_has_a_list_of_its_allowed_values_and_a_red_mark(wb):
    ws = wb[SELF]
    marked = {str(rng.sqref): rng.rules for rng in ws.conditional_formatting}
    for rule in RUBRIC.rules:
        if rule.computed:
            continue
        cell = named_cell(wb, rule.score_name)
        (dv,) = _validations(ws, cell.coordinate)
        allowed = [format(a.normalize(), "f") for a in rule.allowed]
        assert dv.type == "list" and dv.formula1 == '"' + ",".join(allowed) + '"'
        assert dv.showErrorMessage and dv.error and "、".join(allowed) in dv.prompt
        assert re.search(r"[\u4e00-\u9fff]", dv.prompt + dv.error + dv.errorTitle + dv.promptTitle)
        (cf,) = marked[cell.coordinate]
        assert cf.dxf.fill is not None and all(f"<>{a}" in cf.formula[0] for a in allowed)


def test_category_and_year_have_validation(wb):
    ws = wb[FILING]
    (category,) = _validations(ws, named_cell(wb, "org_category").coordinate)
    assert category.formula1 == '"' + ",".join(CATEGORIES) + '"'
    (year,) = _validations(ws, named_cell(wb, "assess_year").coordinate)
    assert year.type == "whole" and int(year.formula1) < min(CONFIG.energy)


def test_print_setup_is_a4_portrait_one_page_wide_with_repeated_header(wb):
    for title in (FILING, SELF):
        ws = wb[title]
        assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "portrait"
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_area
    assert wb[SELF].print_title_rows


def test_a_unit_cut_by_a_page_break_is_named_on_both_pages(wb):
    rule_row = {rule.id: named_cell(wb, rule.score_name).row for rule in RUBRIC.rules}
    assert assert_units_named_on_every_page(wb[SELF], rule_row) >= 1


def test_rule_rows_are_tall_enough_for_their_text(wb):
    """A 评分规则 of n characters in a column of w points needs about n/(w/size) lines."""
    ws = wb[SELF]
    width_pt = (ws.column_dimensions["D"].width * 7 + 5) * 0.75
    for rule in RUBRIC.rules:
        cell = ws.cell(named_cell(wb, rule.score_name).row, 4)
        size = float(cell.font.size)
        assert size >= 10
        lines = len(str(cell.value)) * size / (width_pt - 6)
        assert ws.row_dimensions[cell.row].height >= lines * size * 1.3, rule.id


# --- the committed template is what build_template makes today ---------------------------------

def workbook_content(wb: openpyxl.Workbook) -> dict:
    """Everything that matters about a workbook, as plain data to compare."""
    content = {"names": {n: d.attr_text for n, d in wb.defined_names.items()}, "sheets": wb.sheetnames}
    for ws in wb.worksheets:
        content[ws.title] = {
            "cells": {c.coordinate: (c.value, c.data_type, c.protection.locked, c.number_format)
                      for row in ws.iter_rows() for c in row if c.value is not None or not c.protection.locked},
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "validations": sorted((str(dv.sqref), dv.type, dv.formula1, dv.formula2, dv.prompt, dv.error)
                                  for dv in ws.data_validations.dataValidation),
            "conditional": sorted((str(r.sqref), tuple(x.formula[0] for x in r.rules))
                                  for r in ws.conditional_formatting),
            "state": ws.sheet_state,
            "print": (ws.print_area, ws.print_title_rows, ws.page_setup.paperSize, ws.page_setup.orientation),
            "heights": {k: v.height for k, v in ws.row_dimensions.items() if v.height},
            "widths": {k: (v.width, v.hidden) for k, v in ws.column_dimensions.items()},
            "protected": ws.protection.sheet,
        }
    return content


def test_committed_template_is_what_the_generator_makes(template_path):
    assert COMMITTED.is_file(), "templates/自评表.xlsx is missing: run write_template"
    fresh = openpyxl.load_workbook(template_path)
    committed = openpyxl.load_workbook(COMMITTED)
    assert workbook_content(committed) == workbook_content(fresh), "regenerate templates/自评表.xlsx"


def test_builds_are_byte_identical_and_so_is_the_committed_file(template_path):
    assert workbook_bytes(build_template()) == workbook_bytes(build_template())
    # Same openpyxl and zlib as whoever committed it: then the bytes agree too (content is checked above).
    assert COMMITTED.read_bytes() == template_path.read_bytes(), "regenerate templates/自评表.xlsx"


# --- write_named_values -------------------------------------------------------------------------

def test_write_named_values_writes_by_name_and_keeps_formula_like_text_as_text(template_path, tmp_path):
    link = '=HYPERLINK("http://example.com","点我")'
    values = {"org_name": "益阳市机关事务管理局", "score_2_2_5": 3, "score_3_3_1": 2.5, "score_2_1_1": True,
              "score_2_1_2": "4", "evidence_2_2_5": link, "evidence_2_1_1": "制度/a.pdf\n制度/b.pdf",
              "assess_year": 2020, "base_energy_tce": Decimal("10.5"), "score_4_3_4": "#N/A"}
    out = write_named_values(template_path, tmp_path / "filled.xlsx", values)
    wb = openpyxl.load_workbook(out)
    for name, value in values.items():
        cell = named_cell(wb, name)
        assert cell.value == (float(value) if isinstance(value, Decimal) else value), name
    link_cell = named_cell(wb, "evidence_2_2_5")
    assert link_cell.data_type == "s" and link_cell.quotePrefix
    assert named_cell(wb, "score_4_3_4").data_type == "s"
    assert named_cell(wb, "score_2_1_2").data_type == "s"
    assert named_cell(wb, TOTAL).value.startswith("=SUM(")  # formulas untouched


def test_write_named_values_none_clears_and_unknown_names_fail(template_path, tmp_path):
    first = write_named_values(template_path, tmp_path / "a.xlsx", {"score_2_2_5": 4})
    second = write_named_values(first, tmp_path / "b.xlsx", {"score_2_2_5": None})
    assert named_cell(openpyxl.load_workbook(second), "score_2_2_5").value is None
    with pytest.raises(KeyError):
        write_named_values(template_path, tmp_path / "c.xlsx", {"no_such_name": 1})


def test_write_named_values_grows_rows_for_long_text(template_path, tmp_path):
    before = openpyxl.load_workbook(template_path)
    cell = named_cell(before, "evidence_2_1_1")
    height = before[SELF].row_dimensions[cell.row].height
    paths = "\n".join(f"2.1 管理机构/文件{i}.pdf" for i in range(12))
    out = write_named_values(template_path, tmp_path / "long.xlsx", {"evidence_2_1_1": paths})
    assert openpyxl.load_workbook(out)[SELF].row_dimensions[cell.row].height > max(height, 12 * 10)


def test_workbook_still_loads_after_round_trip(template_path, tmp_path):
    """openpyxl keeps names, validation and protection when write_named_values re-saves the template."""
    out = write_named_values(template_path, tmp_path / "rt.xlsx", {})
    fresh, again = workbook_content(openpyxl.load_workbook(template_path)), workbook_content(openpyxl.load_workbook(out))
    assert fresh == again


def test_the_template_carries_its_edition_and_says_which_it_is(wb):
    """CONTRACT: rubric_edition holds the name of the edition the template was generated from."""
    assert named_cell(wb, EDITION).value == RUBRIC.name == CITY.default_edition.name
    guide = " ".join(str(c.value) for row in wb["填表说明"].iter_rows() for c in row if c.value)
    assert RUBRIC.label in guide and RUBRIC.name in guide and "2020 年起的创建年度" in guide


def test_an_edition_that_is_not_installed_is_refused(tmp_path):
    with pytest.raises(KeyError, match="没有名为“2099版”的评价指标版本"):
        write_template(tmp_path / "x.xlsx", "2099版")
