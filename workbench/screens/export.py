"""导出: the year's annual export (.xlsx) and the draft 通报 (.docx), downloaded from the page."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import ipywidgets as w

from shared.scope import Action

from ..common import download_link, message_html
from ..screen import Screen


class ExportScreen(Screen):
    key = "export"
    title = "导出"
    needs = (Action.EXPORT,)

    def build(self) -> w.Widget:
        guarded = self.shell.guarded
        self.message = w.HTML()
        self.export_button = w.Button(description="生成年度汇总表（Excel）", icon="table", layout=w.Layout(width="240px"))
        self.notice_button = w.Button(description="生成通报草稿", icon="file", layout=w.Layout(width="240px"))
        self.export_button.add_class("jyjg-export")
        self.notice_button.add_class("jyjg-notice")
        self.export_button.on_click(guarded(lambda _: self.export("annual"), self.message))
        self.notice_button.on_click(guarded(lambda _: self.export("notice"), self.message))
        self.links = w.HTML()
        self.links.add_class("jyjg-export-links")
        return w.VBox([w.HTML("<p>按上方选择的创建年度生成文件，生成后点击链接下载。</p>"),
                       w.HBox([self.export_button, self.notice_button]), self.message, self.links])

    def export(self, what: str) -> None:
        year = self.shell.year
        if year is None:
            self.message.value = message_html("error", "还没有任何申报，无法生成。")
            return
        if what == "annual":
            from shared.export import write_annual_export as writer
            name, label = f"{year}年度节约型机关创建汇总表.xlsx", "年度汇总表"
        else:
            from shared.notice import write_notice as writer
            name, label = f"{year}年度节约型机关创建情况通报（草稿）.docx", "通报草稿"
        # Written under our own name in a private folder, then offered under the year's name.
        folder = Path(tempfile.mkdtemp(prefix="jyjg-export-"))
        try:
            out = folder / ("export" + Path(name).suffix)
            writer(self.store.for_export(), year, out)
            self.links.value = download_link(out, label, name) + self.links.value
            self.message.value = message_html("ok", f"{label}已生成，点击链接下载。")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
