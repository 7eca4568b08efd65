"""A unit's 验收评分表 (`jyjg report`): the 附件3 layout with 自评得分 and 核定得分 side by side, the
评价小组's reasons and evidence check, the energy figures as declared and as verified, the 实地验收
decision, and room for the group's signatures — one A4 portrait sheet to print and sign (.xlsx, or
.pdf through LibreOffice).
"""
from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from .export import HEAD_FILL, STATE_FILLS, Sheets, shown_date
from .names import BASE_FIGURES, FIGURES
from .office import to_pdf
from .rubric import INDICATORS, Config
from .numbers import round_half_up, shown
from .scoring import (as_number, benchmark_ratio, decline, describe_decline, item_shown, meets_target, pass_rule_text, plain_number,
                      tally, verdict_text)
from .store import FINAL_STATES, STAGE_REVIEW, STAGE_SITE, Store, StoreError, VerifiedCard, Version
from .template import BODY_PT, SMALL_PT, _align, _cap_text, _number_text, _stacked, fit_row_height, lines_height

SHEET = "验收评分表"
FIGURES_SHEET = "能耗数据核定"
# 序号 单元 项目 评分规则 | 自评 分项 项目 | 核定 分项 项目 | 佐证 | 核定理由
WIDTHS = [4.5, 9, 9, 35, 5.2, 5.2, 5.2, 5.2, 6.5, 14]
LAST = len(WIDTHS)
UNVERIFIED = "未核定"
UNVERIFIED_REASON = "（未核定）"
LAST_COL = get_column_letter(LAST)


def _decline_text(fall: Fraction | None, target: Fraction) -> str:
    return "无法计算" if fall is None else describe_decline(fall, target)


def find_version(store: Store, unit_name: str, year: int) -> Version:
    """The version the year's result rests on: the decided one, else the latest."""
    unit = store.unit(unit_name)
    if unit is None:
        raise StoreError(f"评审库中没有单位“{unit_name}”。请核对单位名称。")
    state = next((s for s in store.unit_states(year) if s.unit.id == unit.id), None)
    if state is None or state.version_id is None:
        raise StoreError(f"“{unit.name}”没有 {year} 年度的申报，无法生成验收评分表。")
    return store.version(state.version_id)


