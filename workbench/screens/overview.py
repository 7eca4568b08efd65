"""总览: how many units of the year are in each state, and progress against the creation targets."""
from __future__ import annotations

import ipywidgets as w

from shared.progress import progress

from .. import render
from ..screen import Screen


class OverviewScreen(Screen):
    key = "overview"
    title = "总览"

    def build(self) -> w.Widget:
        self.board = w.HTML()
        self.board.add_class("jyjg-overview")
        return self.board

    def refresh(self) -> None:
        year = self.shell.year
        if year is None:
            self.board.value = '<p class="jyjg-muted">还没有任何申报。请在“上传”中上传申报包。</p>'
            return
        states = self.shell.unit_states()
        counts = render.state_counts(states, self.shell.versions, year)
        bars = progress(self.shell.units, self.shell.versions, year, self.store.city)
        self.board.value = (f"<h4>{year} 年度各状态单位数</h4>" + render.render_counts(counts)
                            + render.render_progress(bars, year))
