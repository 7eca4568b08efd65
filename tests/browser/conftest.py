"""Browser tests of the reviewer dashboard: one `jyjg serve` (workbench.server.serve in a subprocess)
on a free port with a fresh SQLite store and the demo inbox; Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from .helpers import LOAD_MS, SCREENSHOTS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
TOKEN = "test-token-6b1f"
REVIEWER = "李评审"  # `jyjg serve --reviewer`: the acting person of every page of this server
READY_SECONDS = 180

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@dataclass
class Dashboard:
    base: str
    token: str
    db_url: str
    inbox: Path
    workdir: Path
    log: Path
    pid: int  # the `jyjg serve` process; Voila and the kernels run under it

    @property
    def url(self) -> str:
        return f"{self.base}/?token={self.token}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory) -> Dashboard:
    pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("没有 /usr/bin/chromium")
    from shared.demo import DEMO_DISTRICT, build_demo_inbox, demo_roster_units
    from shared.store import Store

    work = tmp_path_factory.mktemp("dashboard")
    inbox = build_demo_inbox(work / "demo")
    db_url = f"sqlite:///{work / 'jyjg.db'}"
    with Store(db_url) as store:  # the demo's 区县 list, as `jyjg roster` would import it
        store.import_units([(u.name, u.year, u.group) for u in demo_roster_units()], DEMO_DISTRICT)
        load_earlier_year(store, work / "2019")
    port = _free_port()
    log = work / "serve.log"
    code = ("import sys; from workbench.server import serve; "
            f"sys.exit(serve([{str(inbox)!r}], port={port}, token={TOKEN!r}, db_url={db_url!r}, reviewer={REVIEWER!r}))")
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=work, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "JYJG_DATA": str(work / "data")})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_SECONDS
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jyjg serve 退出了：\n{log.read_text(errors='replace')[-3000:]}")
            if "评审工作台已启动" in log.read_text(errors="replace"):
                try:
                    urllib.request.urlopen(f"{base}/login", timeout=5).read()
                    break
                except (urllib.error.URLError, ConnectionError):
                    pass
            if time.monotonic() > deadline:
                pytest.fail("jyjg serve 没有按时启动")
            time.sleep(0.5)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        yield Dashboard(base, TOKEN, db_url, inbox, work, log, proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


EARLIER_UNIT = "市委办公室"  # a demo unit that fills the 能耗折算 sheet from its bills


def load_earlier_year(store, folder: Path) -> None:
    """A 2019 submission of one demo unit, loaded before the 2020 inbox, for the year-over-year view: its
    people grew 20 % over 2018, and its 2019 electricity is not what the 2020 submission gives as its base."""
    from shared.batch import load_paths
    from shared.demo import demo_cases
    from shared.template import write_named_values, write_template

    (case,) = [c for c in demo_cases() if c.org == EARLIER_UNIT]
    values = {k: v for k, v in case.values.items() if not k.startswith(("base_", "use_"))}
    values.update({k.removeprefix("base_"): v for k, v in case.values.items() if k.startswith("base_")})
    values["use_electricity_kwh"] = round(values["use_electricity_kwh"] * 1.04)
    values.update(assess_year=2019, base_headcount=round(values["headcount"] / 1.2),
                  base_floor_area_m2=values["floor_area_m2"], base_water_t=round(values["water_t"] * 1.05),
                  base_energy_tce_typed=round(float(case.values["base_use_electricity_kwh"]) * 0.1229 / 1000 * 1.6, 2))
    folder.mkdir(parents=True)
    template = write_template(folder / "template.xlsx")
    load_paths(store, [write_named_values(template, folder / f"{EARLIER_UNIT}_2019.xlsx", values)])


@pytest.fixture(scope="session")
def chromium_browser():
    """One Playwright and one Chromium for the whole session: Playwright's sync API cannot be started
    twice in one process (every module's pages come from this browser)."""
    pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("没有 /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def browser(dashboard, chromium_browser):
    return chromium_browser


def _block_cdn(context) -> None:
    context.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
    context.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())


@pytest.fixture
def new_context(browser):
    made = []

    def make():
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        # the page's load waits for its kernel to run the notebook: on a busy machine that is more than 30 s
        context.set_default_navigation_timeout(LOAD_MS)
        _block_cdn(context)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()