def build_acceptance_report(store: Store, unit_name: str, year: int) -> openpyxl.Workbook:
    version = find_version(store, unit_name, year)
    card = store.verified_card(version.id)
    rubric = card.edition  # the edition the version was scored under, whatever later years use
    decisions = store.decisions(version.id)
    book = Sheets(f"{version.unit_name} {year} 年度节约型机关验收评分表")
    ws = book.wb.create_sheet(SHEET)
    book.widths(ws, WIDTHS)
    merge = book.merge

    book.title(ws, 1, f"{store.city.name}节约型机关创建验收评分表", LAST, height=40)
    book.cell(ws, 2, 1, f"单位：{version.unit_name}", bold=True, h="left", border=False)
    merge(ws, "A2:D2", border=False)
    book.cell(ws, 2, 5, f"创建年度：{year}", bold=True, h="left", border=False)
    merge(ws, f"E2:{LAST_COL}2", border=False)
    ws.row_dimensions[2].height = 24
    review = [d for d in decisions if d.stage == STAGE_REVIEW]
    line = f"申报版本：第 {version.number} 版（{version.original_name}，{shown_date(version.recorded_at)} 收到）"
    if review:
        line += f"；初审：{review[-1].outcome}（{review[-1].reviewer}，{shown_date(review[-1].decided_at)}）"
    book.cell(ws, 3, 1, line, size=SMALL_PT, h="left", border=False)
    merge(ws, f"A3:{LAST_COL}3", border=False)
    fit_row_height(ws, ws["A3"])

    # Header, as 附件3 with the 核定 columns beside the 自评 ones.
    for col, text in zip("ABCDEGIJ", ("序号", "单元", "项目", "评分规则", "自评得分", "核定得分", "佐证\n已查看",
                                       "核定理由")):
        book.cell(ws, 4, ord(col) - 64, text, bold=True, size=SMALL_PT, fill=HEAD_FILL)
    for col, text in zip("EFGH", ("分项", "项目", "分项", "项目")):
        book.cell(ws, 5, ord(col) - 64, text, bold=True, size=SMALL_PT, fill=HEAD_FILL)
    for cells in ("A4:A5", "B4:B5", "C4:C5", "D4:D5", "E4:F4", "G4:H4", "I4:I5", "J4:J5"):
        merge(ws, cells)
    ws.row_dimensions[4].height = 22
    ws.row_dimensions[5].height = 22

    claimed_card = tally({rid: v.claimed for rid, v in card.rules.items()}, rubric, card.card.skipped)
    claimed_items = claimed_card.items
    started = verification_started(card)
    blocks = []  # (first row, last row) of each item: a page break never splits one
    units = []
    row = 6
    for unit in rubric.units:
        unit_first = row
        for item in unit.items:
            item_first = row
            for rule in item.rules:
                rule_row(book, ws, row, rule, version, card, started)
                row += 1
            last = row - 1
            blocks.append((item_first, last))
            book.cell(ws, item_first, 3, f"{'★' if item.star else ''}{_stacked(item.name)}\n{_cap_text(item)}",
                      size=SMALL_PT)
            book.cell(ws, item_first, 6, item_shown(item, claimed_items[item.id], claimed_card.skipped), bold=True)
            # An item's 核定 score only once all its rules are verified: never a claim in the 核定 column.
            verified_item = card.card.items[item.id] if started and not set(card.pending) & {
                r.id for r in item.rules} else None
            book.cell(ws, item_first, 8,
                      None if verified_item is None else item_shown(item, verified_item, card.card.skipped), bold=True,
                      fill=STATE_FILLS["验收未通过"] if verified_item is not None and verified_item < claimed_items[
                          item.id] else None)
            if last > item_first:
                for col in "CFH":
                    merge(ws, f"{col}{item_first}:{col}{last}")
            book.fit_merged_height(ws, f"C{item_first}", item_first, last)
        book.cell(ws, unit_first, 1, int(unit.id) if unit.id.isdigit() else unit.id)
        book.cell(ws, unit_first, 2, f"{_stacked(unit.name)}\n{_cap_text(unit)}", size=SMALL_PT)
        units.append((unit_first, row - 1, "AB"))  # merged page by page, once the pages are known

    claimed_total = claimed_card.total
    book.cell(ws, row, 1, "合计", bold=True)
    merge(ws, f"A{row}:D{row}")
    book.cell(ws, row, 5, claimed_total, bold=True)
    merge(ws, f"E{row}:F{row}")
    book.cell(ws, row, 7, card.total if card.complete else UNVERIFIED, bold=True)
    merge(ws, f"G{row}:H{row}")
    qualify = _number_text(rubric.qualify_at)
    if card.complete:
        verdict = (f"核定总分{'达到' if card.card.qualifies else '未达到'} {qualify} 分" if rubric.simple
                   else "核定结果" + verdict_text(card.card))
    elif started:
        verdict = f"尚有 {len(card.pending)} 条规则未核定，核定总分待全部核定后得出"
    else:
        verdict = "评价小组尚未核定，核定得分由评价小组实地核查后填写"
    book.cell(ws, row, 9, verdict, size=SMALL_PT, h="left")
    merge(ws, f"I{row}:{LAST_COL}{row}")
    book.fit_row(ws, row, LAST, minimum=26)
    saved = "" if version.claimed_total is None else f"；表中所填自评分 {_number_text(version.claimed_total)} 分"
    row += 1
    book.note(ws, row, f"注：自评得分为单位所填分值按评分规则计分的结果{saved}。"
                       f"{computed_items(rubric)}由备案表能耗数据计算，评价小组更正数据后按更正值计算（见下表）。"
                       + ("" if rubric.simple else f"通过条件：{pass_rule_text(rubric)}。"), LAST)
    tail = row - 1  # 合计 and its note stay with the last item
    blocks[-1] = (blocks[-1][0], tail + 1)
    row += 1
    decision_first = row
    row = decision_block(book, ws, row, version, decisions)
    row = signature_block(book, ws, row)
    blocks.append((decision_first, row - 1))  # the decision and the signatures on one page
    book.print_setup(ws, LAST, row - 1, "$4:$5", landscape=False)
    book.paginate(ws, blocks, units, repeated=(4, 5), last_col=LAST)
    ws.freeze_panes = "A6"
    ws.oddHeader.right.text = f"{version.unit_name}  {year} 年度验收评分表"
    ws.oddHeader.right.size = 9

    # The figures behind item 1.1 on a sheet of their own, so the table's repeated header stays off them.
    figures = book.wb.create_sheet(FIGURES_SHEET)
    book.widths(figures, WIDTHS)
    book.title(figures, 1, "节约型机关创建能耗数据核定表", LAST, height=40)
    book.cell(figures, 2, 1, f"单位：{version.unit_name}", bold=True, h="left", border=False)
    book.merge(figures, "A2:D2", border=False)
    book.cell(figures, 2, 5, f"创建年度：{year}", bold=True, h="left", border=False)
    book.merge(figures, f"E2:{LAST_COL}2", border=False)
    figures.row_dimensions[2].height = 24
    row = figures_block(book, figures, 3, version, card, store.city.config)
    declines = ("下降率 =（上年度 − 创建年度）÷ 上年度，四舍五入到小数点后 10 位（即百分比的 8 位小数）后达到或超过当年目标即完成。"
                if any(not r.bands for r in rubric.computed_rules) else "")
    ratios = ("与同类平均值之比 = 创建年度指标 ÷ 同类单位平均值，同样四舍五入到小数点后 10 位后分档。"
              if any(r.bands for r in rubric.computed_rules) else "")
    book.note(figures, row, f"注：{declines}{ratios}{_computed_points(rubric)}评分依据：{rubric.label}。", LAST)
    row = signature_block(book, figures, row + 2)
    book.print_setup(figures, LAST, row - 1, None, landscape=False)
    return book.wb


