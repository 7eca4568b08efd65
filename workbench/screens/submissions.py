"""申报列表: the year's submissions, searched, filtered, sorted and paged (rows drawn by listing.py)."""
from __future__ import annotations

from dataclasses import replace

import ipywidgets as w

from shared.rubric import CATEGORIES
from shared.store import STATES

from .. import listing
from ..listing import ALL, ERROR_CHOICES, ListQuery
from ..screen import Screen


class ListScreen(Screen):
    key = "list"
    title = "申报列表"

    def __init__(self, shell):
        super().__init__(shell)
        self.rows: list[listing.Row] = []
        self.query = ListQuery()
        shell.on_action("sort", self._sort)
        shell.on_action("open", self._open)

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
        tip = w.HTML('<span class="jyjg-muted">点击单位名称打开详情；点击表头排序。</span>')
        return w.VBox([filters, tip, self.table, w.HBox([self.prev_page, self.next_page])])

    def refresh(self) -> None:
        self.rows = listing.make_rows(self.shell.versions, self.shell.units, self.shell.year)
        self._draw()

    def _draw(self) -> None:
        page, matched = listing.query_rows(self.rows, self.query)
        self.table.value = listing.render_table(page, self.query, matched, len(self.rows))
        pages = listing.page_count(matched, self.query.page_size)
        current = listing.page_start(self.query, matched) // self.query.page_size
        self.prev_page.disabled = current <= 0
        self.next_page.disabled = current >= pages - 1

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
