"""HTML for the dashboard's screens: the 总览 chart, a submission's detail, its history and the
核定 tally. Pure functions of store values; every text from a submission is escaped.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Mapping, Sequence

from shared.names import FIGURES
from shared.rubric import CITY, CONFIG, INDICATORS, Rubric
from shared.numbers import shown
from shared.progress import DISTRICT_PREFIX, Progress
from shared.rubric import GATE, BONUS
from shared.numbers import round_half_up
from shared.scoring import (ScoreCard, as_number, band_points, benchmark_ratio, decline, describe_decline, indicator_value, item_shown,
                            meets_target, tally, verdict_text)
from shared.store import CHINA_TIME, STATES, History, StoredUnit, UnitState, Version, rescored_card

from .listing import TEXT_CELL, UNKNOWN_UNIT, action_link, score, state_badge, text, typed_cell

EVIDENCE_STATUS = {"ok": "已提供", "not_found": "找不到", "unsafe": "路径不安全", "broken": "无法打开"}


def when(moment: datetime | None) -> str:
    return "—" if moment is None else moment.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")


# --- 总览 ------------------------------------------------------------------------------------

def state_counts(states: Iterable[UnitState], versions: Sequence[Version], year: int) -> dict[str, int]:
    """How many units of the year are in each state, plus submissions no unit could be read from."""
    counts = Counter(s.state for s in states)
    shown = {state: counts.get(state, 0) for state in STATES}
    unknown = sum(1 for v in versions if v.current and v.unit_id is None and v.assess_year in (year, None))
    if unknown:
        shown[UNKNOWN_UNIT] = unknown
    return shown


def render_counts(counts: Mapping[str, int]) -> str:
    cards = "".join(
        f'<div class="jyjg-card"><div class="jyjg-card-n">{n}</div><div>{state_badge(state) if state != UNKNOWN_UNIT else text(state)}</div></div>'
        for state, n in counts.items())
    return f'<div class="jyjg-cards">{cards}</div>'


def render_progress(rows: Sequence[Progress], year: int) -> str:
    """The chart (shared/progress.py's rows) as plain HTML/CSS bars: selectable text, no image, no extra
    dependency. A district's bar sits under its total, indented."""
    if not any(row.units for row in rows):
        return '<p class="jyjg-muted">名单中还没有单位。</p>'
    bars = []
    for bar in rows:
        if not bar.units:
            continue
        done = bar.percent(bar.built)
        busy = bar.percent(bar.in_review)
        marker = ""
        if bar.target is not None:
            marker = (f'<div class="jyjg-target" style="left:{min(float(bar.target), 100):.2f}%" '
                      f'title="目标 {shown(bar.target)}%"></div>')
            need = max(0, bar.target_count - bar.built)
            goal = (f"目标 {shown(bar.target)}%（{bar.target_count} 家）"
                    + ("，已完成" if need == 0 else f"，还差 {need} 家"))
        else:
            goal = "未设目标"
        label = bar.label.removeprefix(DISTRICT_PREFIX)
        row_class = "jyjg-bar-row jyjg-bar-district" if bar.is_district else "jyjg-bar-row"
        bars.append(
            f'<div class="{row_class}"><div class="jyjg-bar-label">{text(label)}'
            f'<div class="jyjg-muted">名单 {bar.units} 家</div></div>'
            f'<div class="jyjg-bar"><div class="jyjg-bar-pass" style="width:{done:.2f}%"></div>'
            f'<div class="jyjg-bar-busy" style="width:{min(busy, 100 - done):.2f}%"></div>{marker}</div>'
            f'<div class="jyjg-bar-text">已通过 {bar.built} 家（{shown(done, places=1)}%），评审中 {bar.in_review} 家；'
            f"{text(goal)}</div></div>")
    legend = ('<div class="jyjg-legend"><span class="jyjg-key jyjg-bar-pass"></span>验收通过（累计）'
              '<span class="jyjg-key jyjg-bar-busy"></span>本年度评审中'
              '<span class="jyjg-key jyjg-key-target"></span>年度目标</div>')
    return (f'<div class="jyjg-chart"><h4>{year} 年度创建目标完成进度</h4>{"".join(bars)}{legend}</div>')


# --- 详情 ------------------------------------------------------------------------------------

def edition_of(version: Version) -> Rubric:
    """The rubric edition the version was scored under: its rules, caps and pass mark are shown. (The screens
    pass the store's own, Store.edition_of, which knows the store's city.)"""
    return CITY.edition(version.edition)


def evidence_paths(version: Version, package_files: Sequence[str] = (), edition: Rubric | None = None) -> list[str]:
    """Every evidence file the workbook names that can be opened (rule order), then the package's other files."""
    paths: list[str] = []
    for rule in (edition or edition_of(version)).rules:
        for entry in version.evidence.get(rule.id, []) or []:
            path = entry.get("path")
            if path and entry.get("status") == "ok" and path not in paths:
                paths.append(path)
    named = {p.replace("\\", "/").strip("/") for p in paths}
    paths.extend(f for f in package_files if f not in named and f"佐证材料/{f}" not in named)
    return paths


def verdict_html(card: ScoreCard | None, edition: Rubric) -> tuple[str, str]:
    """(label, value) of a card's verdict: 达到 N 分 是/否 for an edition judged on its total alone, else the
    通过条件 met (with the grade) or not (with why)."""
    if edition.simple:
        return (f"达到 {score(edition.qualify_at)} 分", "—" if card is None else ("是" if card.qualifies else "否"))
    if card is None:
        return "通过条件", "—"
    # <em>, not <span>: a fact's label spans keep to one line, and the verdict with its reasons may need two.
    return "通过条件", f'<em class="jyjg-{"ok" if card.qualifies else "err"} jyjg-verdict">{text(verdict_text(card))}</em>'


def _points(item) -> str:
    """An item's or rule's points as its heading shows them: 上限 20 分, 必须完成, 附加 5 分."""
    if item.kind == GATE:
        return "必须完成"
    return f"{'附加' if item.kind == BONUS else '上限'} {score(item.cap)} 分"


def _item_text(item, value: Decimal, skipped: Iterable[str]) -> str:
    """scoring.item_shown as HTML: 符合 / 不符合 / 不适用, or the score."""
    shown_item = item_shown(item, value, skipped)
    return text(shown_item) if isinstance(shown_item, str) else score(shown_item)


def item_heading(item) -> str:
    """An item as a heading of the 核定 grid: ★ 制度（上限 20 分）, 前提（必须完成）."""
    return f"{_star(item)}{text(item.name)}（{_points(item)}）"


def rule_heading(rule) -> str:
    """A rule as the 核定 grid names it: ★ for a ★ rule, and how it is verified when the edition says."""
    method = f'<div class="jyjg-muted">核查方式：{text(rule.method)}</div>' if rule.method else ""
    return f"{_star(rule)}{text(rule.label)}{method}"


def _star(part) -> str:
    return '<span class="jyjg-err" title="★ 项：得 0 分的不能通过">★</span>' if part.star else ""


def render_header(version: Version, unit: StoredUnit | None, edition: Rubric | None = None) -> str:
    edition = edition or edition_of(version)
    name = version.unit_name or version.org_name or UNKNOWN_UNIT
    where = ""
    if unit is not None:
        where = unit.district or unit.group or ""
    facts = [
        ("单位", text(name)), ("类别", text(unit.category if unit else version.org_category or "—")),
        ("大院 / 区县", text(where or "—")), ("创建年度", text(version.assess_year or "—")),
        ("版本", text(f"第 {version.number} 版" if version.number else "—")), ("状态", state_badge(version.status)),
        ("申报文件", text(version.original_name)), ("收到时间", when(version.recorded_at)),
        ("自评分", score(version.claimed_total)), ("重算得分", score(version.rescored_total)),
        ("有佐证得分", score(version.evidenced_total)),
        verdict_html(rescored_card(version, edition), edition),
        ("评价指标", text(edition.label)),
        ("错误 / 警告", f"{version.error_count} / {version.warning_count}"),
    ]
    cells = "".join(f'<div class="jyjg-fact"><span class="jyjg-muted">{k}</span><b{TEXT_CELL}>{v}</b></div>'
                    for k, v in facts)
    stale = ""
    if version.withdrawn:
        stale = (f'<p class="jyjg-warn-box">这份申报已被{text(version.withdrawn_by)}撤回（{text(version.withdraw_reason)}），'
                 "不计入列表和统计，只能查看。</p>")
    elif not version.current:
        stale = '<p class="jyjg-warn-box">这是已被新版本替代的旧版本，只能查看。</p>'
    return f'<div class="jyjg-facts">{cells}</div>{stale}'


def claimed_html(entry: Mapping | None, rule=None) -> str:
    """What the unit filled for a rule: a score; 符合 / 不符合 for a gate rule; 缺 N 项 for a deduction rule."""
    raw = (entry or {}).get("claimed")
    if raw is None or raw == "":
        return '<span class="jyjg-muted">未填</span>'
    number = as_number(raw)
    if number is None:
        return text(f"“{raw}”")
    if rule is not None and rule.gate and number in (0, 1):
        return "符合" if number == 1 else "不符合"
    if rule is not None and rule.deduct is not None:
        return text(f"缺 {score(number)} 项")
    return text(score(number))


def _evidence_cell(version: Version, rule_id: str, computed: bool, index: Mapping[str, int]) -> str:
    if computed:
        return '<span class="jyjg-muted">由备案表数据计算</span>'
    entries = version.evidence.get(rule_id) or []
    if not entries:
        return '<span class="jyjg-muted">未列出</span>'
    parts = []
    for entry in entries:
        path, status = entry.get("path") or "", entry.get("status") or ""
        label = EVIDENCE_STATUS.get(status, status)
        reason = f"（{text(entry.get('reason'))}）" if entry.get("reason") else ""
        name = text(path)
        if status == "ok" and path in index:
            name = action_link(f"evidence:{index[path]}", name, "jyjg-evidence-link", scroll_to="jyjg-viewer")
        css = "jyjg-ok" if status == "ok" else "jyjg-err"
        parts.append(f'<div>{name} <span class="{css}">{text(label)}</span>{reason}</div>')
    return "".join(parts)


def _stored_score(entry: Mapping | None) -> Decimal:
    """A rule's re-score as the store keeps it (exact decimal text)."""
    stored = (entry or {}).get("score")
    return Decimal(str(stored)) if stored is not None else Decimal(0)


def _rule_points(rule) -> str:
    """What a rule can earn, as its row says it."""
    if rule.gate:
        return "必须完成：符合 / 不符合"
    if rule.deduct is not None:
        return f"每缺一项扣 {score(rule.deduct)} 分，最高 {score(rule.points)} 分（填缺项数）"
    if rule.bands:
        return f"按与同类平均值之比分档，最高 {score(rule.points)} 分"
    return f"最高 {score(rule.points)} 分"


def _rule_score(rule, value: Decimal | None) -> str:
    if value is None:
        return "—"
    if rule.gate:
        return "符合" if value >= 1 else '<span class="jyjg-err">不符合</span>'
    return score(value)


def render_rules(version: Version, index: Mapping[str, int], edition: Rubric | None = None) -> str:
    """Rule by rule: what was claimed, the re-score, the evidence and every finding on the rule; each item with
    its score (符合 / 不符合 for a gate, 不适用 for an item the unit marked so), ★ items and rules marked."""
    by_rule: dict[str, list[dict]] = {}
    for f in version.findings:
        if f.get("rule"):
            by_rule.setdefault(f["rule"], []).append(f)
    rows = []
    rescored = {rid: _stored_score(e) for rid, e in version.rules.items()}
    edition = edition or edition_of(version)
    card = rescored_card(version, edition) or tally(rescored, edition)
    for item in edition.items:
        value = _item_text(item, card.items[item.id], card.skipped)
        if not (item.gate or item.id in card.skipped):
            value += f" / {score(item.cap)}"
        method = f'<div class="jyjg-muted">核查方式：{text(item.method)}</div>' if item.method else ""
        rows.append(f'<tr class="jyjg-item"><td>{item.id}</td><td colspan="2">{_star(item)}{text(item.name)}'
                    f'（{_points(item)}）{method}</td>'
                    f'<td class="num">{value}</td><td colspan="2"></td></tr>')
        for rule in item.rules:
            entry = version.rules.get(rule.id)
            problems = "".join(
                f'<div class="jyjg-{"err" if f.get("severity") == "error" else "warn"}">{text(f.get("message"))}</div>'
                for f in by_rule.get(rule.id, []))
            backed = (entry or {}).get("evidenced")
            flag = "" if rule.computed else ('<span class="jyjg-ok">✓</span>' if backed else '<span class="jyjg-err">✗</span>')
            rows.append(
                f'<tr><td>{rule.id}</td><td>{_star(rule)}{text(rule.label)}<div class="jyjg-muted">{_rule_points(rule)}'
                f'{"；核查方式：" + text(rule.method) if rule.method and rule.method != item.method else ""}</div></td>'
                f'<td class="num">{claimed_html(entry, rule)}</td>'
                f'<td class="num">{_rule_score(rule, rescored.get(rule.id)) if entry else "—"}</td>'
                f"<td>{flag} {_evidence_cell(version, rule.id, rule.computed, index)}</td><td>{problems}</td></tr>")
    return ('<table class="jyjg-table jyjg-rules"><thead><tr><th>规则</th><th>内容</th><th class="num">自评</th>'
            '<th class="num">重算</th><th>佐证材料</th><th>问题</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def render_findings(version: Version) -> str:
    """Findings about the submission as a whole (those not on one rule)."""
    general = [f for f in version.findings if not f.get("rule")]
    if not general:
        return ""
    items = "".join(
        f'<li class="jyjg-{"err" if f.get("severity") == "error" else "warn"}">'
        f'{"错误" if f.get("severity") == "error" else "警告"}：{text(f.get("message"))}</li>' for f in general)
    return f'<h4>整体问题</h4><ul class="jyjg-findings">{items}</ul>'


def _fmt(value: Fraction | Decimal | None) -> str:
    return "—" if value is None else shown(value, significant=4, grouped=True)


def _raw_figure(raw: object) -> str:
    number = as_number(raw)
    if number is not None:
        return text(shown(number, grouped=True))  # every digit typed: the verdict may rest on the last one
    return '<span class="jyjg-muted">未填</span>' if raw in (None, "") else text(f"“{raw}”")


def render_figures(version: Version, figures: Mapping[str, object] | None = None, edition: Rubric | None = None,
                   config=None) -> str:
    """The 备案表 figures (this year and last), the derived indicators and the decline against target; for an
    edition with benchmark bands, each band rule's ratio to the same-type average (configuration, with its
    source) and the points it earns."""
    figures = version.figures if figures is None else figures
    config = config or CONFIG
    rows = []
    for name, label in FIGURES.items():
        rows.append(f"<tr><td>{text(label)}</td><td class=\"num\">{_raw_figure(figures.get(name))}</td>"
                    f"<td class=\"num\">{_raw_figure(figures.get('base_' + name))}</td></tr>")
    targets = config.energy_targets(version.assess_year)
    derived = []
    for key, indicator in INDICATORS.items():
        now = indicator_value(figures, indicator)
        before = indicator_value(figures, indicator, base=True)
        fall = decline(figures, indicator)
        target = targets.percent[key]
        met = "—" if fall is None else ('<span class="jyjg-ok">达标</span>' if meets_target(fall, targets.share[key])
                                        else '<span class="jyjg-err">未达标</span>')
        derived.append(
            f"<tr><td>{text(indicator.label)}（{text(indicator.unit)}）</td><td class=\"num\">{_fmt(now)}</td>"
            f"<td class=\"num\">{_fmt(before)}</td><td class=\"num\">{'—' if fall is None else describe_decline(fall, targets.share[key])}</td>"
            f"<td class=\"num\">下降 {shown(target)}%</td><td>{met}</td></tr>")
    return ('<table class="jyjg-table jyjg-figures"><thead><tr><th>备案表数据</th><th class="num">本年度</th>'
            f'<th class="num">上年度</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            '<table class="jyjg-table jyjg-figures"><thead><tr><th>折算指标</th><th class="num">本年度</th>'
            '<th class="num">上年度</th><th class="num">较上年</th><th class="num">目标</th><th>结果</th></tr></thead>'
            f'<tbody>{"".join(derived)}</tbody></table>' + _render_bands(version, figures, edition, config))


def _render_bands(version: Version, figures: Mapping[str, object], edition: Rubric | None, config) -> str:
    bands = [r for r in (edition.computed_rules if edition else ()) if r.bands]
    if not bands:
        return ""
    rows = []
    for rule in bands:
        indicator = INDICATORS[rule.indicator]
        average, source = config.benchmark(version.assess_year, version.org_category, rule.indicator)
        ratio = benchmark_ratio(rule, figures, version.assess_year, version.org_category, config)
        shown_ratio = "—" if ratio is None else f"{shown(round_half_up(ratio, 4))} 倍"
        rows.append(f"<tr><td>{rule.id} {text(indicator.label)}（{text(indicator.unit)}）</td>"
                    f'<td class="num">{_fmt(indicator_value(figures, indicator))}</td>'
                    f'<td class="num">{"未配置" if average is None else shown(average)}</td><td>{text(source)}</td>'
                    f'<td class="num">{shown_ratio}</td><td class="num">{score(band_points(rule, ratio))} / '
                    f"{score(rule.points)}</td></tr>")
    return ('<table class="jyjg-table jyjg-figures jyjg-bands"><thead><tr><th>同类对标</th><th class="num">本年度</th>'
            '<th class="num">同类平均值</th><th>来源</th><th class="num">比值</th><th class="num">得分</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def render_texts(version: Version) -> str:
    """单位基本情况 and 创建内容完成情况, as the unit wrote them."""
    parts = []
    for name, label in (("org_profile", "单位基本情况"), ("achievements", "创建内容完成情况及工作特色")):
        value = version.values.get(name)
        if value:
            parts.append(f'<h4>{label}</h4><div class="jyjg-prose">{text(value)}</div>')
    return "".join(parts)


# --- history ---------------------------------------------------------------------------------

def _version_note(version: Version) -> str:
    if version.withdrawn:
        return (f'<span class="jyjg-err">已撤回</span>（{text(version.withdrawn_by)}，{when(version.withdrawn_at)}：'
                f"{text(version.withdraw_reason)}）")
    return "当前版本" if version.current else "已被替代"


REVOKED_ROW = ' class="jyjg-revoked"'


def _revoked_note(decision) -> str:
    if not decision.revoked:
        return ""
    return (f'<div class="jyjg-revoked-note">已撤销（{text(decision.revoked_by)}，{when(decision.revoked_at)}）：'
            f"{text(decision.revoke_reason)}</div>")


def render_history(history: History) -> str:
    versions = "".join(
        f"<tr><td>{'第 %s 版' % v.number if v.number else v.id}{' （当前查看）' if v.id == history.version.id else ''}</td>"
        f"{typed_cell(v.original_name)}<td>{when(v.recorded_at)}</td><td class=\"num\">{score(v.rescored_total)}</td>"
        f"<td>{state_badge(v.status)}</td><td>{_version_note(v)}</td></tr>"
        for v in history.versions)
    decisions = "".join(
        f"<tr{REVOKED_ROW if d.revoked else ''}><td>{text(d.stage)}</td>"
        f"<td>{text(d.outcome)}{_revoked_note(d)}</td>{typed_cell(d.reviewer)}<td>{when(d.decided_at)}</td>"
        f'<td class="jyjg-prose">{text(d.opinion) or "—"}</td>'
        f'<td class="num">{score(d.verified_total) if d.verified_total is not None else "—"}</td></tr>'
        for d in history.decisions) or '<tr><td colspan="6" class="jyjg-empty">还没有评审结论。</td></tr>'
    audit = "".join(
        f"<tr><td>{when(a.at)}</td>{typed_cell(a.actor)}<td>{text(a.summary)}</td></tr>" for a in history.audit)
    comments = "".join(
        f"<tr><td>{when(c.created_at)}</td>{typed_cell(c.author)}<td class=\"jyjg-prose\">{text(c.text)}</td></tr>"
        for c in history.comments)
    out = ('<h4>评审结论</h4><table class="jyjg-table jyjg-decisions"><thead><tr><th>环节</th><th>结论</th>'
           '<th>评审人</th><th>时间</th><th>意见</th><th class="num">核定总分</th></tr></thead>'
           f"<tbody>{decisions}</tbody></table>"
           '<h4>各版本</h4><table class="jyjg-table"><thead><tr><th>版本</th><th>文件</th><th>收到时间</th>'
           f'<th class="num">重算得分</th><th>状态</th><th></th></tr></thead><tbody>{versions}</tbody></table>')
    if comments:
        out += ('<h4>评论</h4><table class="jyjg-table"><thead><tr><th>时间</th><th>评论人</th><th>内容</th></tr>'
                f"</thead><tbody>{comments}</tbody></table>")
    return out + ('<h4>操作记录</h4><table class="jyjg-table"><thead><tr><th>时间</th><th>操作人</th><th>内容</th>'
                  f"</tr></thead><tbody>{audit}</tbody></table>")


# --- 核定 ------------------------------------------------------------------------------------

def render_tally(scores: Mapping[str, Decimal], claimed: Mapping[str, Decimal], edition: Rubric,
                 skipped: Iterable[str] = ()) -> str:
    """The running verified total with each item against its cap (item = min(cap, sum of rules)), under the
    version's edition: gate items 符合 / 不符合, items the unit marked 不适用 left out, and the verdict — the pass
    mark alone, or every 通过条件 of the edition with the grade."""
    card = tally(scores, edition, skipped)
    claimed_card = tally(claimed, edition, skipped)
    cells = []
    for item in edition.items:
        raw_sum = sum((scores.get(r.id, Decimal(0)) for r in item.rules), Decimal(0))
        capped = (' <span class="jyjg-warn">（超出上限，按上限计）</span>'
                  if raw_sum > item.cap and not item.gate and item.id not in card.skipped else "")
        down = card.items[item.id] < claimed_card.items[item.id]
        css = ' class="jyjg-down"' if down else ""
        now = _item_text(item, card.items[item.id], card.skipped)
        now = now if item.gate or item.id in card.skipped else f"<b>{now}</b> / {score(item.cap)}"
        cells.append(f"<tr{css}><td>{item.id}</td><td>{_star(item)}{text(item.name)}</td>"
                     f'<td class="num">{_item_text(item, claimed_card.items[item.id], card.skipped)}</td>'
                     f'<td class="num">{now}{capped}</td></tr>')
    if edition.simple:
        qualify = score(edition.qualify_at)
        verdict = (f'<span class="jyjg-ok">达到 {qualify} 分，可以验收通过</span>' if card.qualifies
                   else f'<span class="jyjg-err">低于 {qualify} 分，不能验收通过</span>')
    else:
        verdict = (f'<span class="jyjg-{"ok" if card.qualifies else "err"}">{text(verdict_text(card))}，'
                   f'{"可以" if card.qualifies else "不能"}验收通过</span>')
    return (f'<div class="jyjg-total">核定总分 <b class="jyjg-total-n">{score(card.total)}</b> 分'
            f'（自评重算 {score(claimed_card.total)} 分）：{verdict}</div>'
            '<table class="jyjg-table jyjg-tally"><thead><tr><th>项目</th><th>名称</th><th class="num">重算</th>'
            f'<th class="num">核定 / 上限</th></tr></thead><tbody>{"".join(cells)}</tbody></table>')