def _computed_points(rubric) -> str:
    """What the figures earn under the edition: 完成人均综合能耗下降目标计 4 分 …, or the bands."""
    parts = []
    for rule in rubric.computed_rules:
        label = INDICATORS[rule.indicator].label
        if rule.bands:
            parts.append(f"{label}按与同类平均值之比分档计 0–{_number_text(rule.points)} 分")
        elif rule.gate:
            parts.append(f"{label}下降目标为必须完成项")
        else:
            parts.append(f"完成{label}下降目标计 {_number_text(rule.points)} 分")
    return "；".join(parts) + "。" if parts else ""


def computed_items(rubric) -> str:
    return "、".join(f"“{i.name}”" for i in rubric.items if any(r.computed for r in i.rules))


def verification_started(card: VerifiedCard) -> bool:
    """Whether the 评价小组 has verified any rule or corrected any figure of the version."""
    return bool(card.corrections) or any(v.verified is not None for v in card.rules.values() if not v.computed)


def rule_row(book: Sheets, ws, row: int, rule, version: Version, card: VerifiedCard, started: bool) -> None:
    verdict = card.rules[rule.id]
    # 1.1's rules share one paragraph in 附件1, so their texts carry no number of their own.
    text = f"{rule.number}.{rule.text}（由备案表数据计算）" if rule.computed else rule.text
    text = ("★" if rule.star else "") + text + (f"（核查方式：{rule.method}）" if rule.method else "")
    book.cell(ws, row, 4, text, size=SMALL_PT, h="left")
    book.cell(ws, row, 5, _rule_value(rule, verdict.claimed))
    # 1.1.x follow the figures once the group has begun; before that the column is the group's to fill.
    verified = verdict.score if (started if rule.computed else verdict.verified is not None) else None
    book.cell(ws, row, 7, _rule_value(rule, verified),
              fill=STATE_FILLS["验收未通过"] if verified is not None and verified < verdict.claimed else None)
    if rule.computed:
        seen = "—"
        reason = ("按更正后的能耗数据计算" if card.corrections else "按备案表能耗数据计算") if started else UNVERIFIED_REASON
    else:
        seen = "" if verdict.evidence_seen is None else ("是" if verdict.evidence_seen else "否")
        reason = verdict.reason if verdict.verified is not None else UNVERIFIED_REASON
        raw = (version.rules.get(rule.id) or {}).get("claimed")
        if rule.deduct is not None:  # the unit fills how many requirements are missing, not a score
            number = as_number(raw)
            count = _number_text(number) if number is not None else f"“{raw}”" if raw not in (None, "") else None
            reason = (f"单位填报缺 {count} 项，计 {_number_text(verdict.claimed)} 分。" if count
                      else "单位未填缺项数，计 0 分。") + reason
        elif raw is not None and str(raw) != str(plain_number(verdict.claimed)) and not _same_number(raw, verdict.claimed):
            reason = f"单位填报“{raw}”，按规则计 {_number_text(verdict.claimed)} 分。{reason}"
    book.cell(ws, row, 9, seen, size=SMALL_PT)
    book.cell(ws, row, 10, reason, size=SMALL_PT, h="left")
    book.fit_row(ws, row, LAST, minimum=22)


