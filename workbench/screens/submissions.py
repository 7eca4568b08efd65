"""申报列表: the year's submissions and the units that have not submitted, searched, filtered, sorted
and paged (rows drawn by listing.py); and 批量初审: one 初审 decision with one opinion on several
selected submissions, each decided under its own rules (one refused or changed meanwhile does not
stop the others, and says why)."""
from __future__ import annotations

from dataclasses import replace

import ipywidgets as w

from shared.rubric import CATEGORIES
from shared.store import APPROVE, RETURN, STAGE_REVIEW, STATES

from .. import listing
from ..common import message_html
from ..listing import ALL, ERROR_CHOICES, ListQuery, text
from ..screen import Screen


class ListScreen(Screen):
    key = "list"
    title = "申报列表"

    def __init__(self, shell):
        super().__init__(shell)
        self.rows: list[listing.Row] = []
        self.query = ListQuery()
        self.picked: set[int] = set()
        self.can_pick: set[int] = set()  # 待初审 submissions the acting account may review
        shell.on_action("sort", self._sort)
        shell.on_action("open", self._open)
        shell.on_action("pick", self._pick)
        shell.on_action("pickpage", lambda _arg: self._pick_page())

    def build(self) -> w.Widget:
        guarded = self.shell.guarded
        self.search = w.Text(placeholder="按单位名称或文件名搜索", description="搜索",
                             continuous_update=True, layout=w.Layout(width="300px"))
        self.state_pick = w.Dropdown(description="状态", options=[ALL, *STATES], layout=w.Layout(width="200px"))
        self.category_pick = w.Dropdown(description="类别", options=[ALL, *CATEGORIES], layout=w.Layout(width="260px"))
        self.errors_pick = w.Dropdown(description="错误", options=list(ERROR_CHOICES), layout=w.Layout(width="180px"))
        self.search.add_class("jyjg-search")
        self.state_pick.add_class("jyjg-state-pick")
        self.category_pick.add_class("jyjg-category-pick")
        self.errors_pick.add_class("jyjg-errors-pick")
        for control in (self.search, self.state_pick, self.category_pick, self.errors_pick):
            control.observe(guarded(self._on_filter), names="value")
        self.table = w.HTML()
        self.table.add_class("jyjg-table-box")
        self.prev_page = w.Button(description="上一页", icon="chevron-left", layout=w.Layout(width="100px"))
        self.next_page = w.Button(description="下一页", icon="chevron-right", layout=w.Layout(width="100px"))
        self.prev_page.on_click(guarded(lambda _: self._turn(-1)))
        self.next_page.on_click(guarded(lambda _: self._turn(+1)))
        filters = w.HBox([self.search, self.state_pick, self.category_pick, self.errors_pick],
                         layout=w.Layout(flex_flow="row wrap"))
        tip = w.HTML('<span class="jyjg-muted">点击单位名称打开详情；点击表头排序；勾选待初审的申报可批量初审。</span>')
        return w.VBox([filters, tip, self._build_bulk(), self.table, w.HBox([self.prev_page, self.next_page])])

    def _build_bulk(self) -> w.Widget:
        guarded = self.shell.guarded
        self.bulk_message = w.HTML()
        self.bulk_message.add_class("jyjg-bulk-message")
        self.picked_line = w.HTML()
        self.picked_line.add_class("jyjg-picked-line")
        self.pick_matching = w.Button(description="选中符合条件的全部待初审申报", icon="check-square-o",
                                      layout=w.Layout(width="auto"))
        self.pick_matching.add_class("jyjg-pick-matching")
        self.pick_matching.on_click(guarded(lambda _: self._pick_matching(), self.bulk_message))
        self.pick_none = w.Button(description="全部取消", icon="square-o", layout=w.Layout(width="auto"))
        self.pick_none.on_click(guarded(lambda _: self._set_picked(set()), self.bulk_message))
        self.bulk_outcome = w.ToggleButtons(options=[APPROVE, RETURN], value=None, description="初审结论")
        self.bulk_opinion = w.Textarea(placeholder="对所选申报的同一意见（退回补正时必填）",
                                       layout=w.Layout(width="600px", height="60px"))
        self.bulk_save = w.Button(description="对所选申报作出初审结论", button_style="primary", icon="check",
                                  layout=w.Layout(width="auto"))
        self.bulk_outcome.add_class("jyjg-bulk-outcome")
        self.bulk_opinion.add_class("jyjg-bulk-opinion")
        self.bulk_save.add_class("jyjg-bulk-save")
        self.bulk_save.on_click(guarded(lambda _: self.decide_picked(), self.bulk_message))
        box = w.VBox([w.HBox([self.picked_line, self.pick_matching, self.pick_none],
                             layout=w.Layout(align_items="center", flex_flow="row wrap")),
                      self.bulk_outcome, self.bulk_opinion, self.bulk_save, self.bulk_message])
        box.add_class("jyjg-bulk")
        self.bulk_box = box
        return box

    # --- drawing -------------------------------------------------------------------------------------

    def refresh(self) -> None:
        self.rows = listing.make_rows(self.shell.versions, self.shell.units, self.shell.year, self.shell.unit_states())
        waiting = {r.version_id for r in self.rows if listing.pickable(r)}
        self.can_pick = self.shell.may_each("review", [v for v in self.shell.versions if v.id in waiting])
        self.picked &= self.can_pick  # decided, withdrawn or replaced meanwhile: no longer selectable
        self.bulk_box.layout.display = None if self.can_pick or self.picked else "none"
        self._draw()

    def _draw(self) -> None:
        page, matched = listing.query_rows(self.rows, self.query)
        can_pick = self.can_pick if self.can_pick else None
        self.table.value = listing.render_table(page, self.query, matched, len(self.rows), self.picked, self.rows,
                                                can_pick)
        pages = listing.page_count(matched, self.query.page_size)
        current = listing.page_start(self.query, matched) // self.query.page_size
        self.prev_page.disabled = current <= 0
        self.next_page.disabled = current >= pages - 1
        self.picked_line.value = (f'<span class="jyjg-picked-count">已选 <b>{len(self.picked)}</b> 份待初审申报</span>'
                                  '&nbsp;&nbsp;')
        self.bulk_save.disabled = not self.picked

    def _on_filter(self, _change=None) -> None:
        self.query = replace(self.query, state=self.state_pick.value, category=self.category_pick.value,
                             errors=self.errors_pick.value, search=self.search.value, page=0)
        self._draw()

    def _turn(self, step: int) -> None:
        matched = len(listing.filter_rows(self.rows, self.query))
        page = listing.page_start(self.query, matched) // self.query.page_size + step
        self.query = replace(self.query, page=max(0, min(page, listing.page_count(matched) - 1)))
        self._draw()

    def _sort(self, column: str) -> None:
        self.query = self.query.with_sort(column)
        self._draw()

    def _open(self, arg: str) -> None:
        if arg.isdigit():
            self.shell.open_version(int(arg))

    # --- selection and the bulk decision --------------------------------------------------------------

    def _set_picked(self, picked: set[int]) -> None:
        self.picked = picked
        self._draw()

    def _pick(self, arg: str) -> None:
        if not arg.isdigit():
            return
        version_id = int(arg)
        if version_id not in self.can_pick:
            return
        self._set_picked(self.picked ^ {version_id})

    def _pick_page(self) -> None:
        page, _ = listing.query_rows(self.rows, self.query)
        ids = {r.version_id for r in page if r.version_id in self.can_pick}
        self._set_picked(self.picked - ids if ids and ids <= self.picked else self.picked | ids)

    def _pick_matching(self) -> None:
        ids = {r.version_id for r in listing.filter_rows(self.rows, self.query) if r.version_id in self.can_pick}
        self._set_picked(self.picked | ids)
        self.bulk_message.value = message_html("info", f"已选中符合当前筛选条件的 {len(ids)} 份待初审申报。")

    def decide_picked(self) -> None:
        if not self.picked:
            self.bulk_message.value = message_html("error", "请先勾选要初审的申报。")
            return
        if self.bulk_outcome.value is None:
            self.bulk_message.value = message_html("error", "请先选择初审结论。")
            return
        listed = {r.version_id: r for r in self.rows}
        targets = [(vid, listed[vid].revision) for vid in sorted(self.picked, key=lambda v: listed[v].unit)]
        results = self.store.decide_many(targets, STAGE_REVIEW, self.bulk_outcome.value, self.bulk_opinion.value)
        done = [r for r in results if r.decision is not None]
        refused = [r for r in results if r.decision is None]
        self.picked = {r.version_id for r in refused}
        if done:
            self.bulk_opinion.value = ""
            self.bulk_outcome.value = None
        self.shell.changed()
        out = ""
        if done:
            out += message_html("ok", f"已对 {len(done)} 份申报作出初审{done[0].decision.outcome}结论。")
        if refused:
            out += message_html("error", f"{len(refused)} 份未保存：\n"
                                + "\n".join(f"{r.label}：{r.refused}" for r in refused))
        self.bulk_message.value = out
        if done and not refused:
            self.bulk_message.value += f'<div class="jyjg-muted">{text("、".join(r.label for r in done))}</div>'
