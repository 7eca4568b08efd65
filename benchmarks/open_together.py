"""Benchmark: ten reviewers open the workbench at the same moment (a benchmark, not a timed test).

One `jyjg serve` with its preheated pool; ten browser pages (each its own browser context, as ten
people) are sent to it at once. For each page: the time from the request to the list drawn, and to
the page being interactive — a search typed into the list comes back from the page's kernel redrawn.
The baseline, in the same run, is one reviewer opening the page alone. The figures include the
browser's own work: here Chromium shares the machine's cores with the server.

Target: every page interactive in < 5 s with 10 reviewers on 2 cores.

    .venv/bin/python benchmarks/open_together.py [--reviewers 10] [--count 200] [--kernels N]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path

from serving import CHROMIUM, CHROMIUM_ARGS, Server, store_in, temporary_folder

TARGET_S = 5.0
TIMEOUT_MS = 180_000


async def open_one(browser, url: str, start: asyncio.Event) -> tuple[float, float]:
    """(seconds to the drawn list, seconds to an answered search), from the moment of the request."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    await page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
    await start.wait()
    t0 = time.perf_counter()
    await page.goto(url, timeout=TIMEOUT_MS)
    await page.wait_for_selector(".jyjg-list tbody tr", state="attached", timeout=TIMEOUT_MS)
    drawn = time.perf_counter() - t0
    await page.get_by_role("tab", name="申报列表").click()
    await page.locator(".jyjg-search input").fill("财政")
    await page.wait_for_function(
        "() => { const c = document.querySelector('.jyjg-list caption'); return c && c.innerText.includes('符合条件') "
        "&& !document.querySelector('.jyjg-list').innerText.includes('市委办公室'); }", timeout=TIMEOUT_MS)
    answered = time.perf_counter() - t0
    await context.close()
    return drawn, answered


async def together(url: str, reviewers: int) -> list[tuple[float, float]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        start = asyncio.Event()
        tasks = [asyncio.create_task(open_one(browser, url, start)) for _ in range(reviewers)]
        await asyncio.sleep(3)  # every context ready, so the requests leave together
        start.set()
        results = await asyncio.gather(*tasks)
        await browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviewers", type=int, default=10)
    parser.add_argument("--count", type=int, default=200, help="submissions in the store")
    parser.add_argument("--kernels", type=int, default=None, help="preheated kernels (default: jyjg serve's)")
    args = parser.parse_args()
    from workbench.server import PRELOADED_KERNELS

    pool = args.kernels or PRELOADED_KERNELS
    print(f"本机 CPU 核数：{os.cpu_count()}；负载（1 分钟）：{os.getloadavg()[0]:.1f}；预热内核 {pool} 个", flush=True)
    with temporary_folder() as tmp:
        work = Path(tmp)
        db_url = store_in(work, args.count)
        server = Server(work, db_url, kernels=args.kernels)
        try:
            server.wait_ready(pool)
            alone = asyncio.run(together(server.url, 1))[0]
            server.wait_settled(pool, time.monotonic() + 120)
            results = asyncio.run(together(server.url, args.reviewers))
        finally:
            server.stop()
    drawn = sorted(d for d, _ in results)
    answered = sorted(a for _, a in results)
    print(f"一人单独打开：列表画出 {alone[0]:.2f} s，可操作 {alone[1]:.2f} s")
    print(f"{args.reviewers} 人同时打开：列表画出 中位数 {statistics.median(drawn):.2f} s，最慢 {drawn[-1]:.2f} s；"
          f"可操作 中位数 {statistics.median(answered):.2f} s，最慢 {answered[-1]:.2f} s")
    print("各页可操作用时（秒）：" + "、".join(f"{a:.2f}" for a in answered))
    print(f"最慢一页 / 单独打开 = {answered[-1] / alone[1]:.1f} 倍")
    print(f"目标：{args.reviewers} 人同时打开，每页 < {TARGET_S:.0f} s 可操作："
          f"{'达标' if answered[-1] < TARGET_S else '未达标'}")


if __name__ == "__main__":
    main()