def _rule_value(rule, value: Decimal | None):
    """A rule's score as the table shows it: 符合 / 不符合 for a gate rule (1 / 0), else the score."""
    if value is None or not rule.gate:
        return value
    return "符合" if value >= 1 else "不符合"


def _same_number(raw, value: Decimal) -> bool:
    try:
        return not isinstance(raw, bool) and Decimal(str(raw)) == value
    except ArithmeticError:
        return False


def figures_block(book: Sheets, ws, row: int, version: Version, card: VerifiedCard, config: Config) -> int:
    """备案表 figures as declared and as verified, and the three declines against the year's targets."""
    for col, text in ((1, "项目"), (5, "申报值"), (7, "核定值"), (9, "说明")):
        book.cell(ws, row, col, text, bold=True, size=SMALL_PT, fill=HEAD_FILL)
    for cells in (f"A{row}:D{row}", f"E{row}:F{row}", f"G{row}:H{row}", f"I{row}:{LAST_COL}{row}"):
        book.merge(ws, cells)
    ws.row_dimensions[row].height = 20
    row += 1
    declared = version.figures or {}
    for name, label in {**BASE_FIGURES, **FIGURES}.items():
        corrected = card.corrections.get(name)
        values = [(1, label), (5, declared.get(name)), (7, corrected[1] if corrected else declared.get(name)),
                  (9, "评价小组更正" if corrected else "")]
        _figure_row(book, ws, row, values)
        row += 1
    targets = config.energy_targets(version.assess_year)
    edition = card.edition
    # The declines the edition's energy rules judge (all three in 附件1), then its bands' ratios.
    judged = {r.indicator for r in edition.computed_rules if not r.bands}
    for key, indicator in INDICATORS.items():
        if key not in judged:
            continue
        target = targets.percent[key]
        now = decline(card.figures, indicator)
        met = meets_target(now, targets.share[key])
        values = [(1, f"{indicator.label}较上年（目标下降 {_number_text(target)}%）"),
                  (5, _decline_text(decline(declared, indicator), targets.share[key])),
                  (7, _decline_text(now, targets.share[key])),
                  (9, "完成目标" if met else "未完成目标")]
        _figure_row(book, ws, row, values, lines=2)
        row += 1
    for rule in edition.computed_rules:
        if rule.bands:
            _figure_row(book, ws, row, band_row(rule, version, card, config), lines=2)
            row += 1
    return row


