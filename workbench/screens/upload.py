"""上传: packages a unit sent by other means, checked and recorded as they are uploaded.

Each file is written under its own (sanitised) name in a private temporary folder and checked as
that name alone, so no message ever shows a server path. A file that cannot be read, or has errors,
is reported as an error with its first finding; one recorded by mistake can be 撤回 (withdrawn) from
the 决定 screen, with a reason.
"""
from __future__ import annotations

import shutil
import tempfile
import unicodedata
from dataclasses import replace
from pathlib import Path

import ipywidgets as w

from shared import batch
from shared.filenames import safe_file_name
from shared.scope import Action
from shared.scoped_store import ScopeRefused
from shared.store import Version
from shared.submission import discover

from .. import listing
from ..common import message_html
from ..listing import action_link, text
from ..screen import Screen
from ..server import MAX_UPLOAD_BYTES

UPLOAD_SUFFIXES = (".zip", ".xlsx", ".xlsm")


def safe_upload_name(name: str) -> str:
    """An uploaded file's own name without any folder part, so it cannot land outside its temp folder."""
    base = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").split("/")[-1].strip()
    if base in ("", ".", "..") or base.startswith("."):
        base = "上传的申报" + (Path(base).suffix if base else ".zip")
    return safe_file_name(base, fallback="上传的申报.zip")


def first_error(version: Version) -> str | None:
    """The message of the version's first error finding (what the reviewer reads first), if any."""
    for found in version.findings:
        if found.get("severity") == "error":
            return (found.get("message") or "").rstrip("。")
    return None


def upload_line(version: Version) -> tuple[str, str]:
    """(kind, HTML) of one uploaded file's result: 'error' when it cannot be used as it is, else 'ok'."""
    name = text(version.original_name)
    again = "（此前已收到过同一文件）" if not version.created else ""
    if version.withdrawn:
        return "error", (f"<li><b>{name}</b>：此文件此前已收到并已撤回（{text(version.withdrawn_by)}："
                         f"{text(version.withdraw_reason)}），未再记入。</li>")
    problem = first_error(version)
    withdraw = action_link(f"withdraw:{version.id}", "撤回此申报", "jyjg-withdraw-link")
    if version.rescored_total is None:
        return "error", (f"<li><b>{name}</b>：无法作为申报接收——{text(problem or '无法读取')}{again}"
                         f"。如是误传，请{withdraw}。</li>")
    if version.error_count:
        return "error", (f"<li><b>{text(version.label)}</b>（{name}）：有 {version.error_count} 条错误，"
                         f"第一条：{text(problem)}{again}。已记入申报列表，初审时请退回补正；如是误传，请{withdraw}。</li>")
    return "ok", (f"<li><b>{text(version.label)}</b>（{name}）：重算得分 {listing.score(version.rescored_total)} 分，"
                  f"警告 {version.warning_count} 条{again}</li>")


class UploadScreen(Screen):
    key = "upload"
    title = "上传"
    needs = (Action.UPLOAD,)

    def __init__(self, shell):
        super().__init__(shell)
        shell.on_action("withdraw", self._withdraw)

    def build(self) -> w.Widget:
        self.message = w.HTML()
        self.message.add_class("jyjg-upload-message")
        self.upload = w.FileUpload(accept=",".join(UPLOAD_SUFFIXES), multiple=True, description="选择申报文件")
        self.upload.add_class("jyjg-upload")
        self._handler = self.shell.guarded(self._on_upload, self.message)
        self.upload.observe(self._handler, names="value")
        note = w.HTML(
            "<p>上传单位的申报包（.zip，内含自评表和“佐证材料”文件夹）或自评表（.xlsx）。可一次选择多个文件，"
            f"每个不超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB。上传后立即校验、重新计分并记入申报列表。"
            "误传的文件可以撤回（须写明理由，撤回后不再计入列表和统计，但留有记录）。</p>")
        return w.VBox([note, self.upload, self.message])

    def _withdraw(self, arg: str) -> None:
        if arg.isdigit():
            self.shell.open_version(int(arg), tab="decisions")

    def _on_upload(self, change) -> None:
        files = list(change["new"] or ())
        if not files:
            return
        folder = Path(tempfile.mkdtemp(prefix="jyjg-upload-"))
        results, refused = [], []
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
                try:
                    results.append(self._record(path, name))
                except ScopeRefused as refusal:
                    refused.append(f"{name}：{refusal}")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            self.upload.unobserve(self._handler, names="value")
            self.upload.value = ()
            self.upload.observe(self._handler, names="value")
        self.shell.reload(keep_open=True)
        lines = [upload_line(v) for v in results]
        good = [html for kind, html in lines if kind == "ok"]
        bad = [html for kind, html in lines if kind == "error"]
        out = ""
        if bad:
            out += message_html("error", f"{len(bad)} 个文件有问题：") + f'<ul class="jyjg-bad-files">{"".join(bad)}</ul>'
        if good:
            out += message_html("ok", f"已接收 {len(good)} 份申报，已记入申报列表。") + f"<ul>{''.join(good)}</ul>"
        if refused:
            out += message_html("error", "\n".join(refused))
        self.message.value = out

    def _record(self, path: Path, name: str) -> Version:
        """Check one uploaded file as `name` alone (no server path in any finding) and record it."""
        submission = replace(discover([path])[0], source=name)
        result = batch.check_all([submission])[0]
        return self.store.record(result, path)  # as the acting account; outside its scope: refused and audited
