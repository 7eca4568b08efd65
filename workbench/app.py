"""The reviewer dashboard (评审工作台): ipywidgets screens over the review store.

总览 · 申报列表 · 详情 · 决定 · 核定 · 上传 · 导出. One `Workbench` per browser page (Voila gives each
page its own kernel). Every handler is guarded: a reviewer sees a Chinese message, never a traceback;
the traceback goes to the server log.
"""
from __future__ import annotations

import base64
import functools
import logging
import mimetypes
import os
import shutil
import sys
import tempfile
import unicodedata
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Callable

import ipywidgets as w
from IPython.display import display

from shared.rubric import CATEGORIES, CONFIG, RUBRIC
from shared.filenames import safe_file_name
from shared.scoring import plain_number, tally
from shared.store import (APPROVE, AWAITING_SITE, REJECT, RETURN, STAGE_REVIEW, STAGE_SITE, STATES,
                          StaleWrite, Store, StoreError, Version)
from shared.submission import PackageError, Submission

from . import listing, render
from .listing import ALL, ERROR_CHOICES, ListQuery, text
from .server import MAX_UPLOAD_BYTES, load_paths
from .style import CSS

log = logging.getLogger("jyjg.workbench")

PREVIEW_MAX_BYTES = 40 * 1024 * 1024
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"}
TEXT_SUFFIXES = {".txt", ".csv"}
UPLOAD_SUFFIXES = (".zip", ".xlsx", ".xlsm")
INTERNAL_ERROR = "操作没有完成：系统内部出错，已记入服务器日志。请刷新页面后重试；如仍不行，请联系系统管理员。"
TAB_TITLES = ("总览", "申报列表", "详情", "决定", "核定", "上传", "导出")
TAB_LIST, TAB_DETAIL, TAB_DECIDE, TAB_VERIFY = 1, 2, 3, 4


def _server_log() -> None:
    """Tracebacks go to the server's own stderr (the Voila log), not to the page."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.__stderr__)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def message_html(kind: str, message: str) -> str:
    return f'<div class="jyjg-msg jyjg-msg-{kind}">{text(message)}</div>' if message else ""


def download_link(path: Path, label: str, offered_name: str) -> str:
    """A link that downloads the file from the page itself (a data: URL), no file served.

    The file sits under a name of the system's choosing; `offered_name` is what the browser saves it as."""
    name = safe_file_name(offered_name)
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<div class="jyjg-download"><a download="{text(name)}" href="data:{mime};base64,{data}">'
            f"⬇ {text(label)}（{text(name)}）</a></div>")


def safe_upload_name(name: str) -> str:
    """An uploaded file's own name without any folder part, so it cannot land outside its temp folder."""
    base = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").split("/")[-1].strip()
    if base in ("", ".", "..") or base.startswith("."):
        base = "上传的申报" + (Path(base).suffix if base else ".zip")
    return safe_file_name(base, fallback="上传的申报.zip")


def stored_submission(store: Store, version: Version) -> Submission:
    """The version's package as the store keeps it (folders are kept as zips)."""
    path = store.original_path(version.id)
    kind = "zip" if path.suffix.lower() == ".zip" else "xlsx"
    return Submission(version.original_name, path, kind)


