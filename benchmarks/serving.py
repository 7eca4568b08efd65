"""What the serving benchmarks share: a store of synthetic submissions, a `jyjg serve` (or, for the
baseline, plain Voila as main ran it) in a subprocess, and the server's kernels and memory read from
/proc through psutil."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.iopub import KERNEL_MODULE  # noqa: E402  the dashboard's kernels run it

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
TOKEN = "bench-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill_store(db_url: str, folder: Path, count: int) -> None:
    from shared.rubric import CATEGORY_CITY, CATEGORY_COUNTY, ROSTER
    from shared.store import Store
    from workbench.synthetic import record_synthetic

    names = [u.name for u in ROSTER]
    with Store(db_url) as store:
        for i in range(count):
            name = names[i] if i < len(names) else f"测试单位{i:04d}局"
            category = CATEGORY_COUNTY if i % 5 == 0 and i >= len(names) else CATEGORY_CITY
            record_synthetic(store, folder, name, category=category,
                             scores={"2.2.5": i % 5, "5.1.2": i % 4} if i % 3 else None)


@dataclass
class Snapshot:
    kernels: int
    rss_mb: float  # the server and its kernels, resident
    pss_mb: float  # the same, shared pages counted once


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root] + root.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def snapshot(pid: int) -> Snapshot:
    """The kernels under the server process `pid`, and the memory of the whole tree."""
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return Snapshot(0, 0.0, 0.0)
    kernels, rss, pss = 0, 0, 0
    for proc in _tree(root):
        try:
            if KERNEL_MODULE in proc.cmdline() or "ipykernel_launcher" in proc.cmdline():  # ours, or plain Voila's
                kernels += 1
            info = proc.memory_full_info()
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return Snapshot(kernels, rss / 2**20, pss / 2**20)


def tree_cpu_seconds(pid: int) -> float:
    total = 0.0
    try:
        procs = _tree(psutil.Process(pid))
    except psutil.NoSuchProcess:
        return 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


class Server:
    """`jyjg serve` (ours) or plain Voila configured as on main (baseline), on a free port."""

    def __init__(self, work: Path, db_url: str, *, baseline: bool = False, kernels: int | None = None):
        self.work, self.db_url, self.baseline = work, db_url, baseline
        self.port = free_port()
        self.log = work / f"serve-{'baseline' if baseline else 'ours'}-{self.port}.log"
        env = {**os.environ, "JYJG_DB": db_url, "JYJG_DATA": str(work / "data")}
        if baseline:
            from workbench.server import NOTEBOOK
            config = work / f"baseline-{self.port}"
            config.mkdir()
            (config / "voila.json").write_text(json.dumps(main_voila_config(self.port)), encoding="utf-8")
            command = [sys.executable, "-m", "voila", str(NOTEBOOK), f"--Voila.config_file_paths={config}"]
            env["JYJG_REVIEWER"] = "基准"
        else:
            extra = f", kernels={kernels}" if kernels else ""
            command = [sys.executable, "-c",
                       "import sys; from workbench.server import serve; "
                       f"sys.exit(serve([], port={self.port}, token={TOKEN!r}, db_url={db_url!r}, "
                       f"reviewer='基准'{extra}))"]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(command, cwd=work, stdout=out, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}/?token={TOKEN}"

    @property
    def voila_pid(self) -> int:
        """The Voila process (for ours, the child of `jyjg serve`)."""
        if self.baseline:
            return self.proc.pid
        children = psutil.Process(self.proc.pid).children()
        return children[0].pid if children else self.proc.pid

    def wait_ready(self, pool: int, timeout: float = 300) -> None:
        """Until the port answers and the preheated pool is up and idle."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("服务器未能启动：\n" + self.log.read_text(errors="replace")[-3000:])
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.5)
        self.wait_settled(pool, deadline)

    def wait_settled(self, pool: int, deadline: float) -> None:
        """Until `pool` kernels run and the whole tree has been (almost) idle for two seconds."""
        while time.monotonic() < deadline:
            if snapshot(self.voila_pid).kernels >= pool:
                before = tree_cpu_seconds(self.voila_pid)
                time.sleep(2)
                if tree_cpu_seconds(self.voila_pid) - before < 0.1:
                    return
            else:
                time.sleep(1)

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def main_voila_config(port: int) -> dict:
    """The Voila configuration main's `jyjg serve` wrote (two preheated kernels, culling after 2 h idle)."""
    return {
        "Voila": {"ip": "127.0.0.1", "port": port, "port_retries": 0, "open_browser": False, "token": TOKEN},
        "VoilaConfiguration": {"preheat_kernel": True, "default_pool_size": 2, "show_tracebacks": False,
                               "file_allowlist": [], "file_denylist": [".*"]},
        "MappingKernelManager": {"cull_idle_timeout": 7200, "cull_interval": 300, "cull_connected": False},
    }


def store_in(work: Path, count: int) -> str:
    db_url = f"sqlite:///{work / 'jyjg.db'}"
    os.environ["JYJG_DATA"] = str(work / "data")
    fill_store(db_url, work / "originals", count)
    return db_url


def temporary_folder() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="jyjg-bench-")
