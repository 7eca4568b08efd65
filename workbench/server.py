"""Serving the reviewer dashboard: load submissions into the store, then run Voila on 127.0.0.1.

`jyjg load` and `jyjg serve` both call `load_paths`; `jyjg serve` then calls `serve`, which writes a
Voila configuration (token, preheated kernels, big websocket messages for uploads, quick culling of
kernels whose page is gone, no local files served, a quiet log) into a private folder and runs
Voila (workbench/voila_app.py: with the evidence route, a Chinese login page, and the cookie a
closed page needs to shut its kernel down) as a child process, in its own process group, until
it stops; Ctrl+C stops it cleanly.
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

# Package data (pyproject.toml), so an installed wheel serves it as a checkout does.
NOTEBOOK = Path(__file__).resolve().parent / "评审工作台.ipynb"
DEFAULT_PORT = 8866
DB_ENV = "JYJG_DB"
DATA_ENV = "JYJG_DATA"
REVIEWER_ENV = "JYJG_REVIEWER"  # the acting person of every page of this server

# Uploads travel as one websocket message: real packages are tens of MB (base64 adds a third).
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
WEBSOCKET_MAX_MESSAGE_BYTES = MAX_UPLOAD_BYTES * 4 // 3 + 1024 * 1024
# A closed or reloaded page shuts its kernel down itself (workbench/voila_app.py); a page that vanished
# without a word (a crashed browser, a laptop put to sleep) leaves a kernel with no connection, which is
# shut down once it has been so for this long. A page still open is never culled (cull_connected off).
KERNEL_IDLE_SECONDS = 2 * 60
CULL_EVERY_SECONDS = 30
PRELOADED_KERNELS = 2
# After a page takes a preheated kernel, wait this long before starting its replacement: when several
# reviewers open at once, the pages get the machine first and the pool refills after them.
REFILL_DELAY_SECONDS = 20
READY_TIMEOUT_SECONDS = 120
LOCAL_ADDRESSES = ("127.0.0.1", "localhost", "::1")


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


def voila_config(port: int, token: str, ip: str = "127.0.0.1", kernels: int = PRELOADED_KERNELS) -> dict:
    """The Voila configuration (voila.json) the dashboard runs with."""
    return {
        "Voila": {
            "ip": ip,
            "port": port,
            "log_level": "ERROR",  # Voila's routine English notices are not for the person running it
            "port_retries": 0,
            "open_browser": False,
            "token": token,
            "tornado_settings": {
                "websocket_max_message_size": WEBSOCKET_MAX_MESSAGE_BYTES,
                "max_body_size": WEBSOCKET_MAX_MESSAGE_BYTES,
                # same-origin, not no-referrer: under no-referrer Chromium sends `Origin: null` with the
                # page's own POSTs (the login form, the kernel's shutdown), which the server refuses as
                # cross-origin; the address (with its token) still never goes to another site.
                "headers": {"X-Frame-Options": "SAMEORIGIN", "Referrer-Policy": "same-origin"},
            },
        },
        "VoilaConfiguration": {
            "preheat_kernel": True,
            "default_pool_size": kernels,
            "show_tracebacks": False,
            "file_allowlist": [],  # the page needs no local files; evidence comes through the kernel
            "file_denylist": [".*"],
        },
        "MappingKernelManager": {
            "cull_idle_timeout": KERNEL_IDLE_SECONDS,
            "cull_interval": CULL_EVERY_SECONDS,
            "cull_connected": False,
        },
        "VoilaKernelManager": {"fill_delay": REFILL_DELAY_SECONDS},
    }


def voila_command(config_dir: Path) -> list[str]:
    return [sys.executable, "-m", "workbench.voila_app", str(NOTEBOOK), f"--Voila.config_file_paths={config_dir}"]


def _port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _reachable_host(ip: str) -> str:
    """Where this machine reaches a server listening on `ip` (every address: the loopback one)."""
    return "127.0.0.1" if ip in ("", "0.0.0.0") else ("::1" if ip == "::" else ip)


def tls_warning(ip: str) -> str | None:
    """What someone serving beyond this machine must be told: the page then needs TLS in front of it."""
    if ip in LOCAL_ADDRESSES:
        return None
    return (f"警告：评审工作台将在 {ip or '所有网络地址'} 上监听，同一网络中的其他电脑可以访问。"
            "工作台本身只用 HTTP：访问口令和申报材料会以明文在网络上传输，可能被他人截获。"
            "请务必在前面架设 HTTPS（TLS）反向代理（如 nginx、Caddy），只让评审人通过 https:// 地址访问，"
            "并用防火墙挡住本端口的直接访问。")


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop_child(child: subprocess.Popen) -> None:
    """Ask Voila to stop (it shuts its kernels down first), then insist."""
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=20)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(child.pid, signal.SIGKILL)  # Voila and whatever kernels it left
        except ProcessLookupError:
            pass
        child.wait()


def _stop_on_sigterm() -> None:
    """A terminated or interrupted `jyjg serve` stops its Voila child too (signals are only settable in
    the main thread). Ctrl+C is handled even when the shell started us with SIGINT ignored."""
    try:
        signal.signal(signal.SIGTERM, _raise_interrupt)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:
        pass


def serve(paths: Iterable[str | Path], port: int = DEFAULT_PORT, token: str | None = None,
          db_url: str | None = None, reviewer: str | None = None, ip: str = "127.0.0.1",
          kernels: int = PRELOADED_KERNELS) -> int:
    """Load `paths` into the store, then serve the dashboard until Voila stops; returns an exit code.

    `reviewer` is the acting person of every page (default: the operating system's user); `ip` the
    address to listen on (beyond this machine the page needs TLS in front of it, and is told so);
    `kernels` how many pages can open at once without waiting for a kernel to start."""
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
    host = _reachable_host(ip)
    if _port_open(port, host):
        print(f"端口 {port} 已被占用，请用 --port 指定其他端口。", file=sys.stderr)
        return 2
    warning = tls_warning(ip)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    token = token or secrets.token_urlsafe(24)
    # VOILA_APP_IP: where a preheated kernel reaches the server to learn its page's request.
    env = {**os.environ, DB_ENV: url, DATA_ENV: str(data_dir), REVIEWER_ENV: reviewer, "PYTHONUNBUFFERED": "1",
           "VOILA_APP_IP": host}
    with tempfile.TemporaryDirectory(prefix="jyjg-voila-") as config_dir:
        Path(config_dir, "voila.json").write_text(
            json.dumps(voila_config(port, token, ip, kernels), ensure_ascii=False), encoding="utf-8")
        # Its own process group: Ctrl+C in the terminal reaches only this process, which then stops Voila,
        # which shuts its kernels down (a kernel interrupted while waiting for its page would print a
        # ZMQ traceback instead).
        child = subprocess.Popen(voila_command(Path(config_dir)), env=env, cwd=config_dir, start_new_session=True)
        _stop_on_sigterm()
        try:
            deadline = time.monotonic() + READY_TIMEOUT_SECONDS
            while not _port_open(port, host):
                if child.poll() is not None:
                    print("评审工作台未能启动，详见上面的日志。", file=sys.stderr)
                    return child.returncode or 1
                if time.monotonic() > deadline:
                    print("评审工作台启动超时。", file=sys.stderr)
                    return 1
                time.sleep(0.2)
            shown = "127.0.0.1" if ip in LOCAL_ADDRESSES else (ip if ip not in ("", "0.0.0.0", "::") else socket.gethostname())
            print(f"评审工作台已启动：http://{shown}:{port}/?token={token}", flush=True)
            print("请用浏览器打开上面的地址（含 token）；按 Ctrl+C 停止。", flush=True)
            return child.wait()
        except KeyboardInterrupt:
            print("正在停止评审工作台……", flush=True)
            _stop_child(child)
            print("评审工作台已停止。", flush=True)
            return 0
        finally:
            _stop_child(child)
