"""HTML for one unit's energy figures across the years it submitted (shared/yearly.py's rows): a table of the
figures, indicators and declines with what a reviewer should ask about, and small SVG charts of the three
indicators. Pure functions; text stays text (SVG <text>), so it is readable, selectable and prints sharp.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from shared.energy import ENERGY
from shared.names import LABELS
from shared.rubric import INDICATORS
from shared.numbers import shown
from shared.scoring import as_number, describe_decline, meets_target
from shared.yearly import BASIS_FIGURES, YearRow

from .listing import text

FIGURE_COLUMNS = (("floor_area_m2", "总建筑面积（m²）"), ("headcount", "用能人数"),
                  ("energy_tce", "综合能耗（tce）"), ("water_t", "用水量（吨）"))


def _number(value: object, significant: int | None = None) -> str:
    """A figure as typed (every digit: a verdict may rest on the last one), a computed indicator to 4 digits."""
    number = value if isinstance(value, Fraction) else as_number(value)
    if number is None:
        return "—"
    return shown(number, significant=significant, grouped=True)


def _change(share: Fraction) -> str:
    return f"{'+' if share >= 0 else '-'}{shown(abs(share) * 100, places=2)}%"


def _decline_cell(row: YearRow, key: str) -> str:
    fall, target = row.declines[key], row.targets[key]
    value = _number(row.indicators[key], significant=4)
    if fall is None:
        return f'<td class="num">{value}<div class="jyjg-muted">下降率无法计算</div></td>'
    verdict = ('<span class="jyjg-ok">达标</span>' if meets_target(fall, target)
               else '<span class="jyjg-err">未达标</span>')
    return (f'<td class="num">{value}<div class="jyjg-muted">{describe_decline(fall, target)}'
            f"（目标下降 {shown(target * 100)}%）{verdict}</div></td>")


def _questions(row: YearRow) -> list[str]:
    share = ENERGY.plausibility_for(row.year).basis_change_percent
    questions = []
    for name in row.basis_flagged:
        questions.append(f"{LABELS[name]}较上年 {_change(row.basis_changes[name])}，变化超过 {shown(share)}%，请问明原因")
    for m in row.mismatches:
        questions.append(f"上年度{LABELS[m.name]}填 {_number(m.submitted)}，而 {row.year - 1} 年度申报为 "
                         f"{_number(m.reported)}，前后不一致")
    return questions


def render_year_table(rows: Sequence[YearRow]) -> str:
    if not rows:
        return '<p class="jyjg-muted">该单位还没有带创建年度的申报。</p>'
    head = "".join(f'<th class="num">{text(label)}</th>' for _, label in FIGURE_COLUMNS)
    head += "".join(f'<th class="num">{text(i.label)}<div class="jyjg-muted">{text(i.unit)}</div></th>'
                    for i in INDICATORS.values())
    body = []
    for row in rows:
        cells = []
        for name, _ in FIGURE_COLUMNS:
            flagged = " jyjg-warn" if name in row.basis_flagged else ""
            change = (f'<div class="jyjg-muted">较上年 {_change(row.basis_changes[name])}</div>'
                      if name in BASIS_FIGURES and row.basis_changes.get(name) is not None else "")
            cells.append(f'<td class="num{flagged}">{_number(row.figures.get(name))}{change}</td>')
        cells += [_decline_cell(row, key) for key in INDICATORS]
        questions = _questions(row)
        body.append(f'<tr class="jyjg-year-row"><td><b>{row.year}</b><div class="jyjg-muted">编号 {row.version_id}</div></td>'
                    f'{"".join(cells)}</tr>')
        if questions:  # on a line of their own under the year, so the table keeps to the page's width
            asks = "".join(f"<li>{text(q)}</li>" for q in questions)
            body.append(f'<tr class="jyjg-asks-row"><td></td><td colspan="{len(cells)}">'
                        f'<b class="jyjg-warn">请核实：</b><ul class="jyjg-asks jyjg-warn">{asks}</ul></td></tr>')
    return ('<table class="jyjg-table jyjg-years"><thead><tr><th>创建年度</th>' + head
            + '</tr></thead><tbody>' + "".join(body) + "</tbody></table>")


# --- the charts --------------------------------------------------------------------------------------

CHART_W, CHART_H = 340, 210
PAD_L, PAD_R, PAD_T, PAD_B = 36, 36, 40, 34


def _series(rows: Sequence[YearRow], key: str) -> list[tuple[int, Fraction]]:
    """The indicator by year: each submission's own year, and the first one's base year before it."""
    points: dict[int, Fraction] = {}
    if rows and rows[0].base_indicators[key] is not None:
        points[rows[0].year - 1] = rows[0].base_indicators[key]
    for row in rows:
        if row.base_indicators[key] is not None:
            points.setdefault(row.year - 1, row.base_indicators[key])
        if row.indicators[key] is not None:
            points[row.year] = row.indicators[key]
    return sorted(points.items())


def render_indicator_chart(rows: Sequence[YearRow], key: str) -> str:
    """One indicator over the years as an SVG line: values at the points, each year's decline on its point
    in green (met) or red (missed)."""
    indicator = INDICATORS[key]
    title = f"{indicator.label}（{indicator.unit}）"
    points = _series(rows, key)
    if not points:
        return (f'<figure class="jyjg-year-chart"><figcaption>{text(title)}</figcaption>'
                '<p class="jyjg-muted">数据不完整，无法作图。</p></figure>')
    years = [y for y, _ in points]
    values = [float(v) for _, v in points]
    value_at = dict(points)
    low, high = min(values), max(values)
    span = (high - low) or abs(high) or 1.0
    low, high = low - span * 0.25, high + span * 0.25
    first, last = years[0], years[-1]
    width = CHART_W - PAD_L - PAD_R

    def x(year: int) -> float:
        return PAD_L + (width / 2 if first == last else (year - first) / (last - first) * width)

    def y(value: float) -> float:
        return PAD_T + (high - value) / (high - low) * (CHART_H - PAD_T - PAD_B)

    by_year = {row.year: row for row in rows}
    parts = [f'<line x1="{PAD_L}" y1="{CHART_H - PAD_B}" x2="{CHART_W - PAD_R}" y2="{CHART_H - PAD_B}" class="axis"/>']
    line = " ".join(f"{x(yr):.1f},{y(v):.1f}" for yr, v in zip(years, values))
    parts.append(f'<polyline points="{line}" class="line"/>')
    for yr, v in zip(years, values):
        cx, cy = x(yr), y(v)
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" class="dot"/>')
        parts.append(f'<text x="{cx:.1f}" y="{cy - 9:.1f}" class="value">{_number(value_at[yr], significant=4)}</text>')
        parts.append(f'<text x="{cx:.1f}" y="{CHART_H - PAD_B + 18:.1f}" class="year">{yr}</text>')
        row = by_year.get(yr)
        if row is not None and row.declines[key] is not None:
            fall, target = row.declines[key], row.targets[key]
            parts.append(f'<text x="{cx:.1f}" y="{cy + 20:.1f}" class="{"met" if meets_target(fall, target) else "missed"}">'
                         f"{describe_decline(fall, target)}</text>")
    label = f"{title}，{first}–{last} 年"
    return (f'<figure class="jyjg-year-chart"><figcaption>{text(title)}</figcaption>'
            f'<svg viewBox="0 0 {CHART_W} {CHART_H}" role="img" aria-label="{text(label)}">{"".join(parts)}</svg>'
            "</figure>")


def render_year_over_year(rows: Sequence[YearRow]) -> str:
    """The whole 历年能耗 section: charts above, the table below."""
    charts = "".join(render_indicator_chart(rows, key) for key in INDICATORS)
    legend = ('<div class="jyjg-muted">图中数字为各年度指标值，其下为该年度申报的较上年变化，'
              '<span class="jyjg-ok">绿色</span>达到当年目标，<span class="jyjg-err">红色</span>未达到。</div>')
    return (f'<div class="jyjg-yearly"><div class="jyjg-year-charts">{charts}</div>{legend}'
            f"{render_year_table(rows)}</div>")
