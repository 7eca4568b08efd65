"""能耗数据更正: the 评价小组 corrects 备案表 energy figures found wrong on site (with a reason);
rules 1.1.x are computed again from the figures in force. A correction can be undone (cleared)."""
from __future__ import annotations

import ipywidgets as w

from shared.names import LABELS
from shared.scope import Action
from shared.store import ALL_FIGURE_NAMES, AWAITING_SITE, StaleWrite, Version

from .. import render
from ..common import current_html, message_html
from ..listing import score, text
from ..screen import Screen


class FigureScreen(Screen):
    key = "figures"
    title = "能耗数据更正"
    needs = (Action.VERIFY,)

    def build(self) -> w.Widget:
        guarded = self.shell.guarded
        self.message = w.HTML()
        self.message.add_class("jyjg-figures-message")
        self.current_box = w.HTML(current_html(None))
        self.current_box.add_class("jyjg-current-box")
        self.note = w.HTML()
        self.inputs: dict[str, w.Text] = {}
        self.submitted: dict[str, w.HTML] = {}
        cells = [w.HTML(f'<div class="jyjg-verify-head">{h}</div>') for h in ("数据项", "申报值", "更正值（留空为按申报值）")]
        for name in ALL_FIGURE_NAMES:
            self.submitted[name] = w.HTML()
            box = w.Text(placeholder="不更正", layout=w.Layout(width="160px"))
            box.add_class(f"jyjg-figure-{name}")
            self.inputs[name] = box
            cells += [w.HTML(f'<div class="jyjg-verify-cell">{text(LABELS.get(name, name))}</div>'),
                      self.submitted[name], box]
        self.grid = w.GridBox(cells, layout=w.Layout(grid_template_columns="minmax(220px, 1fr) 160px 180px",
                                                     grid_gap="2px 8px", align_items="center", width="620px"))
        self.reason = w.Textarea(placeholder="更正理由（必填：如“现场核对电费单，全年用电量应为…”）",
                                 layout=w.Layout(width="620px", height="70px"))
        self.reason.add_class("jyjg-figures-reason")
        self.save_button = w.Button(description="保存更正", button_style="primary", icon="save")
        self.save_button.add_class("jyjg-figures-save")
        self.save_button.on_click(guarded(lambda _: self.save(), self.message))
        self.result = w.HTML()
        self.result.add_class("jyjg-figures-result")
        return w.VBox([self.current_box, self.note, self.grid, self.reason, self.save_button, self.message,
                       self.result])

    def show(self, version: Version, fresh: bool) -> None:
        if fresh:
            self.message.value = ""
            self.reason.value = ""
        self.current_box.value = current_html(version)
        card = self.store.verified_card(version.id)
        editable = version.current and version.status == AWAITING_SITE
        if editable:
            self.note.value = message_html("info", "现场核实备案表能耗数据有误时在此更正，须写明理由；"
                                                   "规则 1.1.x 的得分按更正后的数据重新计算。清空更正值即恢复为申报值。")
        else:
            self.note.value = message_html("info", f"当前状态为“{version.status}”：只有待验收的当前版本可以更正能耗数据。")
        for name in ALL_FIGURE_NAMES:
            raw = version.figures.get(name)
            self.submitted[name].value = f'<div class="jyjg-verify-cell">{text("未填" if raw in (None, "") else raw)}</div>'
            box = self.inputs[name]
            if fresh or not box.value.strip() or name in card.corrections:
                box.value = str(card.corrections[name][1]) if name in card.corrections else ""
            box.disabled = not editable
        self.reason.disabled = self.save_button.disabled = not editable
        self._draw_result(version, card)

    def _draw_result(self, version: Version, card) -> None:
        rules = "".join(
            f"<tr><td>{r.id}</td><td>{text(r.label)}</td><td class=\"num\">{score(card.rules[r.id].claimed)}</td>"
            f"<td class=\"num\"><b>{score(card.rules[r.id].score)}</b></td></tr>"
            for r in card.edition.computed_rules)
        corrections = "".join(
            f"<li>{text(LABELS.get(n, n))}：申报 {text(before)}，更正为 <b>{text(after)}</b></li>"
            for n, (before, after) in card.corrections.items())
        self.result.value = (
            (f"<h4>已更正的数据</h4><ul>{corrections}</ul>" if corrections else "")
            + "<h4>按现行数据计算</h4>" + render.render_figures(version, card.figures, card.edition, self.store.city.config)
            + '<table class="jyjg-table"><thead><tr><th>规则</th><th>内容</th><th class="num">按申报数据</th>'
              f'<th class="num">按现行数据</th></tr></thead><tbody>{rules}</tbody></table>')

    def save(self) -> None:
        current = self.shell.current
        if current is None:
            self.message.value = message_html("error", "请先在“申报列表”中打开一份申报。")
            return
        card = self.store.verified_card(current.id)
        changes = {}
        for name, box in self.inputs.items():
            typed = box.value.strip()
            in_force = str(card.corrections[name][1]) if name in card.corrections else ""
            if typed != in_force:
                changes[name] = typed or None
        if not changes:
            self.message.value = message_html("info", "没有修改任何数据。")
            return
        if not self.reason.value.strip():
            self.message.value = message_html("error", "请填写更正理由。")
            return
        try:
            self.store.correct_figures(current.id, changes, expected_revision=current.revision,
                                       reason=self.reason.value)
        except StaleWrite as stale:
            self.message.value = message_html("error", str(stale) + "\n您填写的更正值仍保留在上面。")
            return
        self.reason.value = ""
        self.shell.changed()
        self.message.value = message_html("ok", f"已保存 {len(changes)} 项能耗数据更正，规则 1.1.x 已按更正后的数据重新计算。")
