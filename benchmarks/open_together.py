"""Benchmark: ten reviewers open the workbench at the same moment (a benchmark, not a timed test).

One `jyjg serve` with its preheated pool. Each reviewer's browser runs on the reviewer's own PC; only the
server shares this machine's two cores. So the ten reviewers are ten clients that send the server exactly
what a page sends (benchmarks/reviewer_client.py: the page, its scripts, the kernel's widget handshake, a
search typed into the list), and one of the ten is a real Chromium page, whose figure is what a reviewer
sees while the nine others load the server. For each: the time from the request to the page drawn
(every widget's state received) and to the page answering (the search comes back filtered).

The baseline, in the same run: one reviewer alone, in Chromium and as a client. `--browsers` runs all ten
as Chromium pages on this machine instead (ten browsers then compete with the server for two cores).

Target: every page interactive in < 5 s with 10 reviewers on 2 cores.

    .venv/bin/python benchmarks/open_together.py [--reviewers 10] [--count 200] [--kernels N] [--browsers]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path

from reviewer_client import open_page, static_assets
from serving import CHROMIUM, CHROMIUM_ARGS, Server, store_in, temporary_folder

TARGET_S = 5.0
TIMEOUT_MS = 180_000
SEARCH, GONE = "财政", "市委办公室"  # a search that keeps 财政局 and drops 市委办公室


async def open_one(browser, url: str, start: asyncio.Event, requested: list[str] | None = None) -> tuple[float, float]:
    """(seconds to the drawn list, seconds to an answered search), from the moment of the request; the
    URLs the page requested are added to `requested`."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    await page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
    if requested is not None:
        page.on("request", lambda r: requested.append(r.url))
    await start.wait()
    t0 = time.perf_counter()
    await page.goto(url, timeout=TIMEOUT_MS)
    await page.wait_for_selector(".jyjg-list tbody tr", state="attached", timeout=TIMEOUT_MS)
    drawn = time.perf_counter() - t0
    await page.get_by_role("tab", name="申报列表").click()
    await page.locator(".jyjg-search input").fill(SEARCH)
    # polled every 100 ms, not every frame: innerText lays the page out, and ten pages doing that 60 times
    # a second would measure the benchmark
    await page.wait_for_function(
        "() => { const c = document.querySelector('.jyjg-list caption'); return c && c.innerText.includes('符合条件') "
        f"&& !document.querySelector('.jyjg-list').innerText.includes('{GONE}'); }}", timeout=TIMEOUT_MS, polling=100)
    answered = time.perf_counter() - t0
    await context.close()
    return drawn, answered


async def together(url: str, browsers: int, clients: int = 0, assets: list[str] | None = None,
                   requested: list[str] | None = None) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """`browsers` Chromium pages and `clients` protocol-level reviewers sent at the same moment; their
    (drawn, answered) seconds, browsers first."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        start = asyncio.Event()
        pages = [asyncio.create_task(open_one(browser, url, start, requested)) for _ in range(browsers)]

        async def client():
            await start.wait()
            opened = await open_page(url, assets or [], SEARCH, GONE, timeout=TIMEOUT_MS / 1000)
            return opened.drawn, opened.answered

        others = [asyncio.create_task(client()) for _ in range(clients)]
        await asyncio.sleep(3)  # every context ready, so the requests leave together
        start.set()
        in_browsers = await asyncio.gather(*pages)
        as_clients = await asyncio.gather(*others)
        await browser.close()
    return in_browsers, as_clients


def settle(server: Server, pool: int) -> None:
    """Until the pool has been refilled (Voila waits fill_delay before starting replacements) and is idle."""
    from workbench.server import REFILL_DELAY_SECONDS

    time.sleep(REFILL_DELAY_SECONDS + 2)
    server.wait_settled(pool, time.monotonic() + 180)


def line(label: str, results: list[tuple[float, float]]) -> None:
    drawn = sorted(d for d, _ in results)
    answered = sorted(a for _, a in results)
    if len(results) == 1:
        print(f"{label}：画出 {drawn[0]:.2f} s，可操作 {answered[0]:.2f} s")
        return
    print(f"{label}：画出 中位数 {statistics.median(drawn):.2f} s，最慢 {drawn[-1]:.2f} s；"
          f"可操作 中位数 {statistics.median(answered):.2f} s，最慢 {answered[-1]:.2f} s"
          f"（各 {'、'.join(f'{a:.2f}' for a in answered)}）")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviewers", type=int, default=10)
    parser.add_argument("--count", type=int, default=200, help="submissions in the store")
    parser.add_argument("--kernels", type=int, default=None, help="preheated kernels (default: jyjg serve's)")
    parser.add_argument("--browsers", action="store_true", help="every reviewer a Chromium page on this machine")
    args = parser.parse_args()
    from workbench.server import PRELOADED_KERNELS

    pool = args.kernels or PRELOADED_KERNELS
    print(f"本机 CPU 核数：{os.cpu_count()}；负载（1 分钟）：{os.getloadavg()[0]:.1f}；预热内核 {pool} 个；"
          f"库中申报 {args.count} 份", flush=True)
    with temporary_folder() as tmp:
        work = Path(tmp)
        db_url = store_in(work, args.count)
        server = Server(work, db_url, kernels=args.kernels)
        try:
            server.wait_ready(pool)
            requested: list[str] = []
            alone_browser = asyncio.run(together(server.url, 1, requested=requested))[0]
            assets = static_assets(requested, server.url.split("/?", 1)[0])
            settle(server, pool)
            alone_client = asyncio.run(together(server.url, 0, 1, assets))[1]
            settle(server, pool)
            if args.browsers:
                in_browsers, as_clients = asyncio.run(together(server.url, args.reviewers))
            else:
                in_browsers, as_clients = asyncio.run(together(server.url, 1, args.reviewers - 1, assets))
        finally:
            server.stop()
    print(f"每个页面加载 {len(assets)} 个脚本、样式和字体文件")
    line("一人单独打开，Chromium", alone_browser)
    line("一人单独打开，服务器所见（协议客户端）", alone_client)
    everyone = in_browsers + as_clients
    if args.browsers:
        line(f"{args.reviewers} 人同时打开，都是本机 Chromium", in_browsers)
    else:
        line(f"{args.reviewers} 人同时打开，其中 {len(as_clients)} 人为协议客户端", as_clients)
        line(f"{args.reviewers} 人同时打开，其中 1 人为 Chromium", in_browsers)
    slowest = max(a for _, a in everyone)
    print(f"最慢一页 / 单独打开（Chromium）= {slowest / alone_browser[0][1]:.1f} 倍")
    print(f"目标：{args.reviewers} 人同时打开，每页 < {TARGET_S:.0f} s 可操作（最慢 {slowest:.2f} s）："
          f"{'达标' if slowest < TARGET_S else '未达标'}")


if __name__ == "__main__":
    main()
