"""Benchmark of the multi-user workbench (`jyjg hub`): page-ready time when accounts log in together,
and memory per active reviewer (a benchmark, not a timed test).

One real `jyjg hub` (JupyterHub, configurable-http-proxy, NativeAuthenticator, one Voila server per
account) on a throwaway PostgreSQL database holding `--count` submissions; Debian's Chromium driven by
Playwright, one browser context per account. Prints, in one run:
  - the baseline: one account logging in alone (time from pressing 登录 to an interactive 申报列表);
  - `--accounts` other accounts pressing 登录 at the same moment: each one's time, the median and the
    slowest, and their ratio to the baseline;
  - where the time goes for the lone account: the Hub's "took N seconds to start" (spawn until the
    server answers) against the whole wait;
  - memory per active reviewer: the proportional set size (PSS, shared pages split fairly) of each
    account's server and its kernels, once every page is ready.

    .venv/bin/python benchmarks/hub_logins.py [--accounts 10] [--count 100]

Needs PostgreSQL binaries (or JYJG_TEST_PG_URL), configurable-http-proxy (scripts/test.sh installs it)
and /usr/bin/chromium.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from shared.accounts import Accounts  # noqa: E402
from shared.rubric import CATEGORY_COUNTY, ROSTER  # noqa: E402
from shared.store import Store  # noqa: E402
from workbench.hub import find_proxy  # noqa: E402
from workbench.iopub import KERNEL_MODULE  # noqa: E402
from workbench.synthetic import record_synthetic  # noqa: E402

PASSWORD = "Bench-hub-pass-2020"
DISTRICT = "赫山区"
READY_SELECTOR = ".jyjg-list"
READY_TIMEOUT_MS = 600_000
SETTLE_SECONDS = 90
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
STARTED = re.compile(r"User (\S+) took ([0-9.]+) seconds to start")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill_store(db_url: str, work: Path, count: int, logins: list[str]) -> None:
    """`count` submissions (a fifth of them 赫山区's) and one account per login, alternating roles."""
    with Store(db_url, data_dir=work / "data") as store:
        county = [f"赫山区测试单位{i:03d}" for i in range(count // 5)]
        store.import_units([(name, 2020, "") for name in county], DISTRICT)
        names = [u.name for u in ROSTER][: count - len(county)]
        for name in names:
            record_synthetic(store, work / "originals", name)
        for name in county:
            record_synthetic(store, work / "originals", name, category=CATEGORY_COUNTY)
        accounts = Accounts(store)
        roles = (("管理员", {}), ("区县审核员", {"district": DISTRICT}), ("评价小组成员", {}))
        for i, login in enumerate(logins):
            role, scope = roles[i % len(roles)]
            accounts.add(login, role, name=f"基准{i}", **scope)
            accounts.set_password(login, PASSWORD)


def start_hub(db_url: str, work: Path) -> tuple[subprocess.Popen, str, Path]:
    port = _free_port()
    log = work / "hub.log"
    env = {**os.environ, "JYJG_DATA": str(work / "data"), "JYJG_HUB_STATE": str(work / "hub-state")}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "shared.cli", "hub", "--db", db_url, "--port", str(port)],
                                cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("jyjg hub 未能启动：\n" + log.read_text(errors="replace")[-3000:])
        try:
            urllib.request.urlopen(f"{base}/hub/login", timeout=5).read()
            return proc, base, log
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)


async def login_and_wait(browser, base: str, login: str, go: asyncio.Event | None = None,
                         steps: dict | None = None) -> float:
    """Seconds from pressing 登录 to the account's 申报列表 being on the page; `steps` gets the moments
    (seconds after pressing 登录) the workbench's page arrived and its kernel's socket opened."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    await context.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
    page = await context.new_page()
    started = 0.0
    if steps is not None:
        def seen(step):
            steps.setdefault(step, time.perf_counter() - started)

        page.on("response", lambda r: r.url.rstrip("/").endswith(f"/user/{login}") and r.status == 200
                and seen("页面 HTML 到达"))
        page.on("domcontentloaded", lambda _: "/user/" in page.url and seen("页面 DOM 就绪"))
        page.on("websocket", lambda ws: seen("内核连接打开"))
    page.set_default_timeout(READY_TIMEOUT_MS)
    await page.goto(f"{base}/hub/login")
    await page.fill("input[name=username]", login)
    await page.fill("input[name=password]", PASSWORD)
    if go is not None:
        await go.wait()
    started = time.perf_counter()
    await page.click("#login_submit", no_wait_after=True)
    await page.wait_for_selector(READY_SELECTOR, state="attached", timeout=READY_TIMEOUT_MS)
    return time.perf_counter() - started


async def logins(base: str, solo: str, together: list[str]) -> tuple[float, list[float], dict, dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        steps: dict[str, float] = {}
        before = cpu_by_kind()
        alone = await login_and_wait(browser, base, solo, steps=steps)
        print("单独登录的各步（按下登录后）：" + "，".join(f"{k} {v:.1f} s" for k, v in steps.items()))
        print("  CPU：" + cpu_text(before, cpu_by_kind()))
        await asyncio.sleep(10)  # the lone account's page settles before the crowd arrives
        go = asyncio.Event()
        crowd_steps = [{} for _ in together]
        waits = [asyncio.create_task(login_and_wait(browser, base, login, go, steps))
                 for login, steps in zip(together, crowd_steps)]
        await asyncio.sleep(3)  # every page has its login form filled
        before = cpu_by_kind()
        go.set()
        crowd = await asyncio.gather(*waits)
        print(f"{len(together)} 个账户同时登录的各步（中位数）：" + "，".join(
            f"{k} {statistics.median(s[k] for s in crowd_steps if k in s):.1f} s" for k in crowd_steps[0]))
        print("  CPU：" + cpu_text(before, cpu_by_kind()))
        at_ready = account_memory()  # CPU spent up to the page being ready
        await asyncio.sleep(SETTLE_SECONDS)  # memory as it stays while the pages are open
        memory = account_memory()
        await browser.close()
    return alone, crowd, at_ready, memory


KINDS = (("jupyterhub", "Hub"), ("configurable-http-proxy", "代理"), ("workbench.hub_server", "各账户服务器"),
         (KERNEL_MODULE, "内核"), ("chromium", "浏览器"), ("postgres", "PostgreSQL"))


# The throwaway PostgreSQL server's folder (main sets it): its processes are ours, though not our children.
OUR_PG_DIR: Path | None = None


def our_processes() -> list:
    """This run's processes only — the machine may be shared: everything started from here (the Hub, the
    proxy, each account's server and kernels, Playwright's Chromium) and the throwaway PostgreSQL server."""
    import psutil

    ours = psutil.Process().children(recursive=True)
    if OUR_PG_DIR is not None:
        for proc in psutil.process_iter(["cmdline"]):
            try:
                if str(OUR_PG_DIR) in " ".join(proc.info["cmdline"] or []):
                    ours += [proc] + proc.children(recursive=True)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
    return ours


def cpu_by_kind() -> dict[str, float]:
    """CPU seconds (user + system) used so far by this run's processes of each kind, the machine's others apart."""
    import psutil

    used: dict[str, float] = {}
    for proc in our_processes():
        try:
            line = " ".join(proc.cmdline())
            kind = next((name for needle, name in KINDS if needle in line), None)
            if kind:
                used[kind] = used.get(kind, 0.0) + sum(proc.cpu_times()[:2])
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return used


def cpu_text(before: dict[str, float], after: dict[str, float]) -> str:
    return "，".join(f"{name} {after.get(name, 0) - before.get(name, 0):.1f} s" for _, name in KINDS)


def account_memory() -> dict[str, tuple[float, int, float, float]]:
    """Each account's workbench server with its kernels: (PSS in MiB, number of kernels, CPU seconds
    of the server, CPU seconds of its kernels)."""
    import psutil

    found: dict[str, tuple[float, int, float, float]] = {}
    for proc in our_processes():
        try:
            if "workbench.hub_server" not in " ".join(proc.cmdline()):
                continue
            login = proc.environ().get("JUPYTERHUB_USER")
            tree = [proc] + proc.children(recursive=True)
            pss = sum(p.memory_full_info().pss for p in tree) / 2**20
            kernel_procs = [p for p in tree if KERNEL_MODULE in p.cmdline()]
            cpu = {p.pid: sum(p.cpu_times()[:2]) for p in tree}
            kernel_cpu = sum(cpu[p.pid] for p in kernel_procs)
            found[login] = (pss, len(kernel_procs), sum(cpu.values()) - kernel_cpu, kernel_cpu)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10, help="accounts logging in together")
    parser.add_argument("--count", type=int, default=100, help="submissions in the store")
    parser.add_argument("--keep-log", type=Path, help="copy the Hub's log (with every server's) here")
    args = parser.parse_args()
    if find_proxy() is None:
        raise SystemExit("没有 configurable-http-proxy：先运行 bash scripts/test.sh 安装。")
    from conftest import PgServer, _start_throwaway_server

    with tempfile.TemporaryDirectory(prefix="jyjg-hub-bench-") as tmp:
        work = Path(tmp)
        pg_dir = Path(tempfile.mkdtemp(prefix="jyjg-pg-"))  # its own folder: PostgreSQL runs as `postgres`
        global OUR_PG_DIR
        OUR_PG_DIR = pg_dir
        url = os.environ.get("JYJG_TEST_PG_URL") or _start_throwaway_server(pg_dir)
        server = PgServer(url)
        db_url = server.new_database()
        solo, together = "solo", [f"user{i:02d}" for i in range(args.accounts)]
        started = time.perf_counter()
        fill_store(db_url, work, args.count, [solo] + together)
        print(f"准备：{args.count} 份申报、{len(together) + 1} 个账户 {time.perf_counter() - started:.1f} s")
        proc, base, log = start_hub(db_url, work)
        try:
            alone, crowd, at_ready, memory = asyncio.run(logins(base, solo, together))
        finally:
            if args.keep_log:
                shutil.copy(log, args.keep_log)
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
            if not os.environ.get("JYJG_TEST_PG_URL"):
                _stop_throwaway_server(pg_dir)
            shutil.rmtree(pg_dir, ignore_errors=True)
        spawn = {m.group(1): float(m.group(2)) for m in STARTED.finditer(log.read_text(errors="replace"))}
        print(f"基线：1 个账户单独登录，到申报列表出现 {alone:.1f} s"
              f"（其中 Hub 启动该账户的服务器 {spawn.get(solo, float('nan')):.1f} s）")
        median, slowest = statistics.median(crowd), max(crowd)
        print(f"{len(crowd)} 个账户同时登录：中位数 {median:.1f} s，最慢 {slowest:.1f} s，"
              f"各账户 {', '.join(f'{t:.0f}' for t in sorted(crowd))} s")
        crowd_spawn = [spawn[login] for login in together if login in spawn]
        if crowd_spawn:
            print(f"  其中 Hub 启动服务器：中位数 {statistics.median(crowd_spawn):.1f} s，最慢 {max(crowd_spawn):.1f} s")
        print(f"比值（同时登录 / 单独登录）：中位数 {median / alone:.2f}，最慢 {slowest / alone:.2f}")
        ready = [at_ready[login] for login in together if login in at_ready]
        if ready:
            print(f"CPU：每个账户从登录到页面就绪，服务器 {statistics.mean(r[2] for r in ready):.1f} s，"
                  f"内核 {statistics.mean(r[3] for r in ready):.1f} s（平均内核数 {statistics.mean(r[1] for r in ready):.1f}）")
        active = [memory[login] for login in together if login in memory]
        if active:
            per = statistics.mean(m[0] for m in active)
            kernels = statistics.mean(m[1] for m in active)
            print(f"内存：登录 {SETTLE_SECONDS} s 后每个在线评审账户（服务器及其内核，PSS）平均 {per:.0f} MiB，"
                  f"最多 {max(m[0] for m in active):.0f} MiB，平均内核数 {kernels:.1f}")


def _stop_throwaway_server(folder: Path) -> None:
    import glob

    pg_ctl = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if (folder / "data" / "postmaster.pid").exists() and pg_ctl:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(as_postgres + [pg_ctl[-1], "-D", str(folder / "data"), "-m", "fast", "-w", "stop"],
                       capture_output=True)


if __name__ == "__main__":
    main()
