"""The 自评表 template workbook (附件2 备案表 + 附件3 自评表), generated from the rubric and targets.

Its formulas re-score exactly as shared/scoring.py does, using only functions that Excel 2010+, WPS and
LibreOffice all compute. Every cell the CONTRACT names is a workbook-scoped defined name.
"""
from __future__ import annotations

import datetime
import io
import math
import unicodedata
import zipfile
from copy import copy
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

import openpyxl
from openpyxl.cell.cell import Cell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.writer.excel import ExcelWriter

from .energy import CARRIERS, ENERGY, EnergyConfig, energy_name, total_name, typed_name
from .names import (ACHIEVEMENTS_RANGE, DERIVED, EDITION, FIGURES, LONG_TEXTS, ORG_PROFILE_MAX, TEXT_FIELDS, TOTAL,
                    YEAR_FIELD)
from .rubric import BONUS, CITY, GATE, INDICATORS, SCORED, City, Config, Rubric, Rule
from .numbers import shown
from .scoring import DECLINE_PLACES, pass_rule_text

FILING = "备案表"
CONVERSION = "能耗折算"
SELF = "自评表"
GUIDE = "填表说明"
PARAMS = "参数"
EVIDENCE_FOLDER = "佐证材料"

# scoring.parse_year reads only years in this range; outside it the first configured year's targets apply.
# tests/test_template.py checks these against parse_year itself.
YEAR_MIN, YEAR_MAX = 1900, 2200

# Fixed document dates, so that two builds of the template are byte-identical.
BUILD_TIME = datetime.datetime(2020, 1, 1, 0, 0, 0)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# --- looks ------------------------------------------------------------------------------------

FONT_NAME = "宋体"  # SimSun; Office/WPS have it, LibreOffice substitutes a CJK font (Noto CJK) for it
BODY_PT = 11
SMALL_PT = 10.5  # notes and hints only; the form itself is BODY_PT
TITLE_PT = 18
LINE_FACTOR = 1.4  # line height / font size; Noto CJK, LibreOffice's stand-in for 宋体, runs ~1.36
CELL_PAD_PT = 6

THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
INPUT_FILL = PatternFill("solid", fgColor="FFF9E5")  # pale yellow: "fill me in" (prints as near white)
FORMULA_FILL = PatternFill("solid", fgColor="EEF3FA")
INVALID_FILL = PatternFill("solid", fgColor="FFC7CE", bgColor="FFC7CE")
UNLOCKED = Protection(locked=False)
LOCKED = Protection(locked=True)


def _font(size: float = BODY_PT, bold: bool = False, color: str | None = None) -> Font:
    return Font(name=FONT_NAME, size=size, bold=bold, color=color, charset=134)  # 134 = GB2312: a CJK font


def _align(h: str = "center", v: str = "center", wrap: bool = True) -> Alignment:
    return Alignment(horizontal=h, vertical=v, wrap_text=wrap)


def _number_text(value: Decimal) -> str:
    """A rubric number as it appears in a formula or label: 4, 2.5 (never 4.0 or 1E+1)."""
    return shown(value)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _computed_sentence(rubric: Rubric) -> str:
    """What the 填表说明 says of the rules worked out from the 备案表 figures."""
    parts = []
    for item in rubric.items:
        rules = [r for r in item.rules if r.computed]
        if rules:
            how = "与同类单位平均值比较" if any(r.bands for r in rules) else "按创建年度的下降目标"
            parts.append(f"“{item.name}”{chinese_count(len(rules))}项由备案表能耗数据{how}自动计算")
    return ("；".join(parts) + "，不能手工填写。") if parts else ""


def chinese_count(n: int) -> str:
    return "一二三四五六七八九十"[n - 1] if 1 <= n <= 10 else str(n)


GATE_FORMAT = '[=1]"符合";[=0]"不符合";General'  # a gate's 1/0 as people read it


def _cap_text(part) -> str:
    """A unit's or item's points under its name: （10分）, （必须完成）, （附加 10 分）."""
    if part.kind == GATE:
        return "（必须完成）"
    if part.kind == BONUS:
        return f"（附加{_number_text(part.cap)}分）"
    return f"（{_number_text(part.cap)}分）"


def _stacked(name: str, per_line: int = 4) -> str:
    """A unit or item name in lines of four characters, as the printed 附件3 sets them (完善制度/机制)."""
    return "\n".join(name[i:i + per_line] for i in range(0, len(name), per_line))


def absolute(sheet: str, cell: str) -> str:
    col, row = openpyxl.utils.cell.coordinate_from_string(cell)
    return f"{quote_sheetname(sheet)}!${col}${row}"


# --- formula pieces (shared by the template and its tests' allow-list) -------------------------

ALLOWED_FUNCTIONS = frozenset(
    {"IF", "IFERROR", "ISNUMBER", "ISLOGICAL", "AND", "OR", "NOT", "LOOKUP", "MIN", "MAX", "SUM", "ROUND", "ROUNDDOWN",
     "INT", "LEN", "TRIM"}
)


def is_real_number(ref: str) -> str:
    """A number and not a boolean. LibreOffice stores TRUE as 1 with a boolean format, so ISNUMBER alone
    would count it; the core (as_number) counts no boolean, nor text that looks like a number."""
    return f"AND(ISNUMBER({ref}),NOT(ISLOGICAL({ref})))"


def is_positive(ref: str) -> str:
    return f"AND(ISNUMBER({ref}),NOT(ISLOGICAL({ref})),{ref}>0)"


def claim_score_formula(rule: Rule, ref: str) -> str:
    """scoring.score_claim: LOOKUP gives the largest allowed value <= the claim (the max above the max),
    #N/A below 0; text, booleans, blanks and errors score 0."""
    allowed = ",".join(_number_text(a) for a in rule.allowed)
    return f"=IF({is_real_number(ref)},IFERROR(LOOKUP({ref},{{{allowed}}}),0),0)"


def indicator_formula(numerator: str, denominator: str, factor: int) -> str:
    """kgce/人 and the like; "" when a figure is missing, zero, negative or not a number."""
    value = f"{numerator}*{factor}/{denominator}" if factor != 1 else f"{numerator}/{denominator}"
    return f'=IFERROR(IF(AND({is_positive(numerator)},{is_positive(denominator)}),{value},""),"")'


# Decimal places the spreadsheet's decline is first rounded to, to shed floating-point noise (see rounded_decline).
NOISE_PLACES = 14


def rounded_decline(now: str, base: str) -> str:
    """scoring.rounded_decline in spreadsheet arithmetic: the decline rounded half up (ROUND rounds half
    away from zero in Excel, WPS and LibreOffice alike) to 10 places.

    Doubles carry the decline to within about 10⁻¹⁵ of its exact value, so a decline that is exactly half
    way at the 11th digit (0.01999999995, from figures such as 20 and 19.600000001 tce) can come out as
    0.019999999949999923 and round down where the exact rule rounds up. Rounding to 14 places first puts
    it back on 0.01999999995. What remains apart from the exact rule is a decline within 5·10⁻¹⁵ of such a
    half-way point without being on it, which takes figures of 15 and more significant digits."""
    return f"ROUND(ROUND(({base}-{now})/{base},{NOISE_PLACES}),{DECLINE_PLACES})"


def target_met(now: str, base: str, target: str) -> str:
    """scoring.meets_target, the CONTRACT's declared precision: the rounded decline is at least the target.
    The target (a percent with at most 8 decimals, so a share with at most 10) is rounded too, so that both
    sides are the nearest doubles to 10-place decimals and compare as those decimals do."""
    return f"{rounded_decline(now, base)}>=ROUND({target}/100,{DECLINE_PLACES})"


def decline_formula(now: str, base: str, target: str, places: int) -> str:
    """The decline as the 备案表 shows it (a percent with `places` decimals): as the rule rounds it when it
    meets the target, cut down (never rounded up) when it misses, so a miss never reads as the target."""
    fall = f"({base}-{now})/{base}"
    shown = (f"IF({target_met(now, base, target)},{rounded_decline(now, base)},"
             f"IF({fall}>=0,ROUNDDOWN({fall},{places + 2}),{fall}))")
    return f'=IFERROR(IF(AND(ISNUMBER({now}),ISNUMBER({base})),{shown},""),"")'


