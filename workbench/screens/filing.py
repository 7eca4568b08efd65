"""年度备案: a 区县审核员 files its district's 创建总体情况 of the year (every unit, its result and
scores) with the city; the administrator sees and may file any district's.

Filing is refused while a unit of the district is still awaiting 初审 or 实地验收 (the store says which);
filing again adds a new filing (the latest counts) and never replaces the earlier one. The city's 抽查
draws only from districts that have filed (the 抽查 screen).
"""
from __future__ import annotations

import ipywidgets as w

from shared.scope import Action, Role
from shared.store import NOT_SUBMITTED, PASSED, DistrictFiling, UnitState

from .. import listing
from ..common import message_html
from ..listing import state_badge, text
from ..render import when
from ..screen import Screen


def district_states(states: list[UnitState], district: str) -> list[UnitState]:
    return [s for s in states if s.unit.district == district]


def filed_rows(states: list[UnitState]) -> list[tuple]:
    """What a filing holds of each unit, to compare a filing with the district as it is now."""
    return sorted((s.unit.name, s.state, s.version_id) for s in states)


def render_summary(states: list[UnitState]) -> str:
    counts: dict[str, int] = {}
    for s in states:
        counts[s.state] = counts.get(s.state, 0) + 1
    cards = "".join(f'<div class="jyjg-card"><div class="jyjg-card-n">{n}</div><div>{text(state)}</div></div>'
                    for state, n in sorted(counts.items(), key=lambda kv: listing.STATE_ORDER.get(kv[0], 99)))
    return (f'<div class="jyjg-cards"><div class="jyjg-card"><div class="jyjg-card-n">{len(states)}</div>'
            f"<div>创建单位</div></div>{cards}</div>")


def render_units(states: list[UnitState]) -> str:
    rows = []
    for s in states:
        number = f"第 {s.version_number} 版" if s.version_number else ""
        opened = (listing.action_link(f"open:{s.version_id}", text(s.unit.name), "jyjg-open-link")
                  if s.version_id else text(s.unit.name))
        rows.append(f"<tr><td>{opened}</td><td>{text(s.unit.group or '')}</td><td>{state_badge(s.state)}</td>"
                    f'<td>{text(number)}</td><td class="num">{listing.score(s.rescored_total)}</td>'
                    f'<td class="num">{listing.score(s.verified_total)}</td></tr>')
    body = "".join(rows) or '<tr><td colspan="6" class="jyjg-empty">本年度没有创建单位。</td></tr>'
    return ('<table class="jyjg-table jyjg-filing-units"><thead><tr><th>单位</th><th>分组</th><th>状态</th>'
            f'<th>申报版本</th><th class="num">重算得分</th><th class="num">核定得分</th></tr></thead>'
            f"<tbody>{body}</tbody></table>")


def render_filing(filing: DistrictFiling | None, now: list[UnitState]) -> str:
    if filing is None:
        return message_html("info", "本年度尚未备案。")
    passed = sum(1 for u in filing.units if u.get("state") == PASSED)
    said = (f"已于 {when(filing.filed_at)} 由 {filing.filed_by} 备案：{len(filing.units)} 家单位，"
            f"验收通过 {passed} 家。")
    then = sorted((u.get("unit"), u.get("state"), u.get("version_id")) for u in filing.units)
    if then != filed_rows(now):
        return message_html("error", said + "备案后单位的状态有了变化，请核对后重新备案（以最新一次备案为准）。")
    return message_html("ok", said + "备案后没有变化。")


class FilingScreen(Screen):
    key = "filing"
    title = "年度备案"
    needs = (Action.FILE_DISTRICT,)

    def build(self) -> w.Widget:
        guarded = self.shell.guarded
        account = self.store.account
        self.message = w.HTML()
        self.message.add_class("jyjg-filing-message")
        self.district_pick = w.Dropdown(description="区县（市）", options=[], layout=w.Layout(width="260px"))
        self.district_pick.add_class("jyjg-filing-district")
        self.district_pick.observe(guarded(lambda _change: self.refresh(), self.message), names="value")
        if account.role is Role.DISTRICT:  # its own district only; the store refuses any other
            self.district_pick.layout.display = "none"
        self.heading = w.HTML()
        self.status = w.HTML()
        self.status.add_class("jyjg-filing-status")
        self.summary = w.HTML()
        self.units = w.HTML()
        self.units.add_class("jyjg-filing-box")
        self.file_button = w.Button(description="向市机关事务管理局备案", button_style="primary", icon="send",
                                    layout=w.Layout(width="auto"))
        self.file_button.add_class("jyjg-file-district")
        self.file_button.on_click(guarded(lambda _: self.file(), self.message))
        return w.VBox([self.district_pick, self.heading, self.status, self.summary, self.units,
                       w.HTML('<p class="jyjg-muted">备案内容为本区县（市）本年度全部创建单位的状态、重算得分和核定得分。'
                              "还有单位待初审或待验收时不能备案。备案后如有变化可再次备案，以最新一次为准，"
                              "以前的备案保留在操作记录中。市机关事务管理局只从已备案的区县（市）抽查。</p>"),
                       self.file_button, self.message])

    def district(self) -> str | None:
        account = self.store.account
        if account.role is Role.DISTRICT:
            return account.district
        return self.district_pick.value

    def refresh(self) -> None:
        year = self.shell.year
        districts = sorted({u.district for u in self.shell.units if u.district})
        if self.store.account.role is not Role.DISTRICT and list(self.district_pick.options) != districts:
            self.district_pick.options = districts
        district = self.district()
        if year is None or not district:
            self.heading.value = '<p class="jyjg-muted">还没有区县（市）的创建单位。</p>'
            self.status.value = self.summary.value = self.units.value = ""
            self.file_button.disabled = True
            return
        states = district_states(self.store.unit_states(year), district)
        filing = self.store.district_filings(year).get(district)
        self.heading.value = f"<h4>{text(district)} {year} 年度创建总体情况</h4>"
        self.status.value = render_filing(filing, states)
        self.summary.value = render_summary(states)
        self.units.value = render_units(states)
        self.file_button.disabled = not states
        self.file_button.description = "重新备案（以最新结果为准）" if filing else "向市机关事务管理局备案"

    def file(self) -> None:
        year, district = self.shell.year, self.district()
        if year is None or not district:
            self.message.value = message_html("error", "请先选择区县（市）和创建年度。")
            return
        filing = self.store.file_district(year, district)
        self.refresh()
        passed = sum(1 for u in filing.units if u.get("state") == PASSED)
        waiting = sum(1 for u in filing.units if u.get("state") == NOT_SUBMITTED)
        self.message.value = message_html(
            "ok", f"{district} {year} 年度创建总体情况已备案：{len(filing.units)} 家单位，验收通过 {passed} 家"
                  f"{f'，未申报 {waiting} 家' if waiting else ''}。")
