"""详情: one submission as the unit sent it — facts, findings, rule by rule with its evidence (opened
in the page), the 备案表 energy figures and the unit's own texts."""
from __future__ import annotations

import base64
import logging
import mimetypes
from pathlib import Path

import ipywidgets as w

from shared.numbers import shown
from shared.store import StoreError, Version
from shared.submission import PackageError
from shared.yearly import year_over_year

from .. import render
from ..common import current_html, message_html, stored_submission
from ..listing import text
from ..screen import Screen
from ..yearly import render_year_over_year

log = logging.getLogger("jyjg.workbench")

PREVIEW_MAX_BYTES = 40 * 1024 * 1024
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"}
TEXT_SUFFIXES = {".txt", ".csv"}


class DetailScreen(Screen):
    key = "detail"
    title = "详情"

    def __init__(self, shell):
        super().__init__(shell)
        self.evidence: list[str] = []
        shell.on_action("evidence", self._on_evidence_click)

    def build(self) -> w.Widget:
        self.current_box = w.HTML(current_html(None))
        self.current_box.add_class("jyjg-current-box")
        self.header = w.HTML()
        self.evidence_pick = w.Dropdown(description="佐证材料", options=[], layout=w.Layout(width="560px"))
        self.evidence_open = w.Button(description="打开", icon="eye", layout=w.Layout(width="90px"))
        self.evidence_open.on_click(self.shell.guarded(lambda _: self.open_evidence(self.evidence_pick.value)))
        self.viewer = w.HTML()
        self.viewer.add_class("jyjg-viewer")
        self.body = w.HTML()
        self.body.add_class("jyjg-detail")
        return w.VBox([self.current_box, self.header, w.HBox([self.evidence_pick, self.evidence_open]),
                       self.viewer, self.body])

    def show(self, version: Version, fresh: bool) -> None:
        if fresh:
            self.viewer.value = ""
        self.current_box.value = current_html(version)
        unit = next((u for u in self.shell.units if u.id == version.unit_id), None)
        try:
            package_files = stored_submission(self.store, version).evidence_files()
        except (StoreError, PackageError, OSError):
            log.exception("读取申报原件失败")
            package_files = []
        edition = self.store.edition_of(version)
        self.evidence = render.evidence_paths(version, package_files, edition)
        self.evidence_pick.options = self.evidence
        self.evidence_pick.value = self.evidence[0] if self.evidence else None
        self.evidence_pick.disabled = self.evidence_open.disabled = not self.evidence
        self.evidence_pick.description = "佐证材料" if self.evidence else "无可打开的佐证材料"
        index = {p: i for i, p in enumerate(self.evidence)}
        self.header.value = render.render_header(version, unit, edition)
        self.body.value = (render.render_findings(version) + "<h4>逐条评分</h4>" + render.render_rules(version, index, edition)
                           + "<h4>备案表能耗数据</h4>" + render.render_figures(version, edition=edition, config=self.store.city.config)
                           + self._years(version) + render.render_texts(version))

    def _years(self, version: Version) -> str:
        """The unit's figures across every year it submitted (shared/yearly.py, workbench/yearly.py)."""
        if version.unit_name is None:
            return ""
        rows = year_over_year(self.store.yearly_figures(version.unit_name))
        return "<h4>历年能耗数据</h4>" + render_year_over_year(rows)

    def _on_evidence_click(self, arg: str) -> None:
        if arg.isdigit() and int(arg) < len(self.evidence):
            self.evidence_pick.value = self.evidence[int(arg)]
            self.open_evidence(self.evidence[int(arg)])

    def open_evidence(self, path: str | None) -> None:
        current = self.shell.current
        if current is None or not path:
            self.viewer.value = message_html("info", "请先选择一个佐证材料文件。")
            return
        data = stored_submission(self.store, current).open_evidence(path)
        name = path.replace("\\", "/").split("/")[-1]
        suffix = Path(name).suffix.lower()
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        title = f'<h4>{text(path)}（{shown(len(data) / 1024, places=0, grouped=True)} KB）</h4>'
        if len(data) > PREVIEW_MAX_BYTES:
            self.viewer.value = title + message_html("info", "文件较大，不在页面内预览，请下载后查看。") + _data_link(name, mime, data)
            return
        encoded = base64.b64encode(data).decode("ascii")
        if suffix == ".pdf":
            body = f'<iframe title="{text(name)}" src="data:application/pdf;base64,{encoded}"></iframe>'
        elif suffix in IMAGE_SUFFIXES:
            body = f'<img alt="{text(name)}" src="data:{mime};base64,{encoded}">'
        elif suffix in TEXT_SUFFIXES:
            body = f'<pre class="jyjg-prose">{text(data[:200_000].decode("utf-8", errors="replace"))}</pre>'
        else:
            body = message_html("info", "此类文件不能在页面内预览，请下载后用相应软件打开。")
        self.viewer.value = title + body + _data_link(name, mime, data, encoded)


def _data_link(name: str, mime: str, data: bytes, encoded: str | None = None) -> str:
    encoded = encoded or base64.b64encode(data).decode("ascii")
    return (f'<div class="jyjg-download"><a download="{text(name)}" href="data:{mime};base64,{encoded}">'
            f"⬇ 下载 {text(name)}</a></div>")