def decline_number_format(places: int) -> str:
    """下降 2.50% / 上升 0.66%: a rise is never printed as a negative decline."""
    digits = "0." + "0" * places if places else "0"
    return f'"下降 "{digits}%;"上升 "{digits}%'


def is_blank_cell(ref: str) -> str:
    """scoring.is_blank: empty, or only spaces."""
    return f"LEN(TRIM({ref}))=0"


def carrier_tce_formula(ref: str, kgce_per_unit: str) -> str:
    """energy.convert, one carrier: a number >= 0 converts; blank shows nothing; anything else is flagged."""
    usable = f"AND({is_real_number(ref)},{ref}>=0)"
    return f'=IFERROR(IF({usable},{ref}*{kgce_per_unit}/1000,IF({is_blank_cell(ref)},"","有误")),"有误")'


def filled_formula(refs: list[str]) -> str:
    """energy.convert's `filled`: any carrier holds anything (an error value counts as something)."""
    return "=IFERROR(OR(" + ",".join(f"NOT({is_blank_cell(r)})" for r in refs) + "),TRUE)"


def use_total_formula(refs: list[str], tce_cells: str, filled: str) -> str:
    """energy.convert's total: blank when nothing is filled or any filled carrier is not a number >= 0."""
    usable = ",".join(f"OR({is_blank_cell(r)},AND({is_real_number(r)},{r}>=0))" for r in refs)
    return f'=IFERROR(IF({filled},IF(AND({usable}),SUM({tce_cells}),""),""),"")'


def adopted_energy_formula(filled: str, total: str, typed: str) -> str:
    """energy.adopted_energy: the 能耗折算 total when any carrier is filled, else the typed total (a real
    number only, so that the 1.1 formulas see what the checker sees)."""
    return f'=IFERROR(IF({filled},{total},IF({is_real_number(typed)},{typed},"")),"")'


def energy_score_formula(rule: Rule, now: str, base: str, target: str) -> str:
    """scoring.energy_rule_score."""
    points = _number_text(rule.points)
    return f"=IFERROR(IF(AND(ISNUMBER({now}),ISNUMBER({base})),IF({target_met(now, base, target)},{points},0),0),0)"


def band_formula(rule: Rule, indicator: str, average: str) -> str:
    """scoring.band_rule_score: the ratio of this year's indicator to the same-type average, rounded as a
    decline is, falls in a band: above < ratio <= up_to (the bands run on without a gap, validated at load)."""
    ratio = f"ROUND(ROUND({indicator}/{average},{NOISE_PLACES}),{DECLINE_PLACES})"
    points = _number_text(rule.bands[-1].points)
    for band in reversed(rule.bands[:-1]):
        points = f"IF({ratio}<={_number_text(band.up_to)},{_number_text(band.points)},{points})"
    usable = f"AND(ISNUMBER({indicator}),ISNUMBER({average}),{average}>0)"
    return f"=IFERROR(IF({usable},{points},0),0)"


def deduction_formula(rule: Rule, count: str) -> str:
    """scoring.score_deduction: points less deduct per missing requirement, down to 0; a count between whole
    numbers counts the next one up (-INT(-x) is x rounded up); blank, text or a negative count scores 0."""
    missing = f"(-INT(-{count}))"
    return (f"=IF({is_real_number(count)},IF({count}<0,0,"
            f"MAX(0,{_number_text(rule.points)}-{_number_text(rule.deduct)}*{missing})),0)")


def skipped_test(skip_name: str) -> str:
    """An item marked 不适用 (checks.skipped_items): exactly that text, spaces around it aside."""
    return f'TRIM({skip_name})="不适用"'


def target_formula(year: str, years: str, percents: str, first: str) -> str:
    """CONFIG.energy_targets(parse_year(year)): the latest configured year <= year; the first year's when
    the year is blank, text, out of parse_year's range, or before the first configured year."""
    usable = f"AND({is_real_number(year)},{year}>={YEAR_MIN},{year}<={YEAR_MAX})"
    return f"=IFERROR(IF({usable},LOOKUP({year},{years},{percents}),{first}),{first})"


# --- sizing: openpyxl does not autosize, so estimate what the text needs --------------------------

A4_POINTS = (595.3, 841.9)
PAGE_SLACK = 24  # points kept free on each page: LibreOffice's and Excel's layouts differ a little


def print_scale(ws, last_col: int) -> float:
    """The fit-to-width scale with the columns as Excel measures them (Calibri's digit width).

    LibreOffice without Calibri or Carlito measures columns wider and shrinks more, so pages laid out
    at this scale only hold more there, never less.
    """
    margins = ws.page_margins
    widths = sum(column_points(ws.column_dimensions[get_column_letter(c)].width) for c in range(1, last_col + 1))
    printable = A4_POINTS[0] - (margins.left + margins.right) * 72
    return min(1.0, printable / widths)


def page_starts(ws, blocks: list[tuple[int, int]], repeated: tuple[int, int], last_col: int) -> list[int]:
    """The rows that begin a new printed page, always between blocks of rows, so no merged item (nor the
    signatures) is cut in two.

    Every row height is set explicitly, so the pages can be laid out here from the heights and the scale.
    """
    margins = ws.page_margins
    usable = (A4_POINTS[1] - (margins.top + margins.bottom) * 72) / print_scale(ws, last_col) - PAGE_SLACK

    def height(first: int, last: int) -> float:
        return sum(ws.row_dimensions[r].height or 15 for r in range(first, last + 1))

    starts = []
    used = height(1, blocks[0][0] - 1)
    for first, last in blocks:
        needed = height(first, last)
        if used + needed > usable and used > height(*repeated):
            starts.append(first)
            used = height(*repeated)
        used += needed
    return starts


def _cut(first: int, last: int, starts: list[int]) -> list[tuple[int, int]]:
    """Rows first..last as the printed pages cut them."""
    edges = [first] + [s for s in starts if first < s <= last] + [last + 1]
    return [(a, b - 1) for a, b in zip(edges, edges[1:])]


def column_points(width: float) -> float:
    """A column width (in characters of the default font) as printed points."""
    return (width * 7 + 5) * 0.75


def text_lines(text: str, width_pt: float, font_pt: float) -> int:
    """Wrapped lines a text needs: CJK and full-width characters take one em, others half."""
    per_line = max(1.0, (width_pt - CELL_PAD_PT) / font_pt)
    lines = 0
    for paragraph in str(text).replace("\r", "").split("\n"):
        ems = sum(1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.55 for ch in paragraph)
        lines += max(1, math.ceil(ems / per_line))
    return lines


def lines_height(lines: int, font_pt: float) -> float:
    return round(lines * font_pt * LINE_FACTOR + CELL_PAD_PT, 1)


def _merged_range(ws, cell: Cell):
    for rng in ws.merged_cells.ranges:
        if cell.coordinate in rng:
            return rng
    return None


def _cell_width_pt(ws, cell: Cell) -> tuple[float, int]:
    """The printed width of a cell (all its merged columns) and how many rows it spans."""
    rng = _merged_range(ws, cell)
    cols = range(rng.min_col, rng.max_col + 1) if rng else [cell.column]
    rows = (rng.max_row - rng.min_row + 1) if rng else 1
    width = sum(column_points(ws.column_dimensions[get_column_letter(c)].width or 8.43) for c in cols)
    return width, rows


def fit_row_height(ws, cell: Cell, minimum: float = 0) -> None:
    """Grow the cell's row so its wrapped text is not cut off on screen or on paper; never shrink."""
    if cell.value is None or (cell.data_type == "f"):
        return
    width, rows = _cell_width_pt(ws, cell)
    size = float(cell.font.size or BODY_PT) if cell.font else BODY_PT
    needed = max(minimum, lines_height(text_lines(str(cell.value), width, size), size)) / rows
    current = ws.row_dimensions[cell.row].height or 0
    if needed > current:
        ws.row_dimensions[cell.row].height = min(409.0, round(needed, 1))


# --- the workbook --------------------------------------------------------------------------------

