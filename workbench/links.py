"""Short-lived, unguessable references to a stored file, made by a page's kernel and honoured by the
server's file handler (workbench/files.py).

A reference names a version (by id and the start of its content hash) and one of its evidence files
(by position in the package's sorted list): never a filesystem path, nothing a unit typed. It is
signed (HMAC-SHA256) with a secret the server and its kernels share through the environment, and
expires. The server still asks for the page's login on every request; the reference only says which
file, and that this server's kernel offered it a moment ago.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import mimetypes
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

SECRET_ENV = "JYJG_LINK_SECRET"
LINK_SECONDS = 30 * 60  # long enough to read a scan or click its download link; a new one each time it is opened
ROUTE = "jyjg/files/"  # under the server's base URL


class LinkError(ValueError):
    """A reference that is forged, damaged or out of date; the message is Chinese."""


@dataclass(frozen=True)
class FileRef:
    version_id: int
    content_hash: str  # the start of the version's content hash: the reference names exactly that package
    index: int  # the file's position in the package's sorted evidence list
    expires: int  # Unix seconds


def ensure_secret() -> bytes:
    """The shared secret; made (and put in the environment, for kernels started later) when missing."""
    value = os.environ.get(SECRET_ENV)
    if not value:
        value = secrets.token_hex(32)
        os.environ[SECRET_ENV] = value
    return value.encode("ascii")


def _secret() -> bytes:
    value = os.environ.get(SECRET_ENV)
    if not value:
        raise LinkError("服务器没有设置文件链接密钥，无法打开文件。请用 jyjg serve 启动评审工作台。")
    return value.encode("ascii")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(version_id: int, content_hash: str, index: int, seconds: int = LINK_SECONDS,
               now: float | None = None) -> str:
    payload = {"v": int(version_id), "h": content_hash[:16], "i": int(index),
               "e": int((time.time() if now is None else now) + seconds), "n": secrets.token_hex(4)}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode("ascii"))
    mac = hmac.new(_secret(), body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def read_token(token: str, now: float | None = None) -> FileRef:
    """The reference a token carries; LinkError when it is not ours or has expired."""
    try:
        body, mac = token.split(".")
        expected = hmac.new(_secret(), body.encode("ascii"), hashlib.sha256).digest()
        if not hmac.compare_digest(_unb64(mac), expected):
            raise ValueError("signature")
        payload = json.loads(_unb64(body))
        ref = FileRef(int(payload["v"]), str(payload["h"]), int(payload["i"]), int(payload["e"]))
    except LinkError:
        raise
    except (ValueError, KeyError, TypeError, UnicodeError):
        raise LinkError("文件链接无效。请回到评审工作台重新打开这个文件。") from None
    if ref.expires < (time.time() if now is None else now):
        raise LinkError("文件链接已过期。请回到评审工作台重新打开这个文件。")
    return ref


def base_url() -> str:
    """The server's base URL as a kernel sees it: JupyterHub's prefix for a user's server, Voila's own, else '/'."""
    base = os.environ.get("JUPYTERHUB_SERVICE_PREFIX") or os.environ.get("VOILA_BASE_URL") or "/"
    return base if base.endswith("/") else base + "/"


def file_url(token: str) -> str:
    return f"{base_url()}{ROUTE}{token}"


INLINE_TYPES = {
    ".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".bmp": "image/bmp", ".webp": "image/webp",
}
OFFICE_TYPES = {
    ".doc": "application/msword", ".xls": "application/vnd.ms-excel", ".ppt": "application/vnd.ms-powerpoint",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
ACTIVE_TYPES = ("text/html", "image/svg", "application/xhtml", "text/xml", "application/xml", "text/javascript",
                "application/javascript")


def content_type(name: str) -> tuple[str, bool]:
    """(the Content-Type to send, whether the browser shows it inline). Anything not a PDF or an image
    is a download, and nothing a unit packed is ever sent as a type the browser would run (HTML, SVG)."""
    suffix = Path(name).suffix.lower()
    if suffix in INLINE_TYPES:
        return INLINE_TYPES[suffix], True
    known = OFFICE_TYPES.get(suffix) or mimetypes.guess_type(name)[0]
    if not known or known.startswith(ACTIVE_TYPES):
        known = "application/octet-stream"
    return known, False
