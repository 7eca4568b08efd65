"""The annual export (`jyjg export`): one print-ready workbook of a 创建年度 for the city's staff —
名单 (附件4 grouping, each unit's state, scores and opinions), 进度 (against the creation targets, with
a chart), 评分 (every submission's totals and item scores) and 抽查 (the drawn 区县 sample).

Anything units or reviewers typed is written as text, never as a formula.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

from .numbers import shown
from .progress import ALL_CITY, Progress, built_years
from .progress import progress as year_progress
from .roster_import import read_unit_rows  # noqa: F401 - `jyjg roster import` finds it here too
from .rubric import CITY, City, Rubric, normalize_org_name
from .scoring import item_shown, pass_rule_text, plain_number, verdict_text
from .store import (
    CHINA_TIME, FAILED, NOT_SUBMITTED, PASSED, RETURNED, STAGE_REVIEW, STAGE_SITE, Decision,
    StoredUnit, Store, UnitState, Version, rescored_card,
)
from .template import BODY_PT, SMALL_PT, TITLE_PT, _align, _Builder, _cap_text, _font, fit_row_height, set_cell_value

CHINESE_NUMERALS = "一二三四五六七八九十"

HEAD_FILL = PatternFill("solid", fgColor="DDE5F0")
SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
STATE_FILLS = {
    PASSED: PatternFill("solid", fgColor="E2EFDA"),
    FAILED: PatternFill("solid", fgColor="FCE4D6"),
    RETURNED: PatternFill("solid", fgColor="FFF2CC"),
}


# --- layout helpers (the template's look: 宋体, thin boxes, wrapped text, A4) ------------------------

class Sheets(_Builder):
    """The template builder's layout helpers (put, merge, page_setup, …) over a fresh workbook."""

    def __init__(self, title: str, city: City = CITY):
        super().__init__(city.default_edition, city.config, city)
        self.wb.remove(self.wb.active)
        self.wb.properties.creator = "节约型机关创建评价系统"
        self.wb.properties.title = title

    def cell(self, ws, row: int, col: int, value: Any, *, bold: bool = False, size: float = BODY_PT,
             h: str = "center", fill: PatternFill | None = None, fmt: str | None = None, border: bool = True):
        """One cell; text always as text (set_cell_value), numbers as numbers."""
        c = self.put(ws, f"{get_column_letter(col)}{row}", None, font=_font(size, bold=bold),
                     align=_align(h), border=border, fill=fill, fmt=fmt)
        set_cell_value(c, _value(value))
        return c

    def title(self, ws, row: int, text: str, last_col: int, *, size: float = TITLE_PT, height: float = 36) -> None:
        self.cell(ws, row, 1, text, bold=True, size=size, border=False)
        self.merge(ws, f"A{row}:{get_column_letter(last_col)}{row}", border=False)
        ws.row_dimensions[row].height = height

    def note(self, ws, row: int, text: str, last_col: int) -> None:
        self.cell(ws, row, 1, text, size=SMALL_PT, h="left", border=False)
        self.merge(ws, f"A{row}:{get_column_letter(last_col)}{row}", border=False)
        fit_row_height(ws, ws[f"A{row}"])

    @staticmethod
    def widths(ws, widths: list[float]) -> None:
        """Set first: row heights are fitted to the column widths."""
        for col, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(col)].width = width

    def header(self, ws, row: int, labels: list[str]) -> None:
        for col, label in enumerate(labels, start=1):
            self.cell(ws, row, col, label, bold=True, size=SMALL_PT, fill=HEAD_FILL)
            fit_row_height(ws, ws.cell(row, col))

    def section(self, ws, row: int, text: str, last_col: int) -> None:
        self.cell(ws, row, 1, text, bold=True, h="left", fill=SECTION_FILL)
        self.merge(ws, f"A{row}:{get_column_letter(last_col)}{row}")
        ws.row_dimensions[row].height = 22

    def fit_row(self, ws, row: int, last_col: int, minimum: float = 20) -> None:
        ws.row_dimensions[row].height = minimum
        for col in range(1, last_col + 1):
            fit_row_height(ws, ws.cell(row, col))

    def print_setup(self, ws, last_col: int, last_row: int, title_rows: str | None, landscape: bool) -> None:
        self.page_setup(ws, f"A1:{get_column_letter(last_col)}{last_row}", title_rows)
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.5