class _Builder:
    def __init__(self, rubric: Rubric, config: Config, city: City = CITY, energy: EnergyConfig = ENERGY):
        self.rubric = rubric
        self.config = config
        self.city = city
        self.categories = city.categories.all
        self.energy = energy
        self.wb = openpyxl.Workbook()
        self.names: dict[str, str] = {}  # name -> absolute reference

    # small helpers
    def name(self, name: str, sheet: str, cell: str) -> str:
        if name in self.names:
            raise ValueError(f"defined name {name} twice")
        ref = absolute(sheet, cell)
        self.names[name] = ref
        self.wb.defined_names[name] = DefinedName(name, attr_text=ref)
        return name

    @staticmethod
    def put(ws, cell: str, value: Any, *, font: Font | None = None, align: Alignment | None = None,
            border: bool = True, fill: PatternFill | None = None, locked: bool = True, fmt: str | None = None):
        c = ws[cell]
        c.value = value
        c.font = font or _font()
        c.alignment = align or _align()
        if border:
            c.border = BOX
        if fill:
            c.fill = fill
        c.protection = LOCKED if locked else UNLOCKED
        if fmt:
            c.number_format = fmt
        return c

    @staticmethod
    def merge(ws, cells: str, border: bool = True) -> None:
        ws.merge_cells(cells)
        if border:  # a merged range prints the borders of every cell in it
            for row in ws[cells]:
                for c in row:
                    c.border = BOX

    def build(self) -> openpyxl.Workbook:
        wb = self.wb
        wb.remove(wb.active)
        filing = wb.create_sheet(FILING)
        conversion = wb.create_sheet(CONVERSION)
        self_sheet = wb.create_sheet(SELF)
        guide = wb.create_sheet(GUIDE)
        params = wb.create_sheet(PARAMS)
        self.build_params(params)
        self.build_filing(filing)
        self.build_conversion(conversion)
        self.build_self(self_sheet)
        self.build_outcome(params)
        self.build_guide(guide)
        wb.active = 0
        props = wb.properties
        props.creator = "节约型机关创建评价系统"
        props.lastModifiedBy = "节约型机关创建评价系统"
        props.title = f"{self.city.name}节约型机关创建自评表"
        props.created = BUILD_TIME
        props.modified = BUILD_TIME
        return wb

    # 参数: the yearly energy targets that the 1.1 formulas look up
    def build_params(self, ws) -> None:
        ws.sheet_state = "hidden"
        keys = list(INDICATORS)
        ws["A1"] = "能源资源消耗量化指标（下降目标，%）：按创建年度查找，不足首年的用首年"
        ws["A2"] = "年度"
        for col, key in enumerate(keys, start=2):
            ws.cell(2, col, f"{INDICATORS[key].label}（{INDICATORS[key].unit}）")
        years = sorted(self.config.energy)
        first_row, last_row = 3, 2 + len(years)
        for row, year in enumerate(years, start=first_row):
            ws.cell(row, 1, year)
            for col, key in enumerate(keys, start=2):
                ws.cell(row, col, _number(self.config.energy[year].percent[key]))
        # The targets in force for the assessed year.
        at = last_row + 2
        ws.cell(at, 1, "本年度适用目标（%）")
        self.target_names = {}
        for col, key in enumerate(keys, start=2):
            letter = get_column_letter(col)
            years_ref = f"$A${first_row}:$A${last_row}"
            pct_ref = f"${letter}${first_row}:${letter}${last_row}"
            cell = f"{letter}{at}"
            ws[cell] = target_formula("assess_year", years_ref, pct_ref, f"${letter}${first_row}")
            self.target_names[key] = self.name(f"target_{key}", PARAMS, cell)
        # The edition this template was generated from: the checker tells a unit that filled an old one.
        ws.cell(at + 2, 1, "评价指标版本")
        self.put(ws, f"B{at + 2}", self.rubric.name, fill=FORMULA_FILL, border=False)
        self.name(EDITION, PARAMS, f"B{at + 2}")
        self.params_row = self.build_coefficient_params(ws, at + 4)  # the rows below are the edition's
        self.benchmark_names = self.build_benchmarks(ws)
        ws.column_dimensions["A"].width = 24
        for col in range(2, 2 + max(len(keys), len(CARRIERS))):
            ws.column_dimensions[get_column_letter(col)].width = 26
        ws.protection.sheet = True

    def build_coefficient_params(self, ws, top: int) -> int:
        """The yearly 折标准煤系数 (energy.toml): kgce per unit filled in, and the text printed beside each;
        then the ones in force for the assessed year, and whether each year is filled by carrier. Returns the
        first row left free below them."""
        ws.cell(top, 1, "折标准煤系数（kgce/填报计量单位）及依据：按创建年度查找，不足首年的用首年")
        ws.cell(top + 1, 1, "年度")
        for col, carrier in enumerate(CARRIERS, start=2):
            ws.cell(top + 1, col, f"{carrier.label}（{carrier.unit}）")
        years = sorted(self.energy.conversion)
        first, last = top + 2, top + 1 + len(years)
        for row, year in enumerate(years, start=first):
            ws.cell(row, 1, year)
            ws.cell(row + len(years) + 1, 1, year)
            for col, carrier in enumerate(CARRIERS, start=2):
                coefficient = self.energy.conversion[year].coefficients[carrier.key]
                ws.cell(row, col, _number(coefficient.kgce_per_unit))
                ws.cell(row + len(years) + 1, col, f"{coefficient.text}；{coefficient.source}")
        text_first, text_last = first + len(years) + 1, last + len(years) + 1
        ws.cell(text_first - 1, 1, "依据（文字）")
        at = text_last + 2
        ws.cell(at, 1, "本年度适用系数")
        ws.cell(at + 1, 1, "本年度适用依据")
        self.coefficient_names, self.source_cells = {}, {}
        for col, carrier in enumerate(CARRIERS, start=2):
            letter = get_column_letter(col)
            years_ref = f"$A${first}:$A${last}"
            ws[f"{letter}{at}"] = target_formula("assess_year", years_ref, f"${letter}${first}:${letter}${last}",
                                                 f"${letter}${first}")
            self.coefficient_names[carrier.key] = self.name(f"kgce_per_{carrier.key}", PARAMS, f"{letter}{at}")
            text_years = f"$A${text_first}:$A${text_last}"
            ws[f"{letter}{at + 1}"] = target_formula("assess_year", text_years,
                                                     f"${letter}${text_first}:${letter}${text_last}",
                                                     f"${letter}${text_first}")
            self.source_cells[carrier.key] = absolute(PARAMS, f"{letter}{at + 1}")
        # Whether any carrier of a year is filled: energy_tce takes the 能耗折算 total then.
        ws.cell(at + 3, 1, "上年度按能源品种填写")
        ws.cell(at + 4, 1, "创建年度按能源品种填写")
        ws[f"B{at + 3}"] = filled_formula([c.name(base=True) for c in CARRIERS])
        ws[f"B{at + 4}"] = filled_formula([c.name() for c in CARRIERS])
        self.filled_names = {True: self.name("base_use_filled", PARAMS, f"B{at + 3}"),
                             False: self.name("use_filled", PARAMS, f"B{at + 4}")}
        return at + 6

    def build_benchmarks(self, ws) -> dict[str, str]:
        """The same-type averages the edition's benchmark bands compare with (targets.toml [benchmarks]), by year
        and 单位类别, and for each indicator a named cell with the one in force (as Config.benchmark finds it)."""
        indicators = list(dict.fromkeys(r.indicator for r in self.rubric.rules if r.bands))
        if not indicators:
            return {}
        row = self.params_row
        benchmarks = self.config.benchmarks
        years = sorted(benchmarks) or [min(self.config.energy)]
        keys = [*self.city.categories.all, "*"]
        ws.cell(row, 1, "同类单位平均值：按创建年度查找，不足首年的用首年；“*”为各类别通用。来源："
                + "；".join(f"{y} 年 {benchmarks[y].source}" for y in sorted(benchmarks)))
        row += 1
        ws.cell(row, 1, "年度")
        columns = {}
        col = 2
        for indicator in indicators:
            for key in keys:
                ws.cell(row, col, f"{key} · {INDICATORS[indicator].label}")
                columns[(indicator, key)] = get_column_letter(col)
                col += 1
        first, last = row + 1, row + len(years)
        for r, year in enumerate(years, start=first):
            ws.cell(r, 1, year)
            table = benchmarks.get(year)
            for (indicator, key), letter in columns.items():
                value = table.values.get(key, {}).get(indicator) if table else None
                if value is not None:
                    ws[f"{letter}{r}"] = _number(value)
        at = last + 2
        ws.cell(at, 1, "本年度适用的同类平均值")
        names = {}
        year = "assess_year"
        for n, indicator in enumerate(indicators):
            def pick(key: str) -> str:
                # As the targets are looked up: a year before the first, or none, takes the first year's.
                letter = columns[(indicator, key)]
                return target_formula(year, f"$A${first}:$A${last}", f"${letter}${first}:${letter}${last}",
                                      f"${letter}${first}")[1:]
            star = pick("*")
            chosen = star
            for key in reversed(self.city.categories.all):
                chosen = f'IF(TRIM(org_category)="{key}",IF({pick(key)}>0,{pick(key)},{star}),{chosen})'
            cell = f"{get_column_letter(2 + n)}{at}"
            ws[cell] = f'=IFERROR(IF({chosen}>0,{chosen},""),"")'
            names[indicator] = self.name(f"benchmark_{indicator}", PARAMS, cell)
        self.params_row = at + 2
        return names

    def build_outcome(self, ws) -> None:
        """What the edition asks besides the total, worked out where the unit does not see the formulas: the
        points that apply (不评分 items left out), whether the unit qualifies (pass mark, gates, ★, further
        conditions) and its grade — scoring.ScoreCard.qualifies and .grade."""
        rubric, row = self.rubric, self.params_row
        base = _number_text(rubric.total)
        skips = [f"IF({skipped_test(i.skip_name)},{_number_text(i.cap)},0)" for i in rubric.items
                 if i.may_skip and i.kind == SCORED]
        ws.cell(row, 1, "适用的基础分（不评分项目不计）")
        ws[f"B{row}"] = f"={base}-SUM({','.join(skips)})" if skips else f"={base}"
        applicable = self.name("applicable_points", PARAMS, f"B{row}")

        def reaches(at: Decimal) -> str:  # total × base ≥ at × applicable: the pass mark judged on what applies
            return f"ROUND({TOTAL}*{base},6)>=ROUND({_number_text(at)}*{applicable},6)"

        tests = [f"{applicable}>0", reaches(rubric.qualify_at)]
        tests += [f"{i.score_name}=1" for i in rubric.items if i.gate]
        tests += [f"{i.score_name}>0" for i in rubric.items if i.star]
        for rule in rubric.rules:
            if rule.star:
                item = rubric.item(rule.item_id)
                score = self.rule_cells[rule.id]
                tests.append(f"OR({skipped_test(item.skip_name)},{score}>0)" if item.may_skip else f"{score}>0")
        for condition in rubric.conditions:
            unit = next(u for u in rubric.units if u.id == condition.unit_id)
            tests.append(f"ROUND(SUM({','.join(i.score_name for i in unit.items)}),6)>={_number_text(condition.at)}")
        ws.cell(row + 1, 1, "是否符合申报条件（1 是，0 否）")
        ws[f"B{row + 1}"] = f"=IFERROR(IF(AND({','.join(tests)}),1,0),0)"
        qualifies = self.name("qualifies", PARAMS, f"B{row + 1}")
        grade = '""'
        for g in reversed(rubric.grades):
            grade = f'IF({reaches(g.at)},"{g.name}",{grade})'
        ws.cell(row + 2, 1, "等级")
        ws[f"B{row + 2}"] = f'=IFERROR(IF({qualifies}=1,{grade},""),"")'
        self.name("grade", PARAMS, f"B{row + 2}")

    # 备案表 (附件2)
    def build_filing(self, ws) -> None:
        widths = [13] * 6
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
        put, merge = self.put, self.merge
        label_font = _font(BODY_PT, bold=True)
        row_h = 30

        put(ws, "A1", f"{self.city.name}节约型机关创建备案表", font=_font(TITLE_PT, bold=True), border=False)
        merge(ws, "A1:F1", border=False)
        ws.row_dimensions[1].height = 42

        def field(label: str, name: str, value_cells: str, label_cell: str) -> None:
            put(ws, label_cell, label, font=label_font)
            first = value_cells.split(":")[0]
            put(ws, first, None, align=_align("left"), fill=INPUT_FILL, locked=False)
            merge(ws, value_cells)
            self.name(name, FILING, first)

        labels = {**TEXT_FIELDS, **YEAR_FIELD}
        field(labels["org_name"], "org_name", "B2:C2", "A2")
        field(labels["org_category"], "org_category", "E2:F2", "D2")
        field(labels["org_address"], "org_address", "B3:F3", "A3")
        field(labels["contact_name"], "contact_name", "B4:C4", "A4")
        field(labels["contact_phone"], "contact_phone", "E4:F4", "D4")
        field(labels["assess_year"], "assess_year", "B5:C5", "A5")
        put(ws, "D5", "填写评价的年度（如 2020），本表能耗数据按该年度及其上一年度填写", font=_font(SMALL_PT),
            align=_align("left"))
        merge(ws, "D5:F5")
        for row in range(2, 6):
            ws.row_dimensions[row].height = row_h
        ws.row_dimensions[5].height = 36

        # The figures of both years and what they give.
        header = ("项目", None, "上年度\n（基数）", "创建年度", "较上年", "本年度下降目标")
        for col, text in enumerate(header, start=1):
            if text:
                put(ws, f"{get_column_letter(col)}6", text, font=label_font)
        merge(ws, "A6:B6")
        ws.row_dimensions[6].height = row_h
        row = 7
        input_rows = []
        for name, label in FIGURES.items():
            if name == energy_name():
                # Typed here, or filled by carrier on the 能耗折算 sheet; the row below shows which counts.
                self.figure_row(ws, row, typed_name(), f"{label}\n直接填写", formula=None,
                                note=f"按账单分能源品种填写的，请填《{CONVERSION}》表，此行可不填")
                input_rows.append(row)
                row += 1
                self.figure_row(ws, row, name, "计入考核的\n综合能耗（tce）",
                                formula=lambda base: adopted_energy_formula(
                                    self.filled_names[base], total_name(base), typed_name(base)),
                                note=f"自动：填了《{CONVERSION}》表的取其合计，否则取直接填写的总量")
            else:
                self.figure_row(ws, row, name, label, formula=None)
                input_rows.append(row)
            row += 1
        for key, label in DERIVED.items():
            indicator = INDICATORS[key]
            put(ws, f"A{row}", label, font=label_font)
            merge(ws, f"A{row}:B{row}")
            for col, prefix in (("C", "base_"), ("D", "")):
                put(ws, f"{col}{row}",
                    indicator_formula(prefix + indicator.numerator, prefix + indicator.denominator, indicator.factor),
                    fill=FORMULA_FILL, fmt="#,##0.00")
                self.name(prefix + key, FILING, f"{col}{row}")
            places = self.decline_places()
            put(ws, f"E{row}", decline_formula(key, f"base_{key}", self.target_names[key], places),
                fill=FORMULA_FILL, fmt=decline_number_format(places))
            put(ws, f"F{row}", f"={self.target_names[key]}", fill=FORMULA_FILL, fmt='0.0#"%"')
            ws.row_dimensions[row].height = row_h
            row += 1

        # The two long texts, each with a live character count.
        low, high = ACHIEVEMENTS_RANGE
        texts = (
            ("org_profile", f"{LONG_TEXTS['org_profile']}：（{ORG_PROFILE_MAX}字以内）", ORG_PROFILE_MAX,
             f"（{ORG_PROFILE_MAX}字以内）"),
            ("achievements", f"{LONG_TEXTS['achievements']}：（{low}-{high}字左右）", high, f"（{low}-{high}字）"),
        )
        for name, label, most, limit in texts:
            if name == "achievements":  # its own page, with the stamps: page 1 is the unit and its figures
                ws.row_breaks.append(Break(id=row - 1))
            put(ws, f"A{row}", label, font=label_font, align=_align("left"))
            merge(ws, f"A{row}:D{row}")
            put(ws, f"E{row}", f'="已填 "&LEN({name})&" 字{limit}"', font=_font(SMALL_PT), align=_align("right"))
            merge(ws, f"E{row}:F{row}")
            ws.row_dimensions[row].height = 24
            fit_row_height(ws, ws[f"A{row}"])  # the longer label wraps to two lines
            put(ws, f"A{row + 1}", None, align=_align("left", "top"), fill=INPUT_FILL, locked=False)
            merge(ws, f"A{row + 1}:F{row + 1}")
            self.name(name, FILING, f"A{row + 1}")
            width = sum(column_points(w) for w in widths)
            ws.row_dimensions[row + 1].height = lines_height(text_lines("字" * most, width, BODY_PT), BODY_PT)
            row += 2

        # The three stamp boxes.
        stamps = ("公共机构节能管理部门\n（章）", "发展改革部门\n（章）", "财政部门\n（章）")
        for i, text in enumerate(stamps):
            first, last = get_column_letter(2 * i + 1), get_column_letter(2 * i + 2)
            put(ws, f"{first}{row}", f"{text}\n\n\n\n\n\n年    月    日", align=_align("center", "top"))
            merge(ws, f"{first}{row}:{last}{row}")
        ws.row_dimensions[row].height = lines_height(9, BODY_PT)  # room for a 42 mm seal
        row += 1
        notes = (
            f"备注：1、单位类别填写{'、'.join(self.categories)}；",
            "2、能耗数据填写创建年度（一般为申报时的上年度）及其上一年度的各项能耗数据，"
            f"综合能耗可按账单在《{CONVERSION}》表分能源品种填写后自动折算，"
            "单位建筑面积能耗、人均能耗、人均水耗及下降率由表格自动计算。",
        )
        for note in notes:
            put(ws, f"A{row}", note, font=_font(SMALL_PT), align=_align("left", "top"), border=False)
            merge(ws, f"A{row}:F{row}", border=False)
            fit_row_height(ws, ws[f"A{row}"])
            row += 1
        self.filing_last_row = row - 1

        # Input rules.
        category = DataValidation(type="list", formula1='"' + ",".join(self.categories) + '"', allow_blank=True,
                                  showErrorMessage=True, showInputMessage=True)
        category.promptTitle, category.prompt = "单位类别", "请选择：" + " 或 ".join(self.categories)
        category.errorTitle, category.error = "单位类别不正确", "单位类别只能是：" + " 或 ".join(self.categories)
        category.add(ws["E2"].coordinate)
        first_year = min(self.config.energy)
        year = DataValidation(type="whole", operator="between", formula1=str(first_year - 1), formula2="2100",
                              allow_blank=True, showErrorMessage=True, showInputMessage=True)
        year.promptTitle, year.prompt = "创建年度", f"请填写四位年份，如 {first_year}"
        year.errorTitle, year.error = "创建年度不正确", f"创建年度应为 {first_year - 1}–2100 之间的四位年份。"
        year.add("B5")
        figures = DataValidation(type="decimal", operator="greaterThan", formula1="0", allow_blank=True,
                                 showErrorMessage=True, showInputMessage=True)
        figures.promptTitle, figures.prompt = "能耗数据", "请填写大于 0 的数值，不要带单位"
        figures.errorTitle, figures.error = "数据不正确", "请填写大于 0 的数值（不要带单位或文字）。"
        for input_row in input_rows:
            figures.add(f"C{input_row}:D{input_row}")
        for dv in (category, year, figures):
            ws.add_data_validation(dv)
        over = FormulaRule(formula=[f"LEN($A${self._row_of('org_profile')})>{ORG_PROFILE_MAX}"],
                           fill=INVALID_FILL)
        ws.conditional_formatting.add(f"E{self._row_of('org_profile') - 1}", over)
        outside = FormulaRule(
            formula=[f"AND(LEN($A${self._row_of('achievements')})>0,OR(LEN($A${self._row_of('achievements')})<{low},"
                     f"LEN($A${self._row_of('achievements')})>{high}))"],
            fill=INVALID_FILL)
        ws.conditional_formatting.add(f"E{self._row_of('achievements') - 1}", outside)

        self.page_setup(ws, f"A1:F{self.filing_last_row}", None)
        ws.protection.sheet = True
        ws.protection.formatRows = False  # let users make a row taller for long text
        ws.protection.formatColumns = False
        ws.protection.formatCells = False  # the add-in colours the cells it finds at fault

    def decline_places(self) -> int:
        """Decimals of a percent the 备案表 shows a decline with: 2, or as many as the finest target has."""
        finest = max(-min(0, p.normalize().as_tuple().exponent)
                     for targets in self.config.energy.values() for p in targets.percent.values())
        return max(2, finest)

    def figure_row(self, ws, row: int, name: str, label: str, formula, note: str | None = None) -> None:
        """One 备案表 figure: label, 上年度 (base_) and 创建年度 cells, inputs or (formula(base)) formulas."""
        put = self.put
        put(ws, f"A{row}", label, font=_font(BODY_PT, bold=True))
        self.merge(ws, f"A{row}:B{row}")
        for col, base in (("C", True), ("D", False)):
            if formula is None:
                # Inputs keep the General format: LibreOffice reads a TRUE typed into a cell with a number
                # format as the number 1, which ISLOGICAL can then no longer tell apart.
                put(ws, f"{col}{row}", None, fill=INPUT_FILL, locked=False)
            else:
                put(ws, f"{col}{row}", formula(base), fill=FORMULA_FILL, fmt="#,##0.00##")
            self.name(("base_" if base else "") + name, FILING, f"{col}{row}")
        put(ws, f"E{row}", note, font=_font(SMALL_PT), align=_align("left"))
        self.merge(ws, f"E{row}:F{row}")
        ws.row_dimensions[row].height = 30
        fit_row_height(ws, ws[f"A{row}"])
        fit_row_height(ws, ws[f"E{row}"])

    # 能耗折算: consumption by carrier, converted to tce with the configured coefficients
    def build_conversion(self, ws) -> None:
        widths = {"A": 11, "B": 6, "C": 12, "D": 12, "E": 10, "F": 11, "G": 11, "H": 30}
        for letter, w in widths.items():
            ws.column_dimensions[letter].width = w
        put, merge = self.put, self.merge
        bold = _font(BODY_PT, bold=True)
        small = _font(SMALL_PT)

        put(ws, "A1", "能耗折算表", font=_font(TITLE_PT, bold=True), border=False)
        merge(ws, "A1:H1", border=False)
        ws.row_dimensions[1].height = 42
        put(ws, "A2", '=IFERROR(IF(LEN(TRIM(org_name))>0,"单位："&org_name,"单位："),"单位：")', font=bold,
            align=_align("left"), border=False)
        merge(ws, "A2:E2", border=False)
        put(ws, "F2", '=IFERROR(IF(LEN(TRIM(assess_year))>0,"创建年度："&assess_year,"创建年度："),"创建年度：")',
            font=bold, align=_align("left"), border=False)
        merge(ws, "F2:H2", border=False)
        ws.row_dimensions[2].height = 26
        intro = ("按全年能源账单（发票、抄表记录、加油卡记录）填写各能源品种的用量，只填数字、不带单位，没有的品种留空。"
                 "某一年度填写了任一品种，备案表中该年度的“计入考核的综合能耗”就自动采用本表合计；"
                 "各品种都不填时，采用备案表中直接填写的总量。")
        put(ws, "A3", intro, font=small, align=_align("left", "top"), border=False)
        merge(ws, "A3:H3", border=False)
        fit_row_height(ws, ws["A3"])

        headers = ("能源品种", "计量\n单位", "上年度\n（基数）\n用量", "创建年度\n用量", "折标准煤\n系数（kgce\n/计量单位）",
                   "上年度\n折标准煤\n（tce）", "创建年度\n折标准煤\n（tce）", "系数及依据")
        for col, text in enumerate(headers, start=1):
            put(ws, f"{get_column_letter(col)}4", text, font=bold)
        ws.row_dimensions[4].height = lines_height(3, BODY_PT)
        first = row = 5
        for carrier in CARRIERS:
            put(ws, f"A{row}", carrier.label, font=bold)
            put(ws, f"B{row}", carrier.unit)
            put(ws, f"E{row}", f"={self.coefficient_names[carrier.key]}", fill=FORMULA_FILL)
            put(ws, f"H{row}", f"={self.source_cells[carrier.key]}", font=small, align=_align("left"),
                fill=FORMULA_FILL)
            for use_col, tce_col, base in (("C", "F", True), ("D", "G", False)):
                put(ws, f"{use_col}{row}", None, fill=INPUT_FILL, locked=False)  # General: see figure_row
                name = self.name(carrier.name(base), CONVERSION, f"{use_col}{row}")
                put(ws, f"{tce_col}{row}", carrier_tce_formula(name, f"$E${row}"), fill=FORMULA_FILL,
                    fmt="#,##0.00##")
            # The source is a formula (it follows the year): size the row for the longest configured text.
            texts = [f"{conv.coefficients[carrier.key].text}；{conv.coefficients[carrier.key].source}"
                     for conv in self.energy.conversion.values()]
            width = column_points(widths["H"])
            ws.row_dimensions[row].height = max(lines_height(2, BODY_PT), *(
                lines_height(text_lines(t, width, SMALL_PT), SMALL_PT) for t in texts))
            row += 1
        last = row - 1
        put(ws, f"A{row}", "合计（吨标准煤，tce）", font=bold)
        merge(ws, f"A{row}:E{row}")
        for use_col, tce_col, base in (("C", "F", True), ("D", "G", False)):
            refs = [c.name(base) for c in CARRIERS]
            put(ws, f"{tce_col}{row}", use_total_formula(refs, f"{tce_col}{first}:{tce_col}{last}",
                                                        self.filled_names[base]),
                font=bold, fill=FORMULA_FILL, fmt="#,##0.00##")
            self.name(total_name(base), CONVERSION, f"{tce_col}{row}")
        put(ws, f"H{row}", None)
        ws.row_dimensions[row].height = 30
        row += 1
        put(ws, f"A{row}", "备案表“计入考核的综合能耗”采用", font=bold)
        merge(ws, f"A{row}:E{row}")
        for tce_col, base in (("F", True), ("G", False)):
            put(ws, f"{tce_col}{row}",
                f'=IF({self.filled_names[base]},IF(ISNUMBER({total_name(base)}),"本表合计","用量有误"),"直接填写的总量")',
                font=small, fill=FORMULA_FILL)
        put(ws, f"H{row}", None)
        ws.row_dimensions[row].height = 30
        row += 1
        notes = (
            "注：1. 两个年度都按创建年度适用的折标准煤系数折算，下降率只反映用量的变化。",
            "2. 电力按当量值折算；汽油、柴油按升填写，按密度折算为千克后再折标准煤；热力按吉焦（GJ）填写；"
            "煤炭、外购蒸汽等其他能源请自行折算为吨标准煤（tce）后填入“其他能源”。",
            "3. 用量填写了文字、负数时该单元格变红，该年度合计显示为空，能耗三项按 0 分计。",
        )
        for note in notes:
            put(ws, f"A{row}", note, font=small, align=_align("left", "top"), border=False)
            merge(ws, f"A{row}:H{row}", border=False)
            fit_row_height(ws, ws[f"A{row}"])
            row += 1

        usable = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                showErrorMessage=True, showInputMessage=True)
        usable.promptTitle, usable.prompt = "能源用量", "请填写全年用量（大于或等于 0 的数值，不带单位）；没有的品种留空"
        usable.errorTitle, usable.error = "用量不正确", "请填写大于或等于 0 的数值（不要带单位或文字）。"
        usable.add(f"C{first}:D{last}")
        ws.add_data_validation(usable)
        invalid = (f"AND(LEN(TRIM(C{first}))>0,OR(NOT(ISNUMBER(C{first})),ISLOGICAL(C{first}),"
                   f"IFERROR(C{first}<0,TRUE)))")
        ws.conditional_formatting.add(f"C{first}:D{last}", FormulaRule(formula=[invalid], fill=INVALID_FILL))
        self.page_setup(ws, f"A1:H{row - 1}", None)
        ws.protection.sheet = True
        ws.protection.formatRows = False
        ws.protection.formatColumns = False
        ws.protection.formatCells = False

    def _row_of(self, name: str) -> int:
        return int(self.names[name].rsplit("$", 1)[1])

    # 自评表 (附件3)
    def build_self(self, ws) -> None:
        # D (the rules) and G (the evidence) take what A4 portrait leaves: rules wrap in fewer lines, so the
        # table prints on three full pages with no item cut (tests/engine/test_template_print.py).
        widths = {"A": 4.5, "B": 9.5, "C": 9.5, "D": 40, "E": 5.5, "F": 5.5, "G": 16, "H": 8}
        for letter, w in widths.items():
            ws.column_dimensions[letter].width = w
        put, merge = self.put, self.merge
        bold = _font(BODY_PT, bold=True)
        rubric = self.rubric

        put(ws, "A1", f"{self.city.name}节约型机关创建自评表", font=_font(TITLE_PT, bold=True), border=False)
        merge(ws, "A1:G1", border=False)
        ws.row_dimensions[1].height = 42
        put(ws, "A2", '=IFERROR(IF(LEN(TRIM(org_name))>0,"单位："&org_name&"（盖章）","单位：（盖章）"),"单位：（盖章）")',
            font=bold, align=_align("left"), border=False)
        merge(ws, "A2:D2", border=False)
        put(ws, "E2", "自评分：", font=bold, align=_align("right"), border=False)
        merge(ws, "E2:F2", border=False)
        put(ws, "G2", None, font=_font(14, bold=True), fill=FORMULA_FILL)
        self.name(TOTAL, SELF, "G2")
        ws.row_dimensions[2].height = 30
        qualify = _number_text(rubric.qualify_at)
        if rubric.simple:
            verdict = (f'=IF(qualifies=1,"自评分达到 {qualify} 分（含）以上，符合节约型机关申报条件",'
                       f'"自评分未达到 {qualify} 分，暂不符合节约型机关申报条件")')
        else:  # the whole rule, and the grade reached
            rule_text = pass_rule_text(rubric)
            verdict = (f'=IF(qualifies=1,"符合申报条件"&IF(LEN(grade)>0,"（"&grade&"）","")&"：{rule_text}",'
                       f'"未达到申报条件：须{rule_text}")')
        put(ws, "A3", verdict, font=bold, align=_align("left"), border=False)
        merge(ws, "A3:G3", border=False)
        ws.row_dimensions[3].height = 24

        for col, text in zip("ABCDEG", ("序号", "单元", "项目", "评分规则", "自评得分", "佐证材料")):
            put(ws, f"{col}4", text, font=bold)
        put(ws, "E5", "分项\n得分", font=bold)
        put(ws, "F5", "项目\n得分", font=bold)
        put(ws, "H4", "核定分", font=_font(SMALL_PT))
        for cells in ("A4:A5", "B4:B5", "C4:C5", "D4:D5", "E4:F4", "G4:G5"):
            merge(ws, cells)
        ws.row_dimensions[4].height = lines_height(1, BODY_PT)
        ws.row_dimensions[5].height = lines_height(2, BODY_PT)

        row = 6
        item_names = []
        blocks = []  # each item's rows: pages break only between items
        units = []
        self.rule_cells: dict[str, str] = {}  # rule id -> its score as the item sums it ('自评表'!$H$n)
        for unit in rubric.units:
            unit_first = row
            for item in unit.items:
                item_first = row
                if item.may_skip:
                    self.skip_row(ws, row, item)
                    row += 1
                rule_rows = []
                for rule in item.rules:
                    self.rule_row(ws, row, rule)
                    rule_rows.append(row)
                    row += 1
                    if rule.deduct is not None:
                        self.count_row(ws, row, rule)
                        row += 1
                last = row - 1
                blocks.append((item_first, last))
                put(ws, f"C{item_first}", f"{'★' if item.star else ''}{_stacked(item.name)}\n{_cap_text(item)}")
                summed = f"SUM($H${item_first}:$H${last})"
                if item.gate:  # met (1) when every rule of it is
                    formula = f"=IF(AND({','.join(f'$H${r}>=1' for r in rule_rows)}),1,0)"
                elif item.may_skip:
                    formula = f"=IF({skipped_test(item.skip_name)},0,MIN({_number_text(item.cap)},{summed}))"
                else:
                    formula = f"=MIN({_number_text(item.cap)},{summed})"
                put(ws, f"F{item_first}", formula, font=bold, fill=FORMULA_FILL, fmt=GATE_FORMAT if item.gate else None)
                self.name(item.score_name, SELF, f"F{item_first}")
                if not item.gate:
                    item_names.append(item.score_name)
                if last > item_first:
                    merge(ws, f"C{item_first}:C{last}")
                    merge(ws, f"F{item_first}:F{last}")
                self.fit_merged_height(ws, f"C{item_first}", item_first, last)
            put(ws, f"A{unit_first}", int(unit.id) if unit.id.isdigit() else unit.id)
            put(ws, f"B{unit_first}", f"{_stacked(unit.name)}\n{_cap_text(unit)}")
            units.append((unit_first, row - 1, "AB"))  # merged page by page, once the pages are known
        ws["G2"].value = "=SUM(" + ",".join(item_names) + ")"

        put(ws, f"A{row}", "合计", font=bold)
        merge(ws, f"A{row}:D{row}")
        put(ws, f"E{row}", f"={TOTAL}", font=bold, fill=FORMULA_FILL)
        merge(ws, f"E{row}:F{row}")
        put(ws, f"G{row}", None)
        ws.row_dimensions[row].height = 26
        row += 1
        put(ws, f"A{row}", "=A3", font=bold, align=_align("left"), border=False)
        merge(ws, f"A{row}:G{row}", border=False)
        ws.row_dimensions[row].height = 24
        row += 1
        computed = "、".join(f"“{i.name}”" for i in rubric.items if any(r.computed for r in i.rules))
        note = (f"注：分项得分只能选填评分规则允许的分值；{computed}各项由备案表能耗数据自动计算；"
                f"项目得分、自评分自动计算。佐证材料填写“{EVIDENCE_FOLDER}”文件夹中的文件路径，每行一个。")
        if not rubric.simple:
            note += f"申报条件：{pass_rule_text(rubric)}。"
        put(ws, f"A{row}", note, font=_font(SMALL_PT), align=_align("left", "top"), border=False)
        merge(ws, f"A{row}:G{row}", border=False)
        fit_row_height(ws, ws[f"A{row}"])
        ws.column_dimensions["H"].hidden = True
        ws.freeze_panes = "A6"
        self.page_setup(ws, f"A1:G{row}", "$4:$5")
        blocks[-1] = (blocks[-1][0], row)  # 合计 and the notes stay with the last item
        self.paginate(ws, blocks, units, repeated=(4, 5), last_col=7)
        ws.protection.sheet = True
        ws.protection.formatRows = False
        ws.protection.formatColumns = False
        ws.protection.formatCells = False

    def rule_row(self, ws, row: int, rule: Rule) -> None:
        put = self.put
        allowed = "、".join(_number_text(a) for a in rule.allowed)
        shape = GATE_FORMAT if rule.gate else None
        star = "★" if rule.star else ""
        if rule.computed and rule.bands:
            indicator = INDICATORS[rule.indicator]
            text = f"{star}{rule.number}.{rule.text}（由备案表数据与同类平均值自动计算）"
            put(ws, f"E{row}", band_formula(rule, indicator.key, self.benchmark_names[rule.indicator]),
                fill=FORMULA_FILL)
        elif rule.computed:
            indicator = INDICATORS[rule.indicator]
            text = f"{star}{rule.number}.{rule.text}（由备案表数据自动计算）"
            formula = energy_score_formula(rule, indicator.key, f"base_{indicator.key}",
                                           self.target_names[indicator.key])
            put(ws, f"E{row}", formula, fill=FORMULA_FILL, fmt=shape)
        elif rule.deduct is not None:
            text = f"{star}{rule.text}（按下一行所填缺项数自动计算）"
            put(ws, f"E{row}", deduction_formula(rule, rule.count_name), fill=FORMULA_FILL)
        else:
            text = star + (f"{rule.text}（符合填 1，不符合填 0）" if rule.gate else rule.text)
            put(ws, f"E{row}", None, fill=INPUT_FILL, locked=False)  # General, gates too: see build_filing
            dv = DataValidation(type="list", formula1=f'"{",".join(_number_text(a) for a in rule.allowed)}"',
                                allow_blank=True, showErrorMessage=True, showInputMessage=True)
            dv.promptTitle = f"规则 {rule.id} {'是否符合' if rule.gate else '分项得分'}"
            dv.prompt = "1 = 符合，0 = 不符合" if rule.gate else f"请选择 {allowed} 分之一"
            dv.errorTitle = "填写不正确"
            dv.error = ("必须完成项只能填 1（符合）或 0（不符合）。" if rule.gate
                        else f"规则 {rule.id} 只能填写 {allowed} 分之一（最高 {_number_text(rule.points)} 分）。")
            dv.add(f"E{row}")
            ws.add_data_validation(dv)
            values = ",".join(f"E{row}<>{_number_text(a)}" for a in rule.allowed)
            invalid = (f"AND(LEN(TRIM(E{row}))>0,OR(NOT(ISNUMBER(E{row})),ISLOGICAL(E{row}),AND({values})))")
            ws.conditional_formatting.add(f"E{row}", FormulaRule(formula=[invalid], fill=INVALID_FILL))
        put(ws, f"D{row}", text, align=_align("left", "center"))
        self.name(rule.score_name, SELF, f"E{row}")
        put(ws, f"G{row}", None, font=_font(SMALL_PT), align=_align("left", "top"), fill=INPUT_FILL, locked=False)
        self.name(rule.evidence_name, SELF, f"G{row}")
        put(ws, f"H{row}", claim_score_formula(rule, rule.score_name), font=_font(SMALL_PT), border=False)
        self.rule_cells[rule.id] = absolute(SELF, f"H{row}")
        fit_row_height(ws, ws[f"D{row}"], minimum=lines_height(2, BODY_PT))

    def count_row(self, ws, row: int, rule: Rule) -> None:
        """A deduction rule's input, under its row: how many requirements are missing."""
        put = self.put
        put(ws, f"D{row}", f"　缺项数（每缺一项扣 {_number_text(rule.deduct)} 分，扣完为止；全部做到填 0）",
            align=_align("left", "center"), font=_font(SMALL_PT))
        put(ws, f"E{row}", None, fill=INPUT_FILL, locked=False)
        self.name(rule.count_name, SELF, f"E{row}")
        dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                            showErrorMessage=True, showInputMessage=True)
        dv.promptTitle, dv.prompt = f"规则 {rule.id} 缺项数", "请填写缺少的项数（0 或正整数）"
        dv.errorTitle, dv.error = "缺项数不正确", "缺项数应为 0 或正整数。"
        dv.add(f"E{row}")
        ws.add_data_validation(dv)
        put(ws, f"G{row}", None, border=True)
        fit_row_height(ws, ws[f"D{row}"], minimum=lines_height(1, BODY_PT))

    def skip_row(self, ws, row: int, item) -> None:
        """An item that may not apply: the unit selects 不适用 and it is left out of the points that apply."""
        put = self.put
        put(ws, f"D{row}", "本项目不适用的，请选择“不适用”（不评分，按适用项目折算得分）",
            align=_align("left", "center"), font=_font(SMALL_PT))
        put(ws, f"E{row}", None, fill=INPUT_FILL, locked=False, font=_font(SMALL_PT))
        self.name(item.skip_name, SELF, f"E{row}")
        dv = DataValidation(type="list", formula1='"不适用"', allow_blank=True, showErrorMessage=True,
                            showInputMessage=True)
        dv.promptTitle, dv.prompt = f"项目 {item.id} 不评分", "本项目不适用时选择“不适用”，适用时留空"
        dv.errorTitle, dv.error = "填写不正确", "只能选择“不适用”或留空。"
        dv.add(f"E{row}")
        ws.add_data_validation(dv)
        put(ws, f"G{row}", None, border=True)
        fit_row_height(ws, ws[f"D{row}"], minimum=lines_height(2, SMALL_PT))

    def fit_merged_height(self, ws, cell: str, first: int, last: int) -> bool:
        """A label merged down rows first..last: if they are too short together, grow the last one (True)."""
        c = ws[cell]
        width = column_points(ws.column_dimensions[c.column_letter].width)
        needed = lines_height(text_lines(str(c.value), width, float(c.font.size)), float(c.font.size))
        have = sum(ws.row_dimensions[r].height or 15 for r in range(first, last + 1))
        if needed > have:
            ws.row_dimensions[last].height = round((ws.row_dimensions[last].height or 15) + needed - have, 1)
        return needed > have

    def paginate(self, ws, blocks: list[tuple[int, int]], spans: list[tuple[int, int, str]],
                 repeated: tuple[int, int], last_col: int) -> None:
        """Page breaks between blocks of rows (see page_starts), then each span's labels merged down its rows
        on every page it reaches, so a unit cut by a page break is named on both pages.

        spans: (first row, last row, columns) with each label written in the span's first row. A label too
        tall for its part of a page grows that part's last row, and the pages are laid out again."""
        while True:  # rows only grow, so this settles
            starts = page_starts(ws, blocks, repeated, last_col)
            parts = [(first, a, b, cols) for first, last, cols in spans for a, b in _cut(first, last, starts)]
            grown = [self.fit_merged_height(ws, f"{col}{first}", a, b) for first, a, b, cols in parts for col in cols]
            if not any(grown):
                break
        for first, a, b, cols in parts:
            for col in cols:
                if a != first:
                    source, target = ws[f"{col}{first}"], ws[f"{col}{a}"]
                    set_cell_value(target, source.value)
                    target._style = copy(source._style)
                if b > a:
                    self.merge(ws, f"{col}{a}:{col}{b}")
        for start in starts:
            ws.row_breaks.append(Break(id=start - 1))

    def page_setup(self, ws, area: str, title_rows: str | None) -> None:
        ws.print_area = area
        if title_rows:
            ws.print_title_rows = title_rows
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        # Room on the left for binding and at the foot for stamps and signatures.
        ws.page_margins = PageMargins(left=0.7, right=0.5, top=0.75, bottom=0.75, header=0.3, footer=0.35)
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"
        ws.oddFooter.center.size = 9

    # 填表说明
    def build_guide(self, ws) -> None:
        rubric = self.rubric
        low, high = ACHIEVEMENTS_RANGE
        first_year = min(self.config.energy)
        steps = [
            ("填表说明", None),
            ("评价指标", f"本表依据{rubric.label}生成（版本代号 {rubric.name}，适用于{self.city.years_label(rubric.name)}）。"
             "请使用创建年度适用的版本填写；用错版本的自评表将被退回重填。"),
            ("一、填写哪些单元格", "只填写浅黄色底的单元格；蓝色底的单元格是公式，自动计算，不要修改或删除。"
             "工作表已保护（无密码），只是为了防止误改公式。"),
            ("二、备案表", f"填写单位名称、单位类别（下拉选择：{'或'.join(self.categories)}）、单位地址、创建联系人、移动电话、"
             f"创建年度（四位年份，如 {first_year}）；"
             "能耗数据分“上年度（基数）”和“创建年度”两列，填写数值，不要带单位；"
             f"综合能耗可以直接填写总量（吨标准煤），也可以在《{CONVERSION}》表按账单填写电、天然气、汽油、柴油、"
             "液化石油气、热力等各能源品种的用量，由表格按国家标准系数折算为吨标准煤，填了用量的年度自动采用折算合计；"
             "单位建筑面积能耗、人均能耗、人均水耗和下降率自动计算。"),
            ("三、文字材料", f"单位基本情况 {ORG_PROFILE_MAX} 字以内；创建内容完成情况及工作特色 {low}-{high} 字左右。"
             "表中实时显示已填字数，超出范围时字数提示变红。"),
            ("四、自评表", "“分项得分”按评分规则下拉选择允许的分值，不得填写其他数值、文字或带“分”字；"
             "填写了不允许的分值时单元格变红，核定时按不超过所填分值的最高允许分值计分，文字计 0 分。"
             f"{_computed_sentence(rubric)}项目得分、自评分自动计算；{pass_rule_text(rubric)}方可申报。"
             + ("必须完成项填 1（符合）或 0（不符合）；扣分规则填写缺项数；不适用的项目选择“不适用”。"
                if not rubric.simple else "")),
            ("五、佐证材料", f"把佐证材料放在与本表同一文件夹下的“{EVIDENCE_FOLDER}”文件夹中；"
             f"每条评分规则的“佐证材料”单元格填写文件相对于“{EVIDENCE_FOLDER}”文件夹的路径，每行一个"
             "（同一单元格内换行：Alt+Enter），文件夹之间用 / 或 \\ 分隔，例如：\n"
             "2.1 管理机构/领导小组文件.pdf\n2.2 管理制度/节水管理制度.docx\n"
             f"得分的规则都要有佐证材料；不要写“{EVIDENCE_FOLDER}/”前缀、盘符或 ..。"),
            ("六、保存与提交", "请保存为 Excel 工作簿（.xlsx），不要另存为 .xls、.et 或 PDF；不要改动工作表名称。"
             f"提交时把本表和“{EVIDENCE_FOLDER}”文件夹放在同一文件夹中压缩为 .zip。"
             "打印备案表和自评表盖章后扫描，可一并放入佐证材料。"),
        ]
        ws.column_dimensions["A"].width = 14
        ws.column_dimensions["B"].width = 60
        row = 1
        for head, body in steps:
            if body is None:
                self.put(ws, f"A{row}", head, font=_font(16, bold=True), border=False)
                self.merge(ws, f"A{row}:B{row}", border=False)
                ws.row_dimensions[row].height = 36
            else:
                self.put(ws, f"A{row}", head, font=_font(BODY_PT, bold=True), align=_align("left", "top"))
                self.put(ws, f"B{row}", body, align=_align("left", "top"))
                fit_row_height(ws, ws[f"B{row}"])
            row += 1
        self.page_setup(ws, f"A1:B{row - 1}", None)
        ws.protection.sheet = True


