"""Benchmark: 50 page loads and ends, then the server's kernels and memory (a benchmark, not a timed test).

Each of the 50 loads ends as a reviewer ends one: 20 by closing the tab, 20 by reloading the page
(the reload is the next load), 10 by the browser vanishing without a word (a laptop lid, a crash),
which only the server's culling can clean up. Afterwards the kernels and the memory of the server and
its kernels are sampled until they are back to the preheated pool, or the wait is up.

The same run does it to main's server configuration too (plain Voila: the page's shutdown request
is refused for want of the `_xsrf` cookie, idle kernels culled after 2 h), as the baseline.
Target: back to the preheated pool within minutes.

    .venv/bin/python benchmarks/kernels.py [--count 200] [--wait 300] [--no-baseline]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from serving import CHROMIUM, CHROMIUM_ARGS, Server, snapshot, store_in, temporary_folder

LOADS = 50
VANISHED = 10  # of the 50, ended by the browser disappearing
LIST_MS = 120_000


def wait_list(page) -> None:
    page.wait_for_selector(".jyjg-list tbody tr", state="attached", timeout=LIST_MS)


def fifty_loads(browser, url: str) -> None:
    """20 closed, 20 reloaded (each reload is itself one of the loads), 10 vanished."""
    loads = 0
    while loads < LOADS - VANISHED:
        context = browser.new_context()
        page = context.new_page()
        page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
        page.goto(url, timeout=LIST_MS)
        wait_list(page)
        loads += 1
        page.reload(timeout=LIST_MS)  # ends the load above by reloading
        wait_list(page)
        loads += 1
        page.close(run_before_unload=True)  # ends this one by closing the tab
        context.close()
    for _ in range(VANISHED):  # a browser that disappears sends nothing
        context = browser.new_context()
        page = context.new_page()
        page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
        page.goto(url, timeout=LIST_MS)
        wait_list(page)
        context.close()


def run(server: Server, pool: int, wait: float, label: str) -> dict:
    from playwright.sync_api import sync_playwright

    server.wait_ready(pool)
    before = snapshot(server.voila_pid)
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        fifty_loads(browser, server.url)
        browser.close()
    took = time.monotonic() - started
    right_after = snapshot(server.voila_pid)
    print(f"[{label}] 50 次打开用时 {took:.0f} s；之前：内核 {before.kernels} 个，内存 {before.pss_mb:.0f} MB（PSS）；"
          f"刚结束：内核 {right_after.kernels} 个，内存 {right_after.pss_mb:.0f} MB", flush=True)
    samples, back_at = [], None
    ended = time.monotonic()
    while time.monotonic() - ended < wait:
        time.sleep(10)
        now = snapshot(server.voila_pid)
        samples.append((time.monotonic() - ended, now))
        if now.kernels <= before.kernels and back_at is None:
            back_at = time.monotonic() - ended
            server.wait_settled(pool, time.monotonic() + 60)  # the pool refilled and idle again
            break
    final = snapshot(server.voila_pid)
    shown = "，".join(f"{t:.0f} s：{s.kernels} 个" for t, s in samples[::3] + samples[-1:])
    print(f"[{label}] 之后内核数：{shown}", flush=True)
    back = f"{back_at:.0f} s 后回到预热池（{before.kernels} 个）" if back_at is not None else f"{wait:.0f} s 内未回到预热池"
    print(f"[{label}] 最终：内核 {final.kernels} 个（预热池 {before.kernels} 个），内存 {final.pss_mb:.0f} MB（PSS；"
          f"之前 {before.pss_mb:.0f} MB，比值 {final.pss_mb / before.pss_mb:.2f}）；{back}", flush=True)
    return {"before": before, "after": final, "back_at": back_at}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="submissions in the store")
    parser.add_argument("--wait", type=float, default=300, help="seconds to watch the kernels afterwards")
    parser.add_argument("--no-baseline", action="store_true", help="skip main's configuration")
    args = parser.parse_args()
    from workbench.server import PRELOADED_KERNELS

    with temporary_folder() as tmp:
        work = Path(tmp)
        db_url = store_in(work, args.count)
        results = {}
        for label, baseline, pool in (("本分支 jyjg serve", False, PRELOADED_KERNELS), ("基线：main 的配置", True, 2)):
            if baseline and args.no_baseline:
                continue
            server = Server(work, db_url, baseline=baseline)
            try:
                results[label] = run(server, pool, args.wait, label)
            finally:
                server.stop()
        ours = results["本分支 jyjg serve"]
        verdict = "达标" if ours["back_at"] is not None else "未达标"
        print(f"目标：页面关闭、刷新或消失后几分钟内回到预热池：{verdict}")
        if len(results) == 2:
            base = results["基线：main 的配置"]
            print(f"剩余内核：本分支 {ours['after'].kernels} 个，基线 {base['after'].kernels} 个；"
                  f"内存：本分支 {ours['after'].pss_mb:.0f} MB，基线 {base['after'].pss_mb:.0f} MB"
                  f"（基线 / 本分支 = {base['after'].pss_mb / ours['after'].pss_mb:.1f} 倍）")


if __name__ == "__main__":
    main()