def band_row(rule, version: Version, card: VerifiedCard, config: Config) -> list[tuple[int, object]]:
    """A band rule's line: the indicator over the same-type average (configuration, with its source),
    declared and verified, and the points of the band it falls in."""
    indicator = INDICATORS[rule.indicator]
    year, category = version.assess_year, version.org_category
    average, source = config.benchmark(year, category, rule.indicator)
    if average is None:
        label = f"{indicator.label}与同类平均值之比（未配置同类平均值）"
    else:
        label = f"{indicator.label}与同类平均值（{_number_text(average)} {indicator.unit}，{source}）之比"

    def ratio_text(figures) -> str:
        ratio = benchmark_ratio(rule, figures, year, category, config)
        return "无法计算" if ratio is None else f"{shown(round_half_up(ratio, 4))} 倍"

    points = card.rules[rule.id].score
    return [(1, f"{rule.id} {label}"), (5, ratio_text(version.figures or {})), (7, ratio_text(card.figures)),
            (9, f"计 {_number_text(points)} 分（满分 {_number_text(rule.points)} 分）")]


def _figure_row(book: Sheets, ws, row: int, values: list[tuple[int, object]], lines: int = 1) -> None:
    """One row of the figures table: label, declared, verified, note, each in its merged cells."""
    for col, value in values:
        book.cell(ws, row, col, value, size=SMALL_PT, h="left" if col in (1, 9) else "center")
    for cells in (f"A{row}:D{row}", f"E{row}:F{row}", f"G{row}:H{row}", f"I{row}:{LAST_COL}{row}"):
        book.merge(ws, cells)
    # A decline (下降 1.9999999%) takes two lines of its narrow column: rows of declines are made for two.
    book.fit_row(ws, row, LAST, minimum=max(20, lines_height(lines, SMALL_PT)))


def decision_block(book: Sheets, ws, row: int, version: Version, decisions) -> int:
    site = [d for d in decisions if d.stage == STAGE_SITE]
    if site and version.status in FINAL_STATES:
        last = site[-1]
        text = (f"实地验收结论：{last.outcome}（{version.status}）\n评价小组意见：{last.opinion or '无'}\n"
                f"录入：{last.reviewer}，{shown_date(last.decided_at)}")
    else:
        text = "实地验收结论：□ 通过    □ 不通过\n评价小组意见（不通过的请写明整改意见）：\n\n\n"
    book.cell(ws, row, 1, text, size=BODY_PT, h="left")
    ws.cell(row, 1).alignment = _align("left", "top")
    book.merge(ws, f"A{row}:{LAST_COL}{row}")
    ws.row_dimensions[row].height = 20
    fit_row_height(ws, ws.cell(row, 1), minimum=90)
    return row + 1


def signature_block(book: Sheets, ws, row: int) -> int:
    lines = [("评价小组组长（签字）：", "日期：      年    月    日"),
             ("评价小组成员（签字）：", ""),
             ("", "")]
    for left, right in lines:
        book.cell(ws, row, 1, left, h="left", border=False)
        book.merge(ws, f"A{row}:D{row}", border=False)
        book.cell(ws, row, 5, right, h="left", border=False)
        book.merge(ws, f"E{row}:{LAST_COL}{row}", border=False)
        ws.row_dimensions[row].height = 40
        row += 1
    return row


def write_acceptance_report(store: Store, unit_name: str, year: int, out_path: str | Path) -> Path:
    """Write the unit's 验收评分表 for the year: .xlsx, or .pdf (printed by LibreOffice) when out_path ends
    with .pdf."""
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb = build_acceptance_report(store, unit_name, year)
    if out.suffix.lower() != ".pdf":
        wb.save(out)
        return out
    with tempfile.TemporaryDirectory(prefix="jyjg-report-") as work:
        xlsx = Path(work) / f"{out.stem}.xlsx"
        wb.save(xlsx)
        pdf, = to_pdf([xlsx], Path(work) / "pdf")
        shutil.move(str(pdf), out)
    return out