def _value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters cannot be stored in xlsx
    return value


def chinese_numeral(n: int) -> str:
    if 1 <= n <= 10:
        return CHINESE_NUMERALS[n - 1]
    if n < 20:
        return "十" + CHINESE_NUMERALS[n - 11]
    return str(n)


def group_heading(group: str) -> str:
    """附件4's sub-heading for a compound group: 市委市政府大院 -> 市委市政府大院办公单位."""
    return f"{group}办公单位" if group.endswith("大院") else f"{group}单位"


def shown_date(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(CHINA_TIME).strftime("%Y-%m-%d")


# --- what the sheets show, gathered once ----------------------------------------------------------

@dataclass
class UnitLine:
    """One unit's line in a year's list."""

    unit: StoredUnit
    state: str
    version: Version | None = None
    verified_total: Decimal | None = None
    decisions: list[Decision] = field(default_factory=list)
    built_in: int | None = None  # the year it passed 实地验收 (this year or before), if it has
    carried_from: int | None = None
    rectification: str | None = None
    in_year_list: bool = False  # listed for this year, submitted this year, or carried over
    grade: str | None = None  # under an edition with grades: the grade of a passed unit's verified score

    def opinion(self, stage: str) -> str:
        shown = [d for d in self.decisions if d.stage == stage]
        if not shown:
            return ""
        last = shown[-1]
        text = f"{last.outcome}"
        if last.opinion:
            text += f"：{last.opinion}"
        return f"{text}（{last.reviewer}，{shown_date(last.decided_at)}）"

    def remark(self, year: int) -> str:
        parts = []
        if self.carried_from is not None:
            parts.append(f"{self.carried_from}年验收未通过，转入本年度评价；整改意见：{self.rectification or '（无）'}")
        created = self.unit.creation_year
        if created is not None and created > year and self.version is not None:
            parts.append(f"{created}年创建单位，提前申报")
        elif created is not None and created > year:
            parts.append(f"{created}年创建单位")
        if self.built_in is not None and self.built_in < year:
            parts.append(f"已于{self.built_in}年验收通过")
        if not self.unit.listed:
            parts.append("不在创建名单中")
        return "；".join(parts)


@dataclass
class YearData:
    year: int
    lines: list[UnitLine]  # every listed unit, then unlisted units of the year, in 附件4 order
    versions: list[Version]  # every version of the year
    place: City = CITY  # the city whose year it is
    units: list[StoredUnit] = field(default_factory=list)  # every unit the store holds
    every_version: list[Version] = field(default_factory=list)  # of every year: who was built before

    @property
    def edition(self) -> Rubric:
        """The rubric edition the year calls for (each version keeps its own: Store.edition_of)."""
        return self.place.edition_for(self.year)

    def city(self) -> list[UnitLine]:
        return [x for x in self.lines if x.unit.listed and x.unit.district is None]

    def districts(self) -> dict[str, list[UnitLine]]:
        found: dict[str, list[UnitLine]] = {}
        for x in self.lines:
            if x.unit.listed and x.unit.district:
                found.setdefault(x.unit.district, []).append(x)
        return dict(sorted(found.items()))

    def unlisted(self) -> list[UnitLine]:
        return [x for x in self.lines if not x.unit.listed]


def gather(store: Store, year: int) -> YearData:
    states: dict[int, UnitState] = {s.unit.id: s for s in store.unit_states(year)}
    all_versions = store.versions()
    by_id = {v.id: v for v in all_versions}
    built = built_years(all_versions, year)
    units = store.units()
    lines = []
    for unit in units:
        state = states.get(unit.id)
        if state is None and not unit.listed:
            continue
        line = UnitLine(unit, state.state if state else NOT_SUBMITTED, built_in=built.get(unit.id),
                        in_year_list=state is not None)
        if state is not None:
            line.version = by_id.get(state.version_id) if state.version_id else None
            line.verified_total = state.verified_total
            line.carried_from, line.rectification = state.carried_from, state.rectification
            if state.version_id:
                line.decisions = store.decisions(state.version_id)
            if line.state == PASSED and line.version is not None and store.edition_of(line.version).grades:
                line.grade = store.verified_card(line.version.id).card.grade
        lines.append(line)
    roster_order = store.roster_order()
    lines.sort(key=lambda line: _line_order(line, roster_order, store.city.name))
    versions = [v for v in all_versions if v.assess_year == year]
    order = {x.unit.id: i for i, x in enumerate(lines)}
    versions.sort(key=lambda v: (order.get(v.unit_id, len(order)), v.number or 0, v.id))
    return YearData(year, lines, versions, store.city, units, all_versions)


def _line_order(line: UnitLine, roster_order: dict[str, int], city_name: str) -> tuple:
    unit = line.unit
    if unit.listed and unit.district is None:
        return (0, roster_order.get(normalize_org_name(unit.name, city_name), 0), "", 0, "", unit.name)
    if unit.listed:
        return (1, 0, unit.district or "", unit.creation_year or 0, unit.group, unit.name)
    return (2, 0, "", 0, "", unit.name)


# --- 名单 ---------------------------------------------------------------------------------------------

LIST_HEADER = ["序号", "单位名称", "创建年度", "本年度状态", "自评分", "重算得分", "核定得分", "初审意见", "实地验收意见",
               "累计建成", "备注"]
LIST_WIDTHS = [5, 24, 7, 9.5, 6.5, 6.5, 6.5, 22, 26, 8, 22]


def _graded(data: YearData) -> bool:
    """Whether the year's list shows grades: its edition, or a passed unit's, has them."""
    return bool(data.edition.grades) or any(x.grade for x in data.lines)


def build_list(book: Sheets, data: YearData) -> None:
    ws = book.wb.create_sheet("名单")
    graded = _graded(data)
    header = LIST_HEADER[:7] + ["等级"] * graded + LIST_HEADER[7:]
    last = len(header)
    book.widths(ws, LIST_WIDTHS[:7] + [6] * graded + LIST_WIDTHS[7:])
    book.title(ws, 1, f"{data.place.name}{data.year}年度节约型机关创建名单及评审情况", last)
    book.note(ws, 2, f"按《{data.place.roster_title}》（附件4）分组排列，区县（市）单位按区县列后。"
                     f"自评分为单位所填，重算得分按评分规则重新计算，核定得分为评价小组实地核定。"
                     f"导出时间：{datetime.now(CHINA_TIME):%Y-%m-%d %H:%M}", last)
    ws.row_dimensions[3].height = 30
    book.header(ws, 3, header)
    row = 4
    number = 0
    heading = 0

    def unit_row(line: UnitLine) -> None:
        nonlocal row, number
        number += 1
        v = line.version
        values = [number, line.unit.name, line.unit.creation_year, line.state,
                  v.claimed_total if v else None, v.rescored_total if v else None, line.verified_total,
                  *[line.grade or ""] * graded, line.opinion(STAGE_REVIEW), line.opinion(STAGE_SITE),
                  f"{line.built_in}年" if line.built_in else "", line.remark(data.year)]
        for col, value in enumerate(values, start=1):
            h = "left" if header[col - 1] in ("单位名称", "初审意见", "实地验收意见", "备注") else "center"
            fill = STATE_FILLS.get(line.state) if col == 4 else None
            book.cell(ws, row, col, value, size=SMALL_PT, h=h, fill=fill)
        book.fit_row(ws, row, last)
        row += 1

    years = sorted({x.unit.creation_year for x in data.city() if x.unit.creation_year is not None})
    for year in years:
        members = [x for x in data.city() if x.unit.creation_year == year]
        heading += 1
        book.section(ws, row, f"{chinese_numeral(heading)}、{year}年创建单位（{len(members)}家）", last)
        row += 1
        groups = list(dict.fromkeys(x.unit.group for x in members))
        sub = 0
        for group in groups:
            if group:
                sub += 1
                in_group = [x for x in members if x.unit.group == group]
                book.cell(ws, row, 1, f"（{chinese_numeral(sub)}）{group_heading(group)}（{len(in_group)}家）",
                          bold=True, size=SMALL_PT, h="left")
                book.merge(ws, f"A{row}:{get_column_letter(last)}{row}")
                ws.row_dimensions[row].height = 20
                row += 1
            for line in members:
                if line.unit.group == group:
                    unit_row(line)
    districts = data.districts()
    if districts:
        heading += 1
        total = sum(len(v) for v in districts.values())
        book.section(ws, row, f"{chinese_numeral(heading)}、区县（市）创建单位（{total}家）", last)
        row += 1
        for sub, (district, members) in enumerate(districts.items(), start=1):
            book.cell(ws, row, 1, f"（{chinese_numeral(sub)}）{district}（{len(members)}家）", bold=True,
                      size=SMALL_PT, h="left")
            book.merge(ws, f"A{row}:{get_column_letter(last)}{row}")
            ws.row_dimensions[row].height = 20
            row += 1
            for line in members:
                unit_row(line)
    others = data.unlisted()
    if others:
        heading += 1
        book.section(ws, row, f"{chinese_numeral(heading)}、其他申报单位（不在创建名单中，{len(others)}家）", last)
        row += 1
        for line in others:
            unit_row(line)
    ws.freeze_panes = "C4"
    book.print_setup(ws, last, row - 1, "$3:$3", landscape=True)


# --- 进度 ---------------------------------------------------------------------------------------------

def progress(data: YearData) -> list[Progress]:
    """The year's progress rows (shared/progress.py: the one computation the dashboard and the 通报 use too)."""
    return year_progress(data.units, data.every_version, data.year, data.place)


PROGRESS_HEADER = ["类别 / 区县（市）", "单位数", "累计建成", "建成率", "年度目标", "是否达标"]
PROGRESS_WIDTHS = [30, 9, 9, 10, 10, 10]


def build_progress(book: Sheets, data: YearData) -> None:
    ws = book.wb.create_sheet("进度")
    last = len(PROGRESS_HEADER)
    book.widths(ws, PROGRESS_WIDTHS)
    book.title(ws, 1, f"{data.place.name}{data.year}年度节约型机关创建进度", last)
    book.note(ws, 2, f"累计建成：截至{data.year}年验收通过的单位（含以前年度）；建成率 = 累计建成 ÷ 名单单位数。"
                     f"年度目标按《{data.place.action_plan}》二（二），在 targets.toml 中配置。", last)
    book.header(ws, 3, PROGRESS_HEADER)
    rows = progress(data)
    row = 4
    for p in rows:
        met = {True: "达标", False: "未达标", None: "—"}[p.met]
        values = [p.label, p.units, p.built, p.rate,
                  None if p.target is None else p.target / 100, met]
        for col, value in enumerate(values, start=1):
            fmt = "0.0%" if col == 4 else "0%" if col == 5 else None
            fill = STATE_FILLS[PASSED] if met == "达标" and col == 6 else STATE_FILLS[FAILED] if met == "未达标" and col == 6 else None
            book.cell(ws, row, col, value, h="left" if col == 1 else "center", fmt=fmt, fill=fill,
                      bold=p.label in (data.place.categories.city, ALL_CITY) and col == 1)
            if col == 5 and value is None:
                ws.cell(row, col).value = "未设目标"
        ws.row_dimensions[row].height = 22
        row += 1
    last_row = row - 1
    book.print_setup(ws, last, last_row + 22, "$3:$3", landscape=False)

    chart = BarChart()
    chart.type = "bar"  # horizontal: the Chinese category labels stay readable
    chart.title = f"{data.year}年度建成率与目标"
    chart.x_axis.scaling.orientation = "maxMin"  # first row on top, as in the table
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.y_axis.majorUnit = 0.2
    chart.add_data(Reference(ws, min_col=4, max_col=5, min_row=3, max_row=last_row), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=4, max_row=last_row))
    chart.dataLabels = DataLabelList()
    chart.dataLabels.showVal = True
    for hidden in ("showSerName", "showCatName", "showLegendKey", "showPercent"):
        setattr(chart.dataLabels, hidden, False)
    chart.dataLabels.numFmt = "0%"
    chart.legend.position = "b"
    chart.gapWidth = 60
    chart.width = 16.5
    chart.height = max(7.0, 2.0 + 1.3 * len(rows))
    ws.add_chart(chart, f"A{last_row + 2}")