def build_template(rubric: Rubric | None = None, config: Config | None = None, city: City = CITY,
                   energy: EnergyConfig = ENERGY) -> openpyxl.Workbook:
    """The blank 自评表 workbook of a rubric edition (the city's default: the latest year's), made only from the
    edition, the yearly configuration, the city and the CONTRACT names."""
    return _Builder(rubric or city.default_edition, config or city.config, city, energy).build()


def workbook_bytes(wb: openpyxl.Workbook) -> bytes:
    """Save without openpyxl's 'now' timestamps (document and zip entries), so equal books give equal bytes."""
    wb.properties.modified = wb.properties.modified or BUILD_TIME
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return reproducible_zip(raw.getvalue())


def reproducible_zip(data: bytes) -> bytes:
    """The same zip (an OOXML package, say) with fixed entry times, so equal contents give equal bytes."""
    fixed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            entry.create_system = 3
            dst.writestr(entry, src.read(info.filename))
    return fixed.getvalue()


def write_template(path: str | Path, edition: str | None = None, city: City = CITY) -> Path:
    """Write the blank template of an edition (by name; default the latest configured year's, which is
    templates/自评表.xlsx). KeyError, in Chinese, for an edition that is not installed."""
    path = Path(path)
    rubric = city.edition(edition) if edition else city.default_edition
    path.write_bytes(workbook_bytes(build_template(rubric, city.config, city)))
    return path


