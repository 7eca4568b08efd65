"""详情: one submission as the unit sent it — facts, findings, rule by rule with its evidence (opened
in the page), the 备案表 energy figures and the unit's own texts."""
from __future__ import annotations

import logging
from pathlib import Path

import ipywidgets as w

from shared.numbers import shown
from shared.store import StoreError, Version
from shared.submission import PackageError
from shared.yearly import year_over_year

from .. import links, render
from ..common import current_html, message_html, stored_submission
from ..listing import text
from ..screen import Screen
from ..yearly import render_year_over_year

log = logging.getLogger("jyjg.workbench")

TEXT_SUFFIXES = {".txt", ".csv"}
TEXT_PREVIEW_BYTES = 200_000


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
        self.evidence_pick.add_class("jyjg-evidence-pick")
        self.evidence_open.add_class("jyjg-evidence-open")
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
        """Show one evidence file: PDFs in the browser's own viewer and images inline, both fetched from
        the server's file route with a short-lived reference (no size limit, nothing through the
        kernel); text files inline; anything else as a download."""
        current = self.shell.current
        if current is None or not path:
            self.viewer.value = message_html("info", "请先选择一个佐证材料文件。")
            return
        package = stored_submission(self.store, current)
        member = package.evidence_member(path)
        names = package.evidence_files()
        if member is None or member not in names:
            self.viewer.value = message_html("error", f"在申报包中找不到“{path}”。")
            return
        with package.evidence_stream(member) as (size, _):
            pass
        url = links.file_url(links.make_token(current.id, current.content_hash, names.index(member)))
        name = member.split("/")[-1]
        kind, inline = links.content_type(name)
        title = f'<h4>{text(path)}（{shown(size / 1024, places=0, grouped=True)} KB）</h4>'
        suffix = Path(name).suffix.lower()
        if inline and kind == "application/pdf":
            body = f'<iframe class="jyjg-pdf" title="{text(name)}" src="{text(url)}"></iframe>'
        elif inline:
            body = f'<img alt="{text(name)}" src="{text(url)}">'
        elif suffix in TEXT_SUFFIXES:
            data = package.open_evidence(path)[:TEXT_PREVIEW_BYTES]
            body = f'<pre class="jyjg-prose">{text(data.decode("utf-8", errors="replace"))}</pre>'
        else:
            body = message_html("info", "此类文件不能在页面内预览，请下载后用相应软件打开。")
        action = "↗ 在新窗口中打开" if inline else "⬇ 下载"
        target = ' target="_blank" rel="noopener"' if inline else ""
        self.viewer.value = (title + body + f'<div class="jyjg-download"><a class="jyjg-evidence-file" '
                             f'href="{text(url)}"{target}>{action} {text(name)}</a></div>')