# --- 评分 ---------------------------------------------------------------------------------------------

SCORE_HEADER = ["序号", "单位名称", "版本", "状态", "自评分", "重算得分", "佐证支撑得分", "核定得分", "错误", "警告"]
SCORE_WIDTHS = [5, 22, 5, 9, 6.5, 6.5, 7, 6.5, 5, 5]


def _item_key(item) -> tuple:
    return (item.id, item.name, item.cap)


def build_scores(book: Sheets, store: Store, data: YearData) -> None:
    ws = book.wb.create_sheet("评分")
    # The items of the year's edition; a version scored under another edition (stored before the city
    # re-assigned the year) adds its own items' columns rather than being tallied under a rubric it never had.
    editions = {v.id: store.edition_of(v) for v in data.versions}
    items = list({_item_key(i): i for e in [data.edition, *editions.values()] for i in e.items}.values())
    column_of = {key: n for n, key in enumerate(_item_key(i) for i in items)}
    # Editions that judge more than a total (gates, ★, conditions) get each version's verdict, and its grade.
    judged = [e for e in {e.name: e for e in [data.edition, *editions.values()]}.values() if not e.simple]
    graded = any(e.grades for e in judged)
    extra = ["重算结论", "核定结论"] * bool(judged) + ["等级"] * graded
    header = (SCORE_HEADER + extra
              + [f"{i.id}\n{'★' if i.star else ''}{i.name}\n{_cap_text(i)}" for i in items])
    last = len(header)
    book.widths(ws, SCORE_WIDTHS + [14, 14] * bool(judged) + [6] * graded + [7] * len(items))
    book.title(ws, 1, f"{data.place.name}{data.year}年度节约型机关创建申报评分", last)
    book.note(ws, 2, "每个申报版本一行（被新版本替代的版本注明“已替代”）。自评分为表中所填总分；重算得分按评分规则重新计算；"
                     "佐证支撑得分只计佐证材料齐全的规则；核定得分为评价小组核定（未核定的规则按重算分计）；"
                     "各项目得分为重算得分。"
                     + (f"重算结论、核定结论按通过条件（{'；'.join(pass_rule_text(e) for e in judged)}）判定，"
                        "不符合的注明原因" + ("，等级按核定结论评定" if graded else "") + "。" if judged else ""),
              last)
    book.header(ws, 3, header)
    row = 4
    for number, v in enumerate(data.versions, start=1):
        card = store.verified_card(v.id) if v.unit_id is not None else None
        unverified = sum(1 for r in editions[v.id].rules if not r.computed)
        verified = card.total if card is not None and len(card.pending) < unverified else None
        state = v.status if v.current else f"{v.status}（已替代）"
        values = [number, v.unit_name or v.org_name or v.original_name, v.number, state, v.claimed_total,
                  v.rescored_total, v.evidenced_total, verified, v.error_count, v.warning_count]
        edition = editions[v.id]
        rescored = rescored_card(v, edition)
        if judged:
            values.append("—" if rescored is None else verdict_text(rescored))
            values.append("—" if card is None or verified is None else verdict_text(card.card))
        if graded:
            values.append((card.card.grade if card is not None and verified is not None else None) or "—")
        items_now = dict(rescored.items) if rescored is not None else {}
        skipped = rescored.skipped if rescored is not None else ()
        by_column = {column_of[_item_key(i)]: item_shown(i, items_now.get(i.id), skipped) for i in edition.items}
        values += [by_column.get(n) for n in range(len(items))]
        for col, value in enumerate(values, start=1):
            book.cell(ws, row, col, value, size=SMALL_PT, h="left" if col == 2 else "center",
                      fill=STATE_FILLS.get(v.status) if col == 4 else None)
        book.fit_row(ws, row, last)
        row += 1
    if not data.versions:
        book.cell(ws, row, 1, f"{data.year}年度尚无申报。", h="left")
        book.merge(ws, f"A{row}:{get_column_letter(last)}{row}")
        row += 1
    ws.freeze_panes = "C4"
    book.print_setup(ws, last, row - 1, "$3:$3", landscape=True)