# --- filling a workbook by name ---------------------------------------------------------------------

def named_cell(wb: openpyxl.Workbook, name: str) -> Cell:
    """The one cell a workbook-scoped defined name points at."""
    defined = wb.defined_names.get(name)
    if defined is None:
        raise KeyError(f"工作簿中没有名称 {name}")
    destinations = list(defined.destinations)
    if len(destinations) != 1:
        raise KeyError(f"名称 {name} 不是指向一个单元格")
    sheet, ref = destinations[0]
    cell = wb[sheet][ref.replace("$", "")]
    if not isinstance(cell, Cell):
        raise KeyError(f"名称 {name} 指向的 {sheet}!{ref} 是合并区域中的单元格")
    return cell


def set_cell_value(cell: Cell, value: Any) -> None:
    """A value as data: text stays text even when it starts with '=' (never a formula) or looks like '#N/A'."""
    if isinstance(value, Decimal):
        value = _number(value) if value.is_finite() else str(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        cell.quotePrefix = value.startswith(("=", "+", "-", "@"))


def write_named_values(src_path: str | Path, dst_path: str | Path, values: Mapping[str, Any]) -> Path:
    """Copy a template-based workbook, writing each value into its named cell (None clears the cell).

    Wrapped text cells (evidence lists, the long texts) get taller rows when their text needs them. The
    copy keeps the source's document dates, so the same source and values always give the same bytes.
    """
    wb = openpyxl.load_workbook(src_path)
    for name, value in values.items():
        cell = named_cell(wb, name)
        set_cell_value(cell, value)
        if isinstance(value, str) and cell.alignment is not None and cell.alignment.wrap_text:
            fit_row_height(cell.parent, cell)
    dst = Path(dst_path)
    dst.write_bytes(workbook_bytes(wb))
    return dst
