"""Serving the reviewer dashboard: load submissions into the store, then run Voila on 127.0.0.1.

`jyjg load` and `jyjg serve` both call `load_paths`; `jyjg serve` then calls `serve`, which writes a
Voila configuration (token, preheated kernel, big websocket messages for uploads, idle-kernel culling,
no local files served) into a private folder and runs Voila as a child process until it stops.
"""
from __future__ import annotations

import getpass
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterable

from sqlalchemy.engine import make_url

from shared import batch
from shared.store import SYSTEM, Store, Version, default_db_url

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "评审工作台.ipynb"
DEFAULT_PORT = 8866
DB_ENV = "JYJG_DB"
DATA_ENV = "JYJG_DATA"
REVIEWER_ENV = "JYJG_REVIEWER"  # the acting person of every page of this server

# Uploads travel as one websocket message: real packages are tens of MB (base64 adds a third).
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
WEBSOCKET_MAX_MESSAGE_BYTES = MAX_UPLOAD_BYTES * 4 // 3 + 1024 * 1024
KERNEL_IDLE_SECONDS = 2 * 60 * 60  # a reviewer's page left idle this long is shut down
CULL_EVERY_SECONDS = 5 * 60
PRELOADED_KERNELS = 2
READY_TIMEOUT_SECONDS = 120


def load_paths(store: Store, paths: Iterable[str | Path], by: str = SYSTEM) -> list[Version]:
    """Check every submission under `paths` and record each in the store (what `jyjg load` does).

    Returns the recorded versions in the order found; a file recorded before comes back as it was.
    """
    return batch.load_paths(store, [Path(p) for p in paths], by=by)


def os_user() -> str:
    """The operating system's name for the person running the server: the default acting person."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "评审人"


def absolute_db_url(db_url: str | None) -> str:
    """The URL with a relative SQLite path made absolute: the dashboard kernel runs in another folder."""
    url = db_url or default_db_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        parsed = parsed.set(database=str(Path(parsed.database).resolve()))
        return parsed.render_as_string(hide_password=False)
    return url


def voila_config(port: int, token: str) -> dict:
    """The Voila configuration (voila.json) the dashboard runs with."""
    return {
        "Voila": {
            "ip": "127.0.0.1",
            "port": port,
            "port_retries": 0,
            "open_browser": False,
            "token": token,
            "tornado_settings": {
                "websocket_max_message_size": WEBSOCKET_MAX_MESSAGE_BYTES,
                "max_body_size": WEBSOCKET_MAX_MESSAGE_BYTES,
                "headers": {"X-Frame-Options": "SAMEORIGIN", "Referrer-Policy": "no-referrer"},
            },
        },
        "VoilaConfiguration": {
            "preheat_kernel": True,
            "default_pool_size": PRELOADED_KERNELS,
            "show_tracebacks": False,
            "file_allowlist": [],  # the page needs no local files; evidence comes through the kernel
            "file_denylist": [".*"],
        },
        "MappingKernelManager": {
            "cull_idle_timeout": KERNEL_IDLE_SECONDS,
            "cull_interval": CULL_EVERY_SECONDS,
            "cull_connected": False,
        },
    }


def voila_command(config_dir: Path) -> list[str]:
    return [sys.executable, "-m", "voila", str(NOTEBOOK), f"--Voila.config_file_paths={config_dir}"]


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop_on_sigterm() -> None:
    """A terminated `jyjg serve` stops its Voila child too (signals are only settable in the main thread)."""
    try:
        signal.signal(signal.SIGTERM, _raise_interrupt)
    except ValueError:
        pass


def serve(paths: Iterable[str | Path], port: int = DEFAULT_PORT, token: str | None = None,
          db_url: str | None = None, reviewer: str | None = None) -> int:
    """Load `paths` into the store, then serve the dashboard until Voila stops; returns an exit code.

    `reviewer` is the acting person of every page (default: the operating system's user)."""
    url = absolute_db_url(db_url)
    reviewer = (reviewer or "").strip() or os_user()
    paths = list(paths)
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        print("找不到：" + "、".join(str(p) for p in missing), file=sys.stderr)
        return 2
    with Store(url) as store:
        versions = load_paths(store, paths, by=reviewer)
        data_dir = store.data_dir.resolve()
    if versions:
        print(f"已载入 {len(versions)} 份申报（新增 {sum(v.created for v in versions)} 份）。", flush=True)
    if _port_open(port):
        print(f"端口 {port} 已被占用，请用 --port 指定其他端口。", file=sys.stderr)
        return 2
    token = token or secrets.token_urlsafe(24)
    env = {**os.environ, DB_ENV: url, DATA_ENV: str(data_dir), REVIEWER_ENV: reviewer, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryDirectory(prefix="jyjg-voila-") as config_dir:
        Path(config_dir, "voila.json").write_text(json.dumps(voila_config(port, token), ensure_ascii=False),
                                                  encoding="utf-8")
        child = subprocess.Popen(voila_command(Path(config_dir)), env=env, cwd=config_dir)
        _stop_on_sigterm()
        try:
            deadline = time.monotonic() + READY_TIMEOUT_SECONDS
            while not _port_open(port):
                if child.poll() is not None:
                    print("评审工作台未能启动，详见上面的日志。", file=sys.stderr)
                    return child.returncode or 1
                if time.monotonic() > deadline:
                    print("评审工作台启动超时。", file=sys.stderr)
                    child.terminate()
                    return 1
                time.sleep(0.2)
            print(f"评审工作台已启动：http://127.0.0.1:{port}/?token={token}", flush=True)
            print("请用浏览器打开上面的地址（含 token）；按 Ctrl+C 停止。", flush=True)
            return child.wait()
        except KeyboardInterrupt:
            child.terminate()
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
            return 0
        finally:
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
