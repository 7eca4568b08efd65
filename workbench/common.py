"""What every screen of the workbench shares: messages, the 'current submission' line, download
links, and the stored package of a version. Pure helpers; no screen state lives here."""
from __future__ import annotations

import base64
import mimetypes
from pathlib import Path

from shared.filenames import safe_file_name
from shared.store import Store, Version
from shared.submission import Submission

from . import listing
from .listing import text

INTERNAL_ERROR = "操作没有完成：系统内部出错，已记入服务器日志。请刷新页面后重试；如仍不行，请联系系统管理员。"
NOTHING_OPEN = '<div class="jyjg-current">尚未打开申报：请在“申报列表”中点击单位名称。</div>'


def message_html(kind: str, message: str) -> str:
    """A message box: kind is 'ok', 'info' or 'error'; the text is escaped."""
    return f'<div class="jyjg-msg jyjg-msg-{kind}">{text(message)}</div>' if message else ""


def download_link(path: Path, label: str, offered_name: str) -> str:
    """A link that downloads the file from the page itself (a data: URL), no file served.

    The file sits under a name of the system's choosing; `offered_name` is what the browser saves it as."""
    name = safe_file_name(offered_name)
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<div class="jyjg-download"><a download="{text(name)}" href="data:{mime};base64,{data}">'
            f"⬇ {text(label)}（{text(name)}）</a></div>")


def current_html(version: Version | None) -> str:
    """The line at the top of each per-submission screen: which submission is open, and its state."""
    if version is None:
        return NOTHING_OPEN
    name = version.unit_name or version.org_name or listing.UNKNOWN_UNIT
    number = f" 第 {version.number} 版" if version.number else ""
    withdrawn = ' · <span class="jyjg-err">已撤回</span>' if version.withdrawn else ""
    return (f'<div class="jyjg-current">当前申报：<b>{text(name)}</b> {text(version.assess_year or "")} 年度'
            f"{text(number)} · {listing.state_badge(version.status)}{withdrawn}</div>")


def stored_submission(store: Store, version: Version) -> Submission:
    """The version's package as the store keeps it (folders are kept as zips)."""
    path = store.original_path(version.id)
    kind = "zip" if path.suffix.lower() == ".zip" else "xlsx"
    return Submission(version.original_name, path, kind)