# --- 抽查 ---------------------------------------------------------------------------------------------

SAMPLE_HEADER = ["序号", "区县（市）", "单位名称", "创建年度", "核定得分", "达到合格分", "核减规则", "抽查意见"]
SAMPLE_WIDTHS = [5, 11, 24, 7, 7, 7, 22, 22]


def build_sample(book: Sheets, store: Store, data: YearData) -> None:
    from .sampling import passed_by_district

    ws = book.wb.create_sheet("抽查")
    last = len(SAMPLE_HEADER)
    book.widths(ws, SAMPLE_WIDTHS)
    year = data.year
    book.title(ws, 1, f"{data.place.name}{year}年度区县（市）节约型机关创建抽查", last)
    entries = store.sample(year)
    if not entries:
        book.note(ws, 2, f"{year}年度尚未抽取抽查单位（由{data.place.lead_agency}运行“jyjg sample --year {year}”抽取）。", last)
        book.print_setup(ws, last, 2, None, landscape=False)
        return
    first = entries[0]
    book.note(ws, 2, f"方案四（三）：{data.place.lead_agency}对区县（市）创建单位进行抽查。每个区县（市）从本年度验收通过的单位中"
                     f"随机抽取不少于 {shown(first.rate * 100)}%（向上取整，至少 1 家）。随机种子“{first.seed}”，"
                     f"同一种子可重现同一抽查结果。抽取人：{first.drawn_by}；抽取时间："
                     f"{first.drawn_at.astimezone(CHINA_TIME):%Y-%m-%d %H:%M}。", last)
    # Per district: how many passed, how many drawn.
    passed = {d: len(units) for d, units in passed_by_district(store, year).items()}
    drawn: dict[str, int] = {}
    for e in entries:
        drawn[e.district] = drawn.get(e.district, 0) + 1
    summary = ["区县（市）", "验收通过", "抽查", "抽查比例"]
    for col, label in enumerate(summary, start=1):
        book.cell(ws, 3, col if col == 1 else col + 1, label, bold=True, size=SMALL_PT, fill=HEAD_FILL)
    book.merge(ws, "A3:B3")
    row = 4
    for district in sorted(set(passed) | set(drawn)):
        n, k = passed.get(district, 0), drawn.get(district, 0)
        book.cell(ws, row, 1, district, size=SMALL_PT)
        book.merge(ws, f"A{row}:B{row}")
        book.cell(ws, row, 3, n, size=SMALL_PT)
        book.cell(ws, row, 4, k, size=SMALL_PT)
        book.cell(ws, row, 5, Decimal(k) / n if n else None, size=SMALL_PT, fmt="0.0%")
        ws.row_dimensions[row].height = 20
        row += 1
    row += 1
    header_row = row
    passes = f"达到{shown(data.edition.qualify_at)}分" if data.edition.simple else "符合通过条件"
    ws.row_dimensions[row].height = 24
    book.header(ws, row, [passes if h == "达到合格分" else h for h in SAMPLE_HEADER])
    row += 1
    for number, e in enumerate(entries, start=1):
        card = store.verified_card(e.version_id) if e.version_id else None
        marked = ""
        if card is not None:
            marked = "、".join(f"{rid}（{shown(card.rules[rid].claimed)}→{shown(card.rules[rid].score)}）"
                              for rid in card.marked_down) or "无"
        values = [number, e.district, e.unit.name, e.unit.creation_year, card.total if card else None,
                  ("是" if card.card.qualifies else "否") if card else "", marked, ""]
        for col, value in enumerate(values, start=1):
            book.cell(ws, row, col, value, size=SMALL_PT, h="left" if col in (3, 7, 8) else "center")
        book.fit_row(ws, row, last, minimum=30)
        row += 1
    book.print_setup(ws, last, row - 1, f"${header_row}:${header_row}", landscape=False)


# --- the workbook -------------------------------------------------------------------------------------

def build_annual_export(store: Store, year: int) -> openpyxl.Workbook:
    data = gather(store, year)
    book = Sheets(f"{store.city.name}{year}年度节约型机关创建名单、进度与评分", store.city)
    build_list(book, data)
    build_progress(book, data)
    build_scores(book, store, data)
    build_sample(book, store, data)
    book.wb.active = 0
    return book.wb


def write_annual_export(store: Store, year: int, out_path: str | Path) -> Path:
    """Write the year's export workbook (名单, 进度, 评分, 抽查) to out_path (.xlsx)."""
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    build_annual_export(store, year).save(out)
    return out