class Workbench:
    """The whole page. Build it (slow part, done in the preheated kernel), then `show()` it."""

    def __init__(self, store: Store, year: int | None = None):
        _server_log()
        self.store = store
        self.units = []
        self.versions: list[Version] = []
        self.rows: list[listing.Row] = []
        self.query = ListQuery()
        self.current: Version | None = None
        self.evidence: list[str] = []
        self.year = year
        self._build()
        self.reload()

    @classmethod
    def from_environment(cls) -> "Workbench":
        """The store named by JYJG_DB (set by `jyjg serve`), else the default."""
        return cls(Store(os.environ.get("JYJG_DB") or None))

    # --- building the widgets ------------------------------------------------------------

    def _build(self) -> None:
        self.message = w.HTML()
        self.decide_message = w.HTML()
        self.verify_message = w.HTML()
        self.upload_message = w.HTML()
        self.export_message = w.HTML()
        self.action = w.Text(layout=w.Layout(display="none"))
        self.action.add_class("jyjg-action")
        self.action.observe(self._guarded(self._on_action), names="value")

        self.year_pick = w.Dropdown(description="创建年度", options=[], layout=w.Layout(width="200px"))
        self.reviewer = w.Text(description="评审人", placeholder="请填写您的姓名", layout=w.Layout(width="260px"))
        self.reviewer.add_class("jyjg-reviewer")
        self.refresh_button = w.Button(description="刷新数据", icon="refresh", tooltip="重新读取最新的申报和评审结论")
        self.refresh_button.on_click(self._guarded(lambda _: self.reload(keep_open=True)))
        top = w.HBox([self.year_pick, self.reviewer, self.refresh_button], layout=w.Layout(flex_flow="row wrap"))

        self.overview = w.HTML()
        self.tabs = w.Tab(children=[self.overview, self._build_list(), self._build_detail(), self._build_decide(),
                                    self._build_verify(), self._build_upload(), self._build_export()])
        for i, title in enumerate(TAB_TITLES):
            self.tabs.set_title(i, title)
        self._year_handler = self._guarded(self._on_year)
        self.year_pick.observe(self._year_handler, names="value")
        self.root = w.VBox([w.HTML(CSS), w.HTML('<div class="jyjg-title">节约型机关创建评价 · 评审工作台</div>'),
                            top, self.message, self.tabs, self.action])
        self.root.add_class("jyjg-root")

    def _build_list(self) -> w.Widget:
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
            control.observe(self._guarded(self._on_filter), names="value")
        self.table = w.HTML()
        self.table.add_class("jyjg-table-box")
        self.prev_page = w.Button(description="上一页", icon="chevron-left", layout=w.Layout(width="100px"))
        self.next_page = w.Button(description="下一页", icon="chevron-right", layout=w.Layout(width="100px"))
        self.prev_page.on_click(self._guarded(lambda _: self._turn(-1)))
        self.next_page.on_click(self._guarded(lambda _: self._turn(+1)))
        filters = w.HBox([self.search, self.state_pick, self.category_pick, self.errors_pick],
                         layout=w.Layout(flex_flow="row wrap"))
        tip = w.HTML('<span class="jyjg-muted">点击单位名称打开详情；点击表头排序。</span>')
        return w.VBox([filters, tip, self.table, w.HBox([self.prev_page, self.next_page])])

    def _current_box(self) -> w.HTML:
        box = w.HTML('<div class="jyjg-current">尚未打开申报：请在“申报列表”中点击单位名称。</div>')
        box.add_class("jyjg-current-box")
        return box

    def _build_detail(self) -> w.Widget:
        self.detail_current = self._current_box()
        self.detail_header = w.HTML()
        self.evidence_pick = w.Dropdown(description="佐证材料", options=[], layout=w.Layout(width="560px"))
        self.evidence_open = w.Button(description="打开", icon="eye", layout=w.Layout(width="90px"))
        self.evidence_open.on_click(self._guarded(lambda _: self._open_evidence(self.evidence_pick.value)))
        self.viewer = w.HTML()
        self.viewer.add_class("jyjg-viewer")
        self.detail_body = w.HTML()
        self.detail_body.add_class("jyjg-detail")
        return w.VBox([self.detail_current, self.detail_header, w.HBox([self.evidence_pick, self.evidence_open]),
                       self.viewer, self.detail_body])

    def _build_decide(self) -> w.Widget:
        self.decide_current = self._current_box()
        self.review_outcome = w.ToggleButtons(options=[APPROVE, RETURN], value=None, description="初审结论")
        self.review_opinion = w.Textarea(placeholder="意见（退回补正时必填：写明需要补正的内容）",
                                         layout=w.Layout(width="720px", height="90px"))
        self.review_save = w.Button(description="保存初审结论", button_style="primary", icon="check")
        self.review_save.on_click(self._guarded(lambda _: self._decide(STAGE_REVIEW), self.decide_message))
        self.site_outcome = w.ToggleButtons(options=[APPROVE, REJECT], value=None, description="验收结论")
        self.site_opinion = w.Textarea(placeholder="整改意见（不通过时可留空：按核定结果自动起草）",
                                       layout=w.Layout(width="720px", height="90px"))
        self.site_save = w.Button(description="保存实地验收结论", button_style="primary", icon="check")
        self.site_save.on_click(self._guarded(lambda _: self._decide(STAGE_SITE), self.decide_message))
        self.review_outcome.add_class("jyjg-review-outcome")
        self.review_opinion.add_class("jyjg-review-opinion")
        self.review_save.add_class("jyjg-review-save")
        self.site_outcome.add_class("jyjg-site-outcome")
        self.site_opinion.add_class("jyjg-site-opinion")
        self.site_save.add_class("jyjg-site-save")
        self.decide_reload = w.Button(description="载入最新内容", icon="refresh",
                                      tooltip="重新读取本申报的最新状态；已填写的意见保留")
        self.decide_reload.on_click(self._guarded(lambda _: self._reopen(), self.decide_message))
        self.decide_message.add_class("jyjg-decide-message")
        self.history = w.HTML()
        return w.VBox([
            self.decide_current,
            w.HTML("<h4>初审（市机关事务管理局）</h4>"), self.review_outcome, self.review_opinion, self.review_save,
            w.HTML("<h4>实地验收（评价小组）</h4>"
                   '<div class="jyjg-muted">验收通过须先在“核定”中逐条核定得分，且核定总分达到 80 分。</div>'),
            self.site_outcome, self.site_opinion, self.site_save,
            self.decide_message, self.decide_reload, self.history])

    def _build_verify(self) -> w.Widget:
        self.verify_current = self._current_box()
        self.verify_note = w.HTML()
        self.verify_controls: dict[str, tuple[w.Dropdown, w.Checkbox, w.Text]] = {}
        self.verify_claims: dict[str, w.HTML] = {}
        cells = [w.HTML(f'<div class="jyjg-verify-head">{h}</div>')
                 for h in ("规则", "内容", "自评 / 重算", "佐证材料", "核定得分", "已查看佐证", "理由（与自评不同时必填）")]
        for item in RUBRIC.items:
            cells.append(w.HTML(f'<div class="jyjg-verify-item">{item.id}</div>'))
            cells.append(w.HTML(f'<div class="jyjg-verify-item">{text(item.name)}（上限 {listing.score(item.cap)} 分）</div>'))
            cells.extend(w.HTML('<div class="jyjg-verify-item">&nbsp;</div>') for _ in range(5))
            for rule in item.rules:
                claim = w.HTML()
                evidence = w.HTML()
                self.verify_claims[rule.id] = claim
                self.verify_claims[rule.id + "/evidence"] = evidence
                cells += [w.HTML(f'<div class="jyjg-verify-cell">{rule.id}</div>'),
                          w.HTML(f'<div class="jyjg-verify-cell">{text(rule.label)}</div>'), claim, evidence]
                if rule.computed:
                    computed = w.HTML()
                    self.verify_claims[rule.id + "/computed"] = computed
                    cells += [computed, w.HTML('<div class="jyjg-verify-cell jyjg-muted">按备案表数据</div>'),
                              w.HTML('<div class="jyjg-verify-cell jyjg-muted">由能耗数据计算，不能直接修改</div>')]
                    continue
                pick = w.Dropdown(options=[(listing.score(a), str(a)) for a in rule.allowed],
                                  layout=w.Layout(width="80px"))
                seen = w.Checkbox(indent=False, layout=w.Layout(width="40px"))
                reason = w.Text(placeholder="理由", layout=w.Layout(width="auto"))
                pick.add_class(f"jyjg-verify-{rule.key}")
                seen.add_class(f"jyjg-seen-{rule.key}")
                reason.add_class(f"jyjg-reason-{rule.key}")
                pick.observe(self._guarded(self._on_verify_change, self.verify_message), names="value")
                self.verify_controls[rule.id] = (pick, seen, reason)
                cells += [pick, seen, reason]
        self.verify_grid = w.GridBox(cells, layout=w.Layout(
            grid_template_columns="60px minmax(180px, 2fr) 90px minmax(160px, 1.6fr) 90px 80px minmax(160px, 1.6fr)",
            grid_gap="2px 4px", align_items="center"))
        self.verify_tally = w.HTML()
        self.verify_tally.add_class("jyjg-verify-tally")
        self.verify_save = w.Button(description="保存核定得分", button_style="primary", icon="save")
        self.verify_save.add_class("jyjg-verify-save")
        self.verify_save.on_click(self._guarded(lambda _: self._save_verification(), self.verify_message))
        self.verify_to_decide = w.Button(description="去作实地验收结论", icon="arrow-right")
        self.verify_to_decide.on_click(self._guarded(lambda _: setattr(self.tabs, "selected_index", TAB_DECIDE)))
        self.report_button = w.Button(description="生成验收评分表", icon="print")
        self.report_button.add_class("jyjg-report")
        self.report_button.on_click(self._guarded(lambda _: self._acceptance_report(), self.verify_message))
        self.verify_message.add_class("jyjg-verify-message")
        self.report_link = w.HTML()
        self.report_link.add_class("jyjg-report-link")
        self.verify_total_line = w.HTML()  # the running total again beside the buttons, below the long grid
        return w.VBox([self.verify_current, self.verify_note, self.verify_tally, self.verify_grid,
                       w.HBox([self.verify_save, self.verify_to_decide, self.report_button, self.verify_total_line]),
                       self.verify_message, self.report_link])

    def _build_upload(self) -> w.Widget:
        self.upload = w.FileUpload(accept=",".join(UPLOAD_SUFFIXES), multiple=True, description="选择申报文件")
        self.upload.add_class("jyjg-upload")
        self._upload_handler = self._guarded(self._on_upload, self.upload_message)
        self.upload.observe(self._upload_handler, names="value")
        self.upload_message.add_class("jyjg-upload-message")
        note = w.HTML(
            "<p>上传单位的申报包（.zip，内含自评表和“佐证材料”文件夹）或自评表（.xlsx）。可一次选择多个文件，"
            f"每个不超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB。上传后立即校验、重新计分并记入申报列表。</p>")
        return w.VBox([note, self.upload, self.upload_message])

    def _build_export(self) -> w.Widget:
        self.export_button = w.Button(description="生成年度汇总表（Excel）", icon="table", layout=w.Layout(width="240px"))
        self.notice_button = w.Button(description="生成通报草稿", icon="file", layout=w.Layout(width="240px"))
        self.export_button.add_class("jyjg-export")
        self.notice_button.add_class("jyjg-notice")
        self.export_button.on_click(self._guarded(lambda _: self._export("annual"), self.export_message))
        self.notice_button.on_click(self._guarded(lambda _: self._export("notice"), self.export_message))
        self.export_links = w.HTML()
        self.export_links.add_class("jyjg-export-links")
        return w.VBox([w.HTML("<p>按上方选择的创建年度生成文件，生成后点击链接下载。</p>"),
                       w.HBox([self.export_button, self.notice_button]), self.export_message, self.export_links])

    # --- guarding handlers ---------------------------------------------------------------

    def _guarded(self, handler: Callable, target: w.HTML | None = None) -> Callable:
        """Run a handler; a refusal shows its Chinese message, anything else a plain apology (logged)."""

        @functools.wraps(handler)
        def run(*args, **kwargs):
            shown = target if target is not None else self.message
            try:
                return handler(*args, **kwargs)
            except StoreError as refused:
                shown.value = message_html("error", str(refused))
            except PackageError as refused:
                shown.value = message_html("error", f"无法读取：{refused.reason}")
            except Exception:
                log.exception("评审工作台操作出错")
                shown.value = message_html("error", INTERNAL_ERROR)

        return run

    def show(self) -> None:
        """Display the page. In a preheated Voila kernel, first wait for the reviewer's request so the
        data is read when the page is opened, not when the kernel was started."""
        if os.environ.get("VOILA_PREHEAT") == "True":
            from voila.utils import wait_for_request

            wait_for_request()
            self._guarded(self.reload)()
        display(self.root)

    # --- data ----------------------------------------------------------------------------

    def reload(self, keep_open: bool = False) -> None:
        """Read units and versions again, then redraw the overview and the list."""
        self.units = self.store.units()
        self.versions = self.store.versions()
        years = sorted({v.assess_year for v in self.versions if v.assess_year}
                       | {u.creation_year for u in self.units if u.creation_year}
                       | set(CONFIG.creation))
        if self.year not in years:
            with_data = [v.assess_year for v in self.versions if v.assess_year]
            self.year = max(with_data) if with_data else (years[0] if years else None)
        options = [(f"{y} 年度", y) for y in years]
        if list(self.year_pick.options) != options:
            self.year_pick.unobserve(self._year_handler, names="value")
            self.year_pick.options = options
            self.year_pick.observe(self._year_handler, names="value")
        if self.year_pick.value != self.year:
            self.year_pick.value = self.year
        self.rows = listing.make_rows(self.versions, self.units, self.year)
        self._draw_overview()
        self._draw_table()
        if keep_open and self.current is not None:
            self._reopen()

    def _draw_overview(self) -> None:
        if self.year is None:
            self.overview.value = '<p class="jyjg-muted">还没有任何申报。请在“上传”中上传申报包。</p>'
            return
        states = self.store.unit_states(self.year)
        counts = render.state_counts(states, self.versions, self.year)
        bars = render.compute_progress(self.units, self.versions, self.year)
        self.overview.value = (f"<h4>{self.year} 年度各状态单位数</h4>" + render.render_counts(counts)
                               + render.render_progress(bars, self.year))

    def _draw_table(self) -> None:
        page, matched = listing.query_rows(self.rows, self.query)
        self.table.value = listing.render_table(page, self.query, matched, len(self.rows))
        pages = listing.page_count(matched, self.query.page_size)
        current = listing.page_start(self.query, matched) // self.query.page_size
        self.prev_page.disabled = current <= 0
        self.next_page.disabled = current >= pages - 1

    # --- list events ---------------------------------------------------------------------

    def _on_year(self, change) -> None:
        if change["new"] is not None and change["new"] != self.year:
            self.year = change["new"]
            self.query = replace(self.query, page=0)
            self.rows = listing.make_rows(self.versions, self.units, self.year)
            self._draw_overview()
            self._draw_table()

    def _on_filter(self, _change=None) -> None:
        self.query = replace(self.query, state=self.state_pick.value, category=self.category_pick.value,
                             errors=self.errors_pick.value, search=self.search.value, page=0)
        self._draw_table()

    def _turn(self, step: int) -> None:
        matched = len(listing.filter_rows(self.rows, self.query))
        page = listing.page_start(self.query, matched) // self.query.page_size + step
        self.query = replace(self.query, page=max(0, min(page, listing.page_count(matched) - 1)))
        self._draw_table()

    def _on_action(self, change) -> None:
        """A click inside an HTML table: 'open:<id>', 'sort:<column>' or 'evidence:<n>' (plus a nonce)."""
        parts = str(change["new"] or "").split(":")
        if len(parts) < 2:
            return
        verb, arg = parts[0], parts[1]
        if verb == "sort":
            self.query = self.query.with_sort(arg)
            self._draw_table()
        elif verb == "open" and arg.isdigit():
            self.open_version(int(arg))
            self.tabs.selected_index = TAB_DETAIL
        elif verb == "evidence" and arg.isdigit() and int(arg) < len(self.evidence):
            self.evidence_pick.value = self.evidence[int(arg)]
            self._open_evidence(self.evidence[int(arg)])

    # --- one submission --------------------------------------------------------------------

    def open_version(self, version_id: int) -> None:
        """Show one version in 详情, 决定 and 核定; typed opinions are cleared (another submission)."""
        self.review_opinion.value = ""
        self.site_opinion.value = ""
        self.review_outcome.value = None
        self.site_outcome.value = None
        self.decide_message.value = ""
        self.verify_message.value = ""
        self.report_link.value = ""
        self.viewer.value = ""
        self.current = self.store.version(version_id)
        self._draw_current(fill_verification=True)

    def _reopen(self) -> None:
        """Read the open version again (after someone else's change); what the reviewer typed stays."""
        if self.current is None:
            return
        self.current = self.store.version(self.current.id)
        self._draw_current(fill_verification=True)
        self.decide_message.value = message_html("info", f"已载入最新内容（修订号 {self.current.revision}）。")

    def _draw_current(self, fill_verification: bool) -> None:
        version = self.current
        unit = next((u for u in self.units if u.id == version.unit_id), None)
        if unit is None and version.unit_id is not None:
            self.units = self.store.units()
            unit = next((u for u in self.units if u.id == version.unit_id), None)
        name = version.unit_name or version.org_name or listing.UNKNOWN_UNIT
        current = (f'<div class="jyjg-current">当前申报：<b>{text(name)}</b> {text(version.assess_year or "")} 年度'
                   f'{text(f" 第 {version.number} 版" if version.number else "")} · '
                   f"{listing.state_badge(version.status)} · 修订号 {version.revision}</div>")
        for box in (self.detail_current, self.decide_current, self.verify_current):
            box.value = current
        try:
            package_files = stored_submission(self.store, version).evidence_files()
        except (StoreError, PackageError, OSError):
            log.exception("读取申报原件失败")
            package_files = []
        self.evidence = render.evidence_paths(version, package_files)
        self.evidence_pick.options = self.evidence
        self.evidence_pick.value = self.evidence[0] if self.evidence else None
        self.evidence_pick.disabled = self.evidence_open.disabled = not self.evidence
        self.evidence_pick.description = "佐证材料" if self.evidence else "无可打开的佐证材料"
        index = {p: i for i, p in enumerate(self.evidence)}
        self.detail_header.value = render.render_header(version, unit)
        self.detail_body.value = (render.render_findings(version) + "<h4>逐条评分</h4>" + render.render_rules(version, index)
                                  + "<h4>备案表能耗数据</h4>" + render.render_figures(version) + render.render_texts(version))
        self.history.value = render.render_history(self.store.history(version.id))
        if fill_verification:
            self._fill_verification()

    # --- evidence ------------------------------------------------------------------------------

    def _open_evidence(self, path: str | None) -> None:
        if self.current is None or not path:
            self.viewer.value = message_html("info", "请先选择一个佐证材料文件。")
            return
        data = stored_submission(self.store, self.current).open_evidence(path)
        name = path.replace("\\", "/").split("/")[-1]
        suffix = Path(name).suffix.lower()
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        title = f'<h4>{text(path)}（{len(data) / 1024:,.0f} KB）</h4>'
        if len(data) > PREVIEW_MAX_BYTES:
            self.viewer.value = title + message_html("info", "文件较大，不在页面内预览，请下载后查看。") + self._data_link(name, mime, data)
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
        self.viewer.value = title + body + self._data_link(name, mime, data, encoded)

    @staticmethod
    def _data_link(name: str, mime: str, data: bytes, encoded: str | None = None) -> str:
        encoded = encoded or base64.b64encode(data).decode("ascii")
        return (f'<div class="jyjg-download"><a download="{text(name)}" href="data:{mime};base64,{encoded}">'
                f"⬇ 下载 {text(name)}</a></div>")

    # --- decisions ----------------------------------------------------------------------------

    def _need_current(self, target: w.HTML) -> bool:
        if self.current is None:
            target.value = message_html("error", "请先在“申报列表”中打开一份申报。")
            return False
        return True

    def _decide(self, stage: str) -> None:
        if not self._need_current(self.decide_message):
            return
        outcome_pick, opinion = ((self.review_outcome, self.review_opinion) if stage == STAGE_REVIEW
                                 else (self.site_outcome, self.site_opinion))
        if outcome_pick.value is None:
            self.decide_message.value = message_html("error", f"请先选择{stage}结论。")
            return
        try:
            decision = self.store.decide(self.current.id, stage, outcome_pick.value, opinion.value,
                                         self.reviewer.value, expected_revision=self.current.revision)
        except StaleWrite as stale:
            # Nothing is reloaded: the reviewer's choice and text stay on the page to be saved again.
            self.decide_message.value = message_html("error", str(stale) + "\n您填写的意见仍保留在上面，"
                                                     "点击“载入最新内容”查看后可再次保存。")
            return
        opinion.value = ""
        outcome_pick.value = None
        self.current = self.store.version(self.current.id)
        self._draw_current(fill_verification=True)
        self._refresh_lists()
        self.decide_message.value = message_html(
            "ok", f"已保存：{decision.stage}{decision.outcome}（评审人 {decision.reviewer}）。当前状态：{self.current.status}。")

    def _refresh_lists(self) -> None:
        self.versions = self.store.versions()
        self.rows = listing.make_rows(self.versions, self.units, self.year)
        self._draw_overview()
        self._draw_table()

    # --- 核定 ------------------------------------------------------------------------------------

    def _fill_verification(self) -> None:
        version = self.current
        card = self.store.verified_card(version.id)
        editable = version.current and version.status == AWAITING_SITE
        if editable:
            self.verify_note.value = message_html("info", "逐条核定得分（已按重算结果预填），填写理由后保存。")
        elif version.status in ("验收通过", "验收未通过"):
            self.verify_note.value = message_html("info", f"已有实地验收结论（{version.status}），核定得分只能查看。")
        else:
            self.verify_note.value = message_html(
                "info", f"当前状态为“{version.status}”：初审通过（待验收）后评价小组方可核定得分。下面是按重算结果的预览。")
        for rule in RUBRIC.rules:
            verdict = card.rules[rule.id]
            entry = version.rules.get(rule.id) or {}
            raw = entry.get("claimed")
            claimed = "未填" if raw in (None, "") else raw
            self.verify_claims[rule.id].value = (f'<div class="jyjg-verify-cell">{text(claimed)} / '
                                                 f"<b>{listing.score(verdict.claimed)}</b></div>")
            statuses = version.evidence.get(rule.id) or []
            shown = "、".join(render.EVIDENCE_STATUS.get(e.get("status"), "") + "：" + (e.get("path") or "")
                             for e in statuses) or ("—" if rule.computed else "未列出")
            self.verify_claims[rule.id + "/evidence"].value = f'<div class="jyjg-verify-cell">{text(shown)}</div>'
            if rule.computed:
                self.verify_claims[rule.id + "/computed"].value = (
                    f'<div class="jyjg-verify-cell"><b>{listing.score(verdict.score)}</b></div>')
                continue
            pick, seen, reason = self.verify_controls[rule.id]
            pick.value = str(next(a for a in rule.allowed if a == verdict.score))
            seen.value = bool(verdict.evidence_seen)
            reason.value = verdict.reason or ""
            for control in (pick, seen, reason):
                control.disabled = not editable
        self.verify_save.disabled = not editable
        self._draw_tally()

    def _verification_scores(self) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        card = self.store.verified_card(self.current.id) if self.current else None
        scores, claims = {}, {}
        for rule in RUBRIC.rules:
            verdict = card.rules[rule.id] if card else None
            claims[rule.id] = verdict.claimed if verdict else Decimal(0)
            if rule.computed:
                scores[rule.id] = verdict.score if verdict else Decimal(0)
            else:
                scores[rule.id] = Decimal(self.verify_controls[rule.id][0].value or "0")
        return scores, claims

    def _draw_tally(self) -> None:
        if self.current is None:
            self.verify_tally.value = ""
            return
        scores, claims = self._verification_scores()
        self.verify_tally.value = render.render_tally(scores, claims)
        total = tally(scores).total
        self.verify_total_line.value = (f'<div class="jyjg-total">&nbsp;核定总分 <b>{listing.score(total)}</b> 分'
                                        f'{"" if total >= RUBRIC.qualify_at else f"（低于 {plain_number(RUBRIC.qualify_at)} 分）"}</div>')

    def _on_verify_change(self, _change) -> None:
        self._draw_tally()

    def _save_verification(self) -> None:
        if not self._need_current(self.verify_message):
            return
        entries = {rid: (pick.value, seen.value, reason.value)
                   for rid, (pick, seen, reason) in self.verify_controls.items()}
        try:
            card = self.store.verify_rules(self.current.id, entries, self.reviewer.value,
                                           expected_revision=self.current.revision)
        except StaleWrite as stale:
            self.verify_message.value = message_html("error", str(stale) + "\n您填写的核定得分仍保留在表中。")
            return
        self.current = self.store.version(self.current.id)
        self._draw_current(fill_verification=False)
        self._draw_tally()
        self._refresh_lists()
        self.verify_message.value = message_html(
            "ok", f"已保存核定得分：核定总分 {listing.score(card.total)} 分"
                  + ("，达到 80 分。" if card.card.qualifies else "，低于 80 分，不能验收通过。"))

    def _acceptance_report(self) -> None:
        if not self._need_current(self.verify_message):
            return
        try:
            from shared.report import write_acceptance_report
        except ImportError:
            self.verify_message.value = message_html("error", "验收评分表功能尚未安装，请联系系统管理员。")
            return
        version = self.current
        name = version.unit_name or version.org_name
        if not name or version.assess_year is None:
            self.verify_message.value = message_html("error", "这份申报没有可识别的单位名称或创建年度，不能生成验收评分表。")
            return
        # Written under our own name in a private folder: the unit name is only the offered name.
        folder = Path(tempfile.mkdtemp(prefix="jyjg-report-"))
        try:
            out = write_acceptance_report(self.store, name, version.assess_year, folder / "report.xlsx")
            self.report_link.value = download_link(out, "验收评分表", f"{name}_{version.assess_year}年度验收评分表.xlsx")
            self.verify_message.value = message_html("ok", "验收评分表已生成，点击下面的链接下载后打印。")
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    # --- upload and export -------------------------------------------------------------------------

    def _on_upload(self, change) -> None:
        files = list(change["new"] or ())
        if not files:
            return
        folder = Path(tempfile.mkdtemp(prefix="jyjg-upload-"))
        lines, refused = [], []
        try:
            for i, item in enumerate(files):
                name = safe_upload_name(item.get("name", ""))
                content = bytes(item.get("content", b""))
                if not name.lower().endswith(UPLOAD_SUFFIXES):
                    refused.append(f"“{name}”不是 .zip 申报包或 .xlsx 自评表，未接收。")
                    continue
                if len(content) > MAX_UPLOAD_BYTES:
                    refused.append(f"“{name}”超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB，未接收。")
                    continue
                own = folder / str(i)
                own.mkdir()
                path = own / name
                path.write_bytes(content)
                by = self.reviewer.value.strip() or "评审工作台上传"
                for version in load_paths(self.store, [path], by=by):
                    lines.append(
                        f"<li><b>{text(version.label)}</b>（{text(version.original_name)}）："
                        f"重算得分 {listing.score(version.rescored_total)} 分，错误 {version.error_count} 条，"
                        f"警告 {version.warning_count} 条{'' if version.created else '（此前已收到过同一文件）'}</li>")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            self.upload.unobserve(self._upload_handler, names="value")
            self.upload.value = ()
            self.upload.observe(self._upload_handler, names="value")
        self.reload(keep_open=True)
        out = ""
        if lines:
            out += message_html("ok", f"已接收 {len(lines)} 份申报，已记入申报列表。") + f"<ul>{''.join(lines)}</ul>"
        if refused:
            out += message_html("error", "\n".join(refused))
        self.upload_message.value = out

    def _export(self, what: str) -> None:
        if self.year is None:
            self.export_message.value = message_html("error", "还没有任何申报，无法生成。")
            return
        try:
            if what == "annual":
                from shared.export import write_annual_export as writer
                name, label = f"{self.year}年度节约型机关创建汇总表.xlsx", "年度汇总表"
            else:
                from shared.notice import write_notice as writer
                name, label = f"{self.year}年度节约型机关创建情况通报（草稿）.docx", "通报草稿"
        except ImportError:
            self.export_message.value = message_html("error", "该导出功能尚未安装，请联系系统管理员。")
            return
        folder = Path(tempfile.mkdtemp(prefix="jyjg-export-"))
        try:
            out = folder / ("export" + Path(name).suffix)
            writer(self.store, self.year, out)
            self.export_links.value = download_link(out, label, name) + self.export_links.value
            self.export_message.value = message_html("ok", f"{label}已生成，点击链接下载。")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
