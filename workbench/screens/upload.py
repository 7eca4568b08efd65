"""上传: packages a unit sent by other means, checked and recorded as they are uploaded."""
from __future__ import annotations

import shutil
import tempfile
import unicodedata
from pathlib import Path

import ipywidgets as w

from shared.filenames import safe_file_name

from .. import listing
from ..common import message_html
from ..listing import text
from ..screen import Screen
from ..server import MAX_UPLOAD_BYTES

UPLOAD_SUFFIXES = (".zip", ".xlsx", ".xlsm")


def safe_upload_name(name: str) -> str:
    """An uploaded file's own name without any folder part, so it cannot land outside its temp folder."""
    base = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").split("/")[-1].strip()
    if base in ("", ".", "..") or base.startswith("."):
        base = "上传的申报" + (Path(base).suffix if base else ".zip")
    return safe_file_name(base, fallback="上传的申报.zip")


class UploadScreen(Screen):
    key = "upload"
    title = "上传"

    def build(self) -> w.Widget:
        self.message = w.HTML()
        self.message.add_class("jyjg-upload-message")
        self.upload = w.FileUpload(accept=",".join(UPLOAD_SUFFIXES), multiple=True, description="选择申报文件")
        self.upload.add_class("jyjg-upload")
        self._handler = self.shell.guarded(self._on_upload, self.message)
        self.upload.observe(self._handler, names="value")
        note = w.HTML(
            "<p>上传单位的申报包（.zip，内含自评表和“佐证材料”文件夹）或自评表（.xlsx）。可一次选择多个文件，"
            f"每个不超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB。上传后立即校验、重新计分并记入申报列表。</p>")
        return w.VBox([note, self.upload, self.message])

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
                versions, out_of_scope = self.store.load_paths([path])
                refused.extend(out_of_scope)
                for version in versions:
                    lines.append(
                        f"<li><b>{text(version.label)}</b>（{text(version.original_name)}）："
                        f"重算得分 {listing.score(version.rescored_total)} 分，错误 {version.error_count} 条，"
                        f"警告 {version.warning_count} 条{'' if version.created else '（此前已收到过同一文件）'}</li>")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            self.upload.unobserve(self._handler, names="value")
            self.upload.value = ()
            self.upload.observe(self._handler, names="value")
        self.shell.reload(keep_open=True)
        out = ""
        if lines:
            out += message_html("ok", f"已接收 {len(lines)} 份申报，已记入申报列表。") + f"<ul>{''.join(lines)}</ul>"
        if refused:
            out += message_html("error", "\n".join(refused))
        self.message.value = out
