"""Serving a submission's evidence files to the reviewer's browser: an authenticated tornado handler in
the server process (Voila's for `jyjg serve`; a Jupyter server's, through the extension below, for a
multi-user server), so a 100 MB scan opens in the browser's own viewer instead of a page-sized data: URL.

The request carries a reference the page's kernel signed a moment ago (workbench/links.py), never a
path. The file is read straight from the stored package (a zip in the store's data folder, kept under
its content hash) and streamed in chunks, read in a worker thread so the server keeps answering:
PDFs and images inline, everything else as a download, under a sanitised name.
"""
from __future__ import annotations

import asyncio
import os
from urllib.parse import quote

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.iostream import StreamClosedError

from shared.filenames import safe_file_name
from shared.scoped_store import ScopedStore
from shared.store import Store, StoreError
from shared.submission import PackageError, Submission

from .common import stored_submission
from .identity import acting_store
from .links import ROUTE, FileRef, LinkError, content_type, ensure_secret, read_token
from .listing import text

CHUNK_BYTES = 1 << 20
DB_ENV = "JYJG_DB"


def disposition(name: str, inline: bool) -> str:
    """Content-Disposition with the file's sanitised name (RFC 6266: an ASCII fallback, then UTF-8)."""
    safe = safe_file_name(name, fallback="佐证材料")
    ascii_name = safe.encode("ascii", "replace").decode("ascii").replace("?", "_").replace('"', "_")
    return f"{'inline' if inline else 'attachment'}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(safe)}"


_stores: dict[str, Store] = {}


def store_for(url: str | None) -> Store:
    """One use of the store per server process for reading files (the kernels do the writing)."""
    key = url or ""
    if key not in _stores:
        _stores[key] = Store(url or None, sync=False)
    return _stores[key]


def evidence_for(store: Store | ScopedStore, ref: FileRef) -> tuple[Submission, str]:
    """The stored package and the name of the evidence file a reference names, read as the account
    this server acts for (a multi-user server's account: its scope rule applies, and a refusal is
    audited). Raises StoreError (ScopeRefused among them) or PackageError, with Chinese messages."""
    version = store.version(ref.version_id)
    if not version.content_hash.startswith(ref.content_hash):
        raise StoreError("文件链接与申报不符。请回到评审工作台重新打开这个文件。")
    package = stored_submission(store, version)
    names = package.evidence_files()
    if not 0 <= ref.index < len(names):
        raise StoreError("申报包中没有这个文件。")
    return package, names[ref.index]


class EvidenceFileHandler(JupyterHandler):
    """GET {base_url}jyjg/files/<reference>: one evidence file, for the logged-in page that asked for it."""

    def _refuse(self, status: int, message: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>无法打开文件</title>'
                    f'<body style="font-family:sans-serif;padding:2em"><p>{text(message)}</p></body></html>')

    @web.authenticated
    async def get(self, token: str) -> None:
        try:
            ref = read_token(token)
        except LinkError as refused:
            self._refuse(403, str(refused))
            return
        try:
            package, name = evidence_for(acting_store(store_for(os.environ.get(DB_ENV))), ref)
        except (StoreError, PackageError) as refused:
            self._refuse(404, f"无法打开文件：{getattr(refused, 'reason', None) or refused}")
            return
        kind, inline = content_type(name)
        loop = asyncio.get_running_loop()
        try:
            with package.evidence_stream(name) as (size, stream):
                self.set_header("Content-Type", kind)
                self.set_header("Content-Length", str(size))
                self.set_header("Content-Disposition", disposition(name.split("/")[-1], inline))
                self.set_header("X-Content-Type-Options", "nosniff")
                self.set_header("Cache-Control", "private, no-store")
                while chunk := await loop.run_in_executor(None, stream.read, CHUNK_BYTES):
                    self.write(chunk)
                    await self.flush()
        except PackageError as refused:
            self._refuse(404, f"无法打开文件：{refused.reason}")
            return
        except StreamClosedError:
            return  # the reviewer closed the viewer before it finished
        self.finish()


def handlers(base_url: str) -> list[tuple]:
    """The routes to add to a tornado application served under `base_url`."""
    ensure_secret()
    return [(url_path_join(base_url, ROUTE + r"([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)"), EvidenceFileHandler)]


# --- as a Jupyter server extension (a multi-user server's single-user servers) -----------------------

def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "workbench.files"}]


def _load_jupyter_server_extension(serverapp) -> None:
    """Adds the evidence route to a Jupyter server (e.g. `jupyterhub-singleuser`), behind its own login."""
    serverapp.web_app.add_handlers(".*$", handlers(serverapp.web_app.settings.get("base_url", "/")))
