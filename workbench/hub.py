"""`jyjg hub`: the multi-user workbench on JupyterHub, with configurable-http-proxy in front.

Checks what it needs (a PostgreSQL store, the proxy, JupyterHub and NativeAuthenticator), brings the
store's schema and the Hub's own tables up to date, then runs `jupyterhub -f
workbench/jupyterhub_config.py` until stopped. The configuration file takes everything from the
environment set here, so the same file serves on Kubernetes (zero-to-jupyterhub).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from shared.accounts import Accounts, prepare_hub_db
from shared.scope import Role
from shared.store import Store

CONFIG_FILE = Path(__file__).resolve().parent / "jupyterhub_config.py"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
STATE_ENV = "JYJG_HUB_STATE"
DEFAULT_STATE = "jyjg-hub"
PROXY_NAME = "configurable-http-proxy"


def find_proxy() -> str | None:
    """configurable-http-proxy on PATH, else the project's own node_modules (scripts/test.sh puts it there)."""
    found = shutil.which(PROXY_NAME)
    if found:
        return found
    local = PROJECT_ROOT / "node_modules" / ".bin" / PROXY_NAME
    return str(local) if local.exists() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hub_environment(db_url: str, ip: str, port: int, state: Path, data_dir: Path, proxy: str) -> dict[str, str]:
    """The environment jupyterhub_config.py reads."""
    return {
        **os.environ,
        "JYJG_DB": db_url,
        "JYJG_DATA": str(data_dir),
        "JYJG_HUB_DB": prepare_hub_db(db_url),
        "JYJG_HUB_IP": ip,
        "JYJG_HUB_PORT": str(port),
        "JYJG_HUB_API_PORT": str(free_port()),
        "JYJG_PROXY_API_PORT": str(free_port()),
        STATE_ENV: str(state),
        "JYJG_PROXY": proxy,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])),
        "PYTHONUNBUFFERED": "1",
    }


def run_hub(db_url: str, ip: str = "127.0.0.1", port: int = 8000) -> int:
    if make_url(db_url).get_backend_name() != "postgresql":
        print("多用户模式须使用 PostgreSQL 数据库：--db postgresql+psycopg2://用户:口令@主机/库名"
              "（SQLite 仅供 jyjg serve 单人使用）。", file=sys.stderr)
        return 2
    proxy = find_proxy()
    if proxy is None:
        print("找不到 configurable-http-proxy：请先安装（npm install -g configurable-http-proxy，"
              "或在本项目目录中 npm install configurable-http-proxy）。", file=sys.stderr)
        return 2
    try:
        import jupyterhub  # noqa: F401
        import jupyterhub_idle_culler  # noqa: F401
        import nativeauthenticator  # noqa: F401
    except ImportError:
        print("缺少 JupyterHub：请安装 pip install -e \".[hub]\"。", file=sys.stderr)
        return 2
    with Store(db_url) as store:
        data_dir = store.data_dir.resolve()
        admins = [a for a in Accounts(store).list() if a.account.role is Role.ADMIN and a.account.active]
    if not admins:
        print("提示：还没有管理员账户。请先创建：\n"
              f"  jyjg user add admin --role 管理员 --name 姓名 --password-stdin --db '{db_url}'", file=sys.stderr)
    state = Path(os.environ.get(STATE_ENV) or DEFAULT_STATE).resolve()
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    env = hub_environment(db_url, ip, port, state, data_dir, proxy)
    command = [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG_FILE)]
    child = subprocess.Popen(command, env=env, cwd=state)
    print(f"评审工作台（多用户）正在启动：http://{ip}:{port}/ ；按 Ctrl+C 停止。", flush=True)

    def stop(signum, frame):
        child.send_signal(signal.SIGTERM)

    try:
        signal.signal(signal.SIGTERM, stop)
    except ValueError:
        pass
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGTERM)
        try:
            return child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            return 1
