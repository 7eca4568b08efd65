"""Benchmark of the reviewer dashboard with 1,000 submissions (a benchmark, not a timed test).

Prints:
  - the kernel side: building the page's data, and one list filter (widgets → filtered, sorted, paged
    HTML table), against a naive baseline measured in the same run (re-read the store and draw every
    matching row on each filter);
  - the browser side (Debian's Chromium via Playwright, `jyjg serve` in a subprocess): time from the
    page request to an interactive table, and from typing a search to the redrawn table.
Targets: page < 10 s, filter < 0.3 s.

    /tmp/venv/bin/python benchmarks/dashboard.py [--count 1000] [--no-browser]
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.rubric import CATEGORY_CITY, CATEGORY_COUNTY, ROSTER  # noqa: E402
from shared.store import Store  # noqa: E402
from workbench import listing  # noqa: E402
from shared.scoped_store import ScopedStore  # noqa: E402
from workbench.identity import local_account  # noqa: E402
from workbench.synthetic import record_synthetic  # noqa: E402

PAGE_TARGET_S = 10.0
FILTER_TARGET_S = 0.3
SEARCHES = ("财政", "教育", "局", "测试单位05", "无此单位", "")


def fill_store(store: Store, folder: Path, count: int) -> None:
    names = [u.name for u in ROSTER]
    for i in range(count):
        name = names[i] if i < len(names) else f"测试单位{i:04d}局"
        category = CATEGORY_COUNTY if i % 5 == 0 and i >= len(names) else CATEGORY_CITY
        scores = {"2.2.5": i % 5, "5.1.2": i % 4} if i % 3 else None
        record_synthetic(store, folder, name, category=category, scores=scores)


def naive_filter(store: Store, year: int, search: str) -> str:
    """What a first attempt does: read everything again and draw every matching row."""
    rows = listing.make_rows(store.versions(), store.units(), year)
    query = listing.ListQuery(search=search, page_size=10**6)
    matched = listing.sort_rows(listing.filter_rows(rows, query), query.sort)
    return listing.render_table(matched, query, len(matched), len(rows))


def kernel_side(db_url: str) -> None:
    from workbench.app import Workbench

    started = time.perf_counter()
    bench = Workbench(ScopedStore(Store(db_url), local_account("基准测试")))
    built = time.perf_counter() - started
    screen = bench.screen("list")
    print(f"内核：读取 {len(screen.rows)} 份申报并画出总览和列表 {built:.3f} s")

    def timed(action) -> float:
        t = time.perf_counter()
        action()
        return time.perf_counter() - t

    ours = [timed(lambda s=s: setattr(screen.search, "value", s)) for s in SEARCHES * 3]
    naive = [timed(lambda s=s: naive_filter(bench.store, bench.year, s)) for s in SEARCHES * 3]
    sort = [timed(lambda k=k: setattr(bench.action, "value", f"sort:{k}:{i}"))
            for i, k in enumerate(("rescored", "state", "unit", "errors") * 3)]
    ours_ms, naive_ms = statistics.median(ours), statistics.median(naive)
    print(f"内核：一次筛选（中位数）{ours_ms * 1000:.1f} ms，最慢 {max(ours) * 1000:.1f} ms；"
          f"基线（每次重读数据库并画出全部行）{naive_ms * 1000:.1f} ms；快 {naive_ms / ours_ms:.1f} 倍")
    print(f"内核：一次排序（中位数）{statistics.median(sort) * 1000:.1f} ms")
    verdict = "达标" if max(ours) < FILTER_TARGET_S else "未达标"
    print(f"筛选目标 < {FILTER_TARGET_S} s：{verdict}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browser_side(db_url: str, work: Path) -> None:
    from playwright.sync_api import sync_playwright

    port, token = _free_port(), "bench-token"
    log = work / "serve.log"
    code = ("import sys; from workbench.server import serve; "
            f"sys.exit(serve([], port={port}, token={token!r}, db_url={db_url!r}))")
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=work, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while "评审工作台已启动" not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("jyjg serve 未能启动：\n" + log.read_text(errors="replace")[-2000:])
            time.sleep(0.3)
        time.sleep(8)  # let the preheated kernels finish running the notebook
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
            started = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/?token={token}")
            page.wait_for_selector(".jyjg-list tbody tr .jyjg-open-link", state="attached", timeout=120_000)
            loaded = time.perf_counter() - started
            page.get_by_role("tab", name="申报列表").click()
            page.wait_for_selector(".jyjg-list", state="visible")
            times = []
            for i, search in enumerate(("财政", "教育局", "测试单位01", "局")):
                caption = page.locator(".jyjg-list").inner_text()
                t = time.perf_counter()
                page.locator(".jyjg-search input").fill(search)
                try:
                    page.wait_for_function(
                        "old => { const c = document.querySelector('.jyjg-list'); return c && c.innerText !== old; }",
                        arg=caption, timeout=30_000)
                except Exception:
                    page.screenshot(path=str(Path(tempfile.gettempdir()) / "jyjg-bench-failed.png"))
                    raise
                times.append(time.perf_counter() - t)
            browser.close()
        print(f"浏览器：从请求页面到可操作的表格 {loaded:.2f} s（目标 < {PAGE_TARGET_S} s："
              f"{'达标' if loaded < PAGE_TARGET_S else '未达标'}）")
        print(f"浏览器：输入搜索到表格重画（含网络往返）中位数 {statistics.median(times) * 1000:.0f} ms，"
              f"最慢 {max(times) * 1000:.0f} ms（目标 < {FILTER_TARGET_S} s："
              f"{'达标' if max(times) < FILTER_TARGET_S else '未达标'}）")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jyjg-bench-") as tmp:
        work = Path(tmp)
        os.environ["JYJG_DATA"] = str(work / "data")
        db_url = f"sqlite:///{work / 'jyjg.db'}"
        started = time.perf_counter()
        with Store(db_url) as store:
            fill_store(store, work / "originals", args.count)
        print(f"准备：记入 {args.count} 份申报 {time.perf_counter() - started:.1f} s")
        kernel_side(db_url)
        if not args.no_browser:
            browser_side(db_url, work)


if __name__ == "__main__":
    main()
