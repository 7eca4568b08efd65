"""抽查: the city (管理员) draws, from the districts that have filed their 年度备案, at least the given
share of each district's units that passed 实地验收 (shared/sampling.py), and sees the draw.

The draw is reproducible (the same seed, year and passed units always give the same units) and kept in
the store; drawing again replaces the year's draw, and the audit log keeps the one replaced.
"""
from __future__ import annotations

import ipywidgets as w

from shared.numbers import shown
from shared.sampling import DEFAULT_RATE, default_seed, passed_by_district
from shared.scope import Action
from shared.store import PASSED

from .. import listing
from ..common import message_html
from ..listing import text
from ..render import when
from ..screen import Screen


def render_districts(filings: dict, districts: list[str], passed: dict[str, int]) -> str:
    rows = []
    for district in districts:
        filing = filings.get(district)
        if filing is None:
            rows.append(f'<tr class="jyjg-unfiled"><td>{text(district)}</td><td><span class="jyjg-warn">未备案'
                        '（不参与抽查）</span></td><td></td><td class="num"></td><td class="num"></td></tr>')
            continue
        filed_passed = sum(1 for u in filing.units if u.get("state") == PASSED)
        rows.append(f'<tr><td>{text(district)}</td><td><span class="jyjg-ok">已备案</span></td>'
                    f"<td>{when(filing.filed_at)}，{text(filing.filed_by)}</td>"
                    f'<td class="num">{len(filing.units)}</td><td class="num">{passed.get(district, filed_passed)}</td></tr>')
    body = "".join(rows) or '<tr><td colspan="5" class="jyjg-empty">还没有区县（市）的创建单位。</td></tr>'
    return ('<table class="jyjg-table jyjg-sample-districts"><thead><tr><th>区县（市）</th><th>年度备案</th>'
            '<th>备案时间、备案人</th><th class="num">创建单位</th><th class="num">验收通过（可抽）</th></tr></thead>'
            f"<tbody>{body}</tbody></table>")


def render_draw(entries) -> str:
    if not entries:
        return message_html("info", "本年度尚未抽查。")
    first = entries[0]
    rows = "".join(
        f"<tr><td>{text(e.district)}</td><td>"
        + (listing.action_link(f"open:{e.version_id}", text(e.unit.name), "jyjg-open-link") if e.version_id
           else text(e.unit.name))
        + "</td></tr>" for e in entries)
    rate = f"{shown(first.rate * 100)}%"
    return (f'<div class="jyjg-current">已于 {when(first.drawn_at)} 由 {text(first.drawn_by)} 抽取 {len(entries)} 家'
            f"（比例 {text(rate)}，随机种子“{text(first.seed)}”：同一种子和同样的验收结果总能抽出同样的单位）。</div>"
            '<table class="jyjg-table jyjg-sample-draw"><thead><tr><th>区县（市）</th><th>抽查单位</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


class SamplingScreen(Screen):
    key = "sampling"
    title = "抽查"
    needs = (Action.SAMPLE,)

    def build(self) -> w.Widget:
        guarded = self.shell.guarded
        self.message = w.HTML()
        self.message.add_class("jyjg-sample-message")
        self.districts = w.HTML()
        self.rate = w.Text(description="抽查比例", value=f"{shown(DEFAULT_RATE * 100)}%", layout=w.Layout(width="220px"))
        self.seed = w.Text(description="随机种子", placeholder="留空则用本年度的默认种子", layout=w.Layout(width="380px"))
        self.rate.add_class("jyjg-sample-rate")
        self.seed.add_class("jyjg-sample-seed")
        self.draw_button = w.Button(description="从已备案的区县（市）抽取", button_style="primary", icon="random",
                                    layout=w.Layout(width="auto"))
        self.draw_button.add_class("jyjg-sample-draw-button")
        self.draw_button.on_click(guarded(lambda _: self.draw(), self.message))
        self.result = w.HTML()
        self.result.add_class("jyjg-sample-result")
        return w.VBox([
            w.HTML("<h4>各区县（市）年度备案</h4>"), self.districts,
            w.HTML('<p class="jyjg-muted">每个已备案的区县（市）按比例抽取验收通过的单位（向上取整，至少 1 家）。'
                   "再次抽取将替换本年度的抽查结果，原结果保留在操作记录中。</p>"),
            w.HBox([self.rate, self.seed, self.draw_button], layout=w.Layout(flex_flow="row wrap")),
            self.message, w.HTML("<h4>抽查结果</h4>"), self.result])

    def refresh(self) -> None:
        year = self.shell.year
        if year is None:
            self.districts.value = '<p class="jyjg-muted">还没有任何申报。</p>'
            self.result.value = ""
            return
        self.seed.placeholder = f"留空则用“{default_seed(year)}”"
        filings = self.store.district_filings(year)
        districts = sorted({u.district for u in self.shell.units if u.district} | set(filings))
        passed = {d: len(units) for d, units in passed_by_district(self.store, year).items()}
        self.districts.value = render_districts(filings, districts, passed)
        self.draw_button.disabled = not filings
        self.result.value = render_draw(self.store.sample(year))

    def draw(self) -> None:
        year = self.shell.year
        if year is None:
            self.message.value = message_html("error", "还没有任何申报，无法抽查。")
            return
        entries = self.store.draw_sample(year, self.rate.value, self.seed.value or None)
        self.refresh()
        filed = len(self.store.district_filings(year))
        self.message.value = message_html(
            "ok", f"已从 {filed} 个已备案的区县（市）抽取 {len(entries)} 家单位。" if entries
            else f"已备案的 {filed} 个区县（市）都还没有验收通过的单位，本次没有抽到单位。")
