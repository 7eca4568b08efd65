"""Multi-user mode for real: `jyjg hub` (JupyterHub, configurable-http-proxy, NativeAuthenticator) on a
fresh PostgreSQL database, driven by Playwright with Debian's Chromium.

An administrator, a 评价小组成员, two 区县审核员 of different districts and a 创建单位 log in, each sees
exactly its scope and only the tabs it can use; a 区县审核员 runs its district's whole year (初审 → 核定 →
实地验收 → 年度备案) and the city 抽查s from it, every decision's audit row naming the logged-in account;
the administrator makes an account in 用户管理 that logs in, and disables it; a closed page's kernel is
shut down; five wrong passwords lock an account, and the Chinese login page says so; a request without
login gets no data; a 区县 account reaches another district's unit neither by URL, nor by widget state,
nor by a message it sends to its own kernel. One Hub serves the whole module.
"""
from __future__ import annotations

import json
import os
import random
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

pytest.importorskip("jupyterhub")
pytest.importorskip("playwright.sync_api")
from playwright.sync_api import expect  # noqa: E402

from shared.accounts import Accounts  # noqa: E402
from shared.store import Store  # noqa: E402
from workbench.hub import find_proxy  # noqa: E402
from workbench.iopub import KERNEL_MODULE  # noqa: E402

from .conftest import CHROMIUM  # noqa: E402
from .helpers import LOAD_MS, STEP_MS, open_unit, shot, tab  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

CITY_UNITS = ("市委办公室", "市委宣传部")
HESHAN_UNITS = ("赫山区机关事务服务中心", "赫山区发展和改革局")
ZIYANG_UNITS = ("资阳区财政局", "资阳区教育局")
ALL_UNITS = CITY_UNITS + HESHAN_UNITS + ZIYANG_UNITS
PASSWORD = "Jyjg-test-pass-2020"
# login: (role, scope arguments, display name, the units its list must hold)
ACCOUNTS = {
    "admin": ("管理员", {}, "局长甲", ALL_UNITS),
    "group": ("评价小组成员", {}, "组员乙", ALL_UNITS),
    "heshan": ("区县审核员", {"district": "赫山区"}, "赫山丙", HESHAN_UNITS),
    "ziyang": ("区县审核员", {"district": "资阳区"}, "资阳丁", ZIYANG_UNITS),
    "swbgs": ("创建单位", {"unit": "市委办公室"}, "市委办戊", ("市委办公室",)),
    "locked": ("只读", {}, "只读己", ALL_UNITS),
}
READY_SECONDS = 120
KERNEL_IDLE_SECONDS = 45  # a closed page's kernel goes after this (3 minutes by default); longer than a slow page takes to connect
ALL_TABS = ["总览", "申报列表", "详情", "决定", "核定", "能耗数据更正", "评审意见交流", "上传", "年度备案", "抽查", "导出",
            "用户管理"]
REVIEWING = ALL_TABS[:8]
TABS = {"admin": ALL_TABS, "group": REVIEWING, "heshan": REVIEWING + ["年度备案"], "ziyang": REVIEWING + ["年度备案"],
        "swbgs": ["总览", "申报列表", "详情", "决定", "上传"], "locked": ["总览", "申报列表", "详情", "决定"]}


@dataclass
class Hub:
    base: str
    db_url: str
    work: Path
    log: Path

    def store(self) -> Store:
        return Store(self.db_url, data_dir=self.work / "data")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _inbox(folder: Path) -> Path:
    """Six submissions: two 市直 units, two of 赫山区, two of 资阳区 (the demo's own workbooks)."""
    from shared.demo import _county_case, demo_cases, write_case
    from shared.rubric import RUBRIC
    from shared.template import write_template

    inbox, scratch = folder / "收件箱", folder / "scratch"
    inbox.mkdir(parents=True)
    scratch.mkdir()
    template = scratch / "自评表.xlsx"
    write_template(template)
    cases = [c for c in demo_cases() if c.org in CITY_UNITS + HESHAN_UNITS and c.problem is None]
    rng = random.Random(12)
    for i, name in enumerate(ZIYANG_UNITS):
        case = _county_case(rng, name, i)
        for rid, text in case.extra.pop("evidence_cells").items():
            case.values.setdefault(RUBRIC.rule(rid).evidence_name, text)
        cases.append(case)
    for case in cases:
        write_case(case, inbox, template, scratch)
    return inbox


@pytest.fixture(scope="module")
def hub(pg_server, tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip("没有 /usr/bin/chromium")
    if find_proxy() is None:
        pytest.skip("没有 configurable-http-proxy（scripts/test.sh 会安装）")
    from shared.batch import load_paths
    from shared.demo import DEMO_DISTRICT, demo_roster_units

    work = tmp_path_factory.mktemp("hub")
    db_url = pg_server.new_database()
    with Store(db_url, data_dir=work / "data") as store:
        store.import_units([(u.name, u.year, u.group) for u in demo_roster_units()], DEMO_DISTRICT)
        store.import_units([(name, 2020, "") for name in ZIYANG_UNITS], "资阳区")
        assert len(load_paths(store, [_inbox(work / "demo")], by="演示")) == len(ALL_UNITS)
        accounts = Accounts(store)
        for login, (role, scope, name, _) in ACCOUNTS.items():
            accounts.add(login, role, name=name, **scope)
            accounts.set_password(login, PASSWORD)
    port = _free_port()
    log = work / "hub.log"
    env = {**os.environ, "JYJG_DATA": str(work / "data"), "JYJG_HUB_STATE": str(work / "hub-state"),
           "JYJG_KERNEL_IDLE_SECONDS": str(KERNEL_IDLE_SECONDS)}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "shared.cli", "hub", "--db", db_url, "--port", str(port)],
                                cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jyjg hub 退出了：\n{log.read_text(errors='replace')[-3000:]}")
            try:
                urllib.request.urlopen(f"{base}/hub/login", timeout=5).read()
                break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("jyjg hub 没有按时启动")
            time.sleep(0.5)
        yield Hub(base, db_url, work, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        pg_server.drop_database(db_url)


@pytest.fixture(scope="module")
def chromium(hub, chromium_browser):
    return chromium_browser  # the session's one browser (conftest.py): Playwright starts once per process


def _context(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    context.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
    return context


def _submit_login(page, hub: Hub, login: str, password: str) -> None:
    page.goto(f"{hub.base}/hub/login")
    page.fill("input[name=username]", login)
    page.fill("input[name=password]", password)
    page.locator("form").locator("input[type=submit], button[type=submit]").first.click()


@pytest.fixture(scope="module")
def pages(hub, chromium):
    """Every account but `locked` logged in at once, each in its own browser context."""
    opened = {}
    for login in ACCOUNTS:
        if login == "locked":
            continue
        page = _context(chromium).new_page()
        _submit_login(page, hub, login, PASSWORD)
        opened[login] = page
    for page in opened.values():
        page.wait_for_selector(".jyjg-list", state="attached", timeout=LOAD_MS * 2)
    yield opened
    for page in opened.values():
        page.context.close()


def _listed(page) -> str:
    tab(page, "申报列表")
    return page.locator(".jyjg-table-box").inner_text()


def _tabs(page) -> list[str]:
    return [t.strip() for t in page.get_by_role("tab").all_inner_texts()]


@pytest.mark.parametrize("login", [a for a in ACCOUNTS if a != "locked"])
def test_each_account_sees_exactly_its_scope_and_its_tabs(pages, login):
    page = pages[login]
    role, scope, name, visible = ACCOUNTS[login]
    expect(page.locator(".jyjg-actor-box")).to_contain_text(f"{name}（{login}）")
    expect(page.locator(".jyjg-actor-box")).to_contain_text(role)
    assert _tabs(page) == TABS[login]
    listed = _listed(page)
    assert {u for u in ALL_UNITS if u in listed} == set(visible)
    tab(page, "总览")
    shot(page, f"hub_{role}_{login}")


def _decide(page, stage_css: str, outcome: str, opinion: str = "") -> None:
    tab(page, "决定")
    page.locator(f".jyjg-{stage_css}-outcome").get_by_role("button", name=outcome, exact=True).click()
    if opinion:
        page.locator(f".jyjg-{stage_css}-opinion textarea").fill(opinion)
    page.locator(f".jyjg-{stage_css}-save").click()
    expect(page.locator(".jyjg-decide-message")).to_contain_text("已保存", timeout=STEP_MS)


def _verify_every_item(page) -> None:
    from shared.rubric import RUBRIC

    tab(page, "核定")
    items = [item for item in RUBRIC.items if any(not r.computed for r in item.rules)]
    for item in items:
        page.locator(f".jyjg-confirm-{item.key}").click()
        expect(page.locator(".jyjg-verify-message")).to_contain_text(f"项目 {item.id} 已确认", timeout=STEP_MS)
    expect(page.locator(".jyjg-verify-message")).to_contain_text("尚未核定 0 条")


def test_a_district_runs_its_whole_year_and_the_city_samples_from_it(hub, pages):
    """初审 → 核定 → 实地验收 → 年度备案 by 赫山区's reviewer, in the browser; then the city's 抽查."""
    page = pages["heshan"]
    passing, returned = HESHAN_UNITS
    open_unit(page, passing)
    _decide(page, "review", "通过")
    shot(page, "hub_区县审核员_初审")
    _verify_every_item(page)
    shot(page, "hub_区县审核员_核定")
    _decide(page, "site", "通过", "现场核查属实，同意验收通过。")
    expect(page.locator(".jyjg-current-box").first).to_contain_text("验收通过")
    open_unit(page, returned)
    tab(page, "年度备案")
    page.locator(".jyjg-file-district").click()  # refused: a unit still awaits 初审
    expect(page.locator(".jyjg-filing-message")).to_contain_text(f"{returned}（待初审）", timeout=STEP_MS)
    _decide(page, "review", "退回补正", "请补充节能领导小组文件。")
    tab(page, "年度备案")
    expect(page.locator(".jyjg-filing-box")).to_contain_text("退回补正", timeout=STEP_MS)
    page.locator(".jyjg-file-district").click()
    expect(page.locator(".jyjg-filing-message")).to_contain_text("赫山区 2020 年度创建总体情况已备案", timeout=STEP_MS)
    expect(page.locator(".jyjg-filing-status")).to_contain_text("由 赫山丙（heshan） 备案")
    shot(page, "hub_区县审核员_年度备案")
    with hub.store() as store:
        for unit in HESHAN_UNITS:
            version = store.versions(unit, 2020)[-1]
            assert {d.reviewer for d in store.decisions(version.id)} == {"赫山丙（heshan）"}
        passed = store.versions(passing, 2020)[-1]
        assert [d.stage for d in store.decisions(passed.id)] == ["初审", "实地验收"]
        assert {a.actor for a in store.audit_log(passed.id) if a.action != "recorded"} == {"赫山丙（heshan）"}
        assert [a.actor for a in store.audit_log() if a.action == "district_filed"] == ["赫山丙（heshan）"]

    city = pages["admin"]
    tab(city, "抽查")
    districts = city.locator(".jyjg-sample-districts")
    expect(districts).to_contain_text("已备案", timeout=STEP_MS)
    expect(districts.locator("tr", has_text="资阳区")).to_contain_text("未备案")
    city.locator(".jyjg-sample-draw-button").click()
    expect(city.locator(".jyjg-sample-message")).to_contain_text("已从 1 个已备案的区县（市）抽取 1 家单位", timeout=STEP_MS)
    expect(city.locator(".jyjg-sample-draw")).to_contain_text(passing)
    shot(city, "hub_管理员_抽查")
    with hub.store() as store:
        assert [(e.district, e.unit.name) for e in store.sample(2020)] == [("赫山区", passing)]
        assert [a.actor for a in store.audit_log() if a.action == "sample_drawn"] == ["局长甲（admin）"]


def test_the_unit_account_sees_its_findings_and_decisions_but_no_forms(hub, pages):
    page = pages["swbgs"]
    open_unit(page, "市委办公室")
    tab(page, "决定")
    expect(page.locator(".jyjg-history")).to_contain_text("操作记录", timeout=STEP_MS)  # the tab is drawn
    assert page.locator(".jyjg-review-save").count() == 0 and page.locator(".jyjg-site-save").count() == 0
    shot(page, "hub_创建单位_决定")


def test_a_group_member_sees_a_district_units_forms_inactive_with_the_reason(pages):
    page = pages["group"]
    open_unit(page, ZIYANG_UNITS[0])
    tab(page, "决定")
    # a forged click is refused by the store all the same (the widget-state tests below)
    expect(page.locator(".jyjg-review-state")).to_contain_text("对区县（市）单位只能查看", timeout=STEP_MS)
    expect(page.locator(".jyjg-review-save")).to_be_disabled()
    expect(page.locator(".jyjg-site-save")).to_be_disabled()


def test_evidence_opens_through_the_accounts_own_file_route(hub, pages):
    """The file route is this account's server's, behind the Hub's login; without it the viewer is empty."""
    page = pages["heshan"]
    open_unit(page, HESHAN_UNITS[1])
    page.locator(".jyjg-evidence-link").first.click()
    link = page.locator(".jyjg-viewer a.jyjg-evidence-file")
    expect(link).to_be_attached(timeout=STEP_MS)
    href = link.get_attribute("href")
    assert href.startswith("/user/heshan/jyjg/files/")
    answer = page.request.get(hub.base + href)
    assert answer.status == 200 and len(answer.body()) > 0
    assert answer.headers["content-type"] in ("application/pdf", "image/png", "image/jpeg") or \
        answer.headers["content-disposition"].startswith("attachment;")
    stranger_context = _context(page.context.browser)
    stranger = stranger_context.request.get(hub.base + href, max_redirects=0)
    assert stranger.status in (302, 403) and answer.body()[:64] not in stranger.body()
    stranger_context.close()
    shot(page, "hub_区县审核员_佐证材料")


def _version_id(hub: Hub, unit: str) -> int:
    with hub.store() as store:
        return store.versions(unit, 2020)[-1].id


def _refusals(hub: Hub, login: str) -> int:
    with hub.store() as store:
        return sum(1 for a in store.audit_log() if a.action == "refused" and a.after.get("account") == login)


def test_another_districts_unit_is_refused_through_widget_state(hub, pages):
    page = pages["heshan"]
    before = _refusals(hub, "heshan")
    target = _version_id(hub, ZIYANG_UNITS[0])
    # what the page's own table links do, with a version of 资阳区
    page.locator(".jyjg-action input").evaluate(
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true}));"
        " el.dispatchEvent(new Event('change', {bubbles: true})); }", f"open:{target}:forged")
    expect(page.locator(".jyjg-root")).to_contain_text("不在本区县（市）范围内", timeout=STEP_MS)
    assert ZIYANG_UNITS[0] not in page.locator(".jyjg-current-box").first.inner_text()
    assert _refusals(hub, "heshan") == before + 1


KERNEL_ATTACK = """
async ([wsUrl, forged, marker]) => {
  const ws = new WebSocket(wsUrl);
  const got = [];
  ws.onmessage = (e) => got.push(JSON.parse(e.data));
  await new Promise((ok, bad) => { ws.onopen = ok; ws.onerror = bad; });
  const msg = (type, content, channel='shell') => ({channel, header: {msg_id: crypto.randomUUID(), username: 'x',
      session: 's', msg_type: type, version: '5.3', date: new Date().toISOString()}, parent_header: {}, metadata: {},
      content, buffers: []});
  ws.send(JSON.stringify(msg('execute_request', {code: `open(${JSON.stringify(marker)}, 'w').write('x')`,
      silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true})));
  ws.send(JSON.stringify(msg('inspect_request', {code: 'import os', cursor_pos: 9, detail_level: 1})));
  ws.send(JSON.stringify(msg('comm_info_request', {})));
  await new Promise((ok) => setTimeout(ok, 3000));
  const info = got.find((m) => m.header && m.header.msg_type === 'comm_info_reply');
  const comms = info ? Object.keys(info.content.comms) : [];
  for (const id of comms) {   // set every widget's value to the forged click: only the action box takes it
    ws.send(JSON.stringify(msg('comm_msg', {comm_id: id, data: {method: 'update', state: {value: forged},
        buffer_paths: []}})));
  }
  await new Promise((ok) => setTimeout(ok, 4000));
  ws.close();
  return {types: got.map((m) => m.header && m.header.msg_type), comms: comms.length};
}
"""


def test_another_districts_unit_is_refused_through_kernel_messages_and_code_never_runs(hub, pages, tmp_path):
    page = pages["heshan"]
    config = json.loads(page.locator("#jupyter-config-data").text_content())
    kernel = config["kernelId"]
    ws_url = hub.base.replace("http", "ws", 1) + f"/user/heshan/api/kernels/{kernel}/channels"
    marker = tmp_path / "code-ran"
    before = _refusals(hub, "heshan")
    seen = page.evaluate(KERNEL_ATTACK, [ws_url, f"open:{_version_id(hub, ZIYANG_UNITS[1])}:kernel", str(marker)])
    assert seen["comms"] > 10  # the socket is real: widget messages went through
    assert "execute_reply" not in seen["types"] and "inspect_reply" not in seen["types"]
    assert "comm_info_reply" in seen["types"]
    assert not marker.exists()
    assert _refusals(hub, "heshan") > before
    assert ZIYANG_UNITS[1] not in page.locator(".jyjg-current-box").first.inner_text()


def test_another_accounts_workbench_is_refused_by_url(hub, pages):
    page = pages["heshan"].context.new_page()
    page.goto(f"{hub.base}/user/ziyang/")
    page.wait_for_load_state("networkidle")
    body = page.inner_text("body")
    assert page.locator(".jyjg-root").count() == 0
    assert not any(u in body for u in ZIYANG_UNITS)
    page.close()


def test_without_login_no_data(hub):
    for path in ("/user/heshan/", "/user/admin/", "/user/heshan/api/kernels", "/hub/api/users", "/user/heshan/voila/files/x",
                 "/user/heshan/jyjg/files/x.y"):
        try:
            with urllib.request.urlopen(hub.base + path, timeout=15) as answer:
                body, final = answer.read().decode("utf-8", "replace"), answer.geturl()
        except urllib.error.HTTPError as refused:
            body, final = refused.read().decode("utf-8", "replace"), path
            assert refused.code in (401, 403, 404)
        else:
            assert "/hub/login" in final
        assert not any(u in body for u in ALL_UNITS) and "jyjg-root" not in body


TERMINAL_ATTACK = """
async (url) => await new Promise((done) => {
  const ws = new WebSocket(url);
  ws.onopen = () => { ws.close(); done('open'); };
  ws.onerror = () => done('refused');
  setTimeout(() => done('timeout'), 10000);
})
"""


def test_a_reviewer_reaches_no_jupyterlab_terminal_files_or_new_kernel(hub, pages):
    """Logged in, with the account's own cookies: only the workbench, never a place to type code."""
    page = pages["heshan"]
    request = page.context.request
    xsrf = {c["name"]: c["value"] for c in page.context.cookies()}.get("_xsrf", "")
    for path in ("lab", "tree", "notebooks/workbench.ipynb", "terminals/1", "api/contents", "api/terminals",
                 "api/sessions", "api/kernelspecs", "api/kernels", "voila/files/workbench.ipynb"):
        answer = request.get(f"{hub.base}/user/heshan/{path}")
        body = answer.text()
        assert answer.status in (403, 404, 405), (path, answer.status)
        assert "JupyterLab" not in body and "jyjg-root" not in body and '"kernelId"' not in body, path
    kernels = _kernels_of("heshan")
    for path, payload in (("api/kernels", {"name": "python3"}), ("api/sessions", {"path": "x.ipynb", "type": "notebook"}),
                          ("api/terminals", {})):
        answer = request.post(f"{hub.base}/user/heshan/{path}", data=json.dumps(payload),
                              headers={"X-XSRFToken": xsrf, "Content-Type": "application/json"})
        assert answer.status in (403, 404, 405), (path, answer.status)
    assert _kernels_of("heshan") == kernels  # no kernel was started for the asking
    ws_base = hub.base.replace("http", "ws", 1)
    assert page.evaluate(TERMINAL_ATTACK, f"{ws_base}/user/heshan/terminals/websocket/1") == "refused"
    assert request.get(f"{hub.base}/hub/admin").status == 403  # nobody is a Hub administrator


def _kernels_of(login: str) -> int:
    import psutil

    found = 0
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if KERNEL_MODULE in (proc.info["cmdline"] or []) and proc.environ().get("JUPYTERHUB_USER") == login:
                found += 1
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def test_the_administrator_makes_an_account_that_logs_in_and_disables_it(hub, pages, chromium):
    admin = pages["admin"]
    tab(admin, "用户管理")
    admin.locator(".jyjg-account-login input").fill("newbie")
    admin.locator(".jyjg-account-name input").fill("新来的庚")
    admin.locator(".jyjg-account-role select").select_option("只读")
    admin.locator(".jyjg-account-password input").fill("Newbie-pass-2020")
    admin.locator(".jyjg-account-save").click()
    expect(admin.locator(".jyjg-accounts-message")).to_contain_text("已设置密码，可以登录", timeout=STEP_MS)
    expect(admin.locator(".jyjg-account-table tr", has_text="newbie")).to_contain_text("已设置")
    shot(admin, "hub_管理员_用户管理")

    context = _context(chromium)
    page = context.new_page()
    _submit_login(page, hub, "newbie", "Newbie-pass-2020")
    page.wait_for_selector(".jyjg-list", state="attached", timeout=LOAD_MS * 2)
    assert _tabs(page) == TABS["locked"]  # 只读
    expect(page.locator(".jyjg-actor-box")).to_contain_text("新来的庚（newbie）")
    open_unit(page, HESHAN_UNITS[0])
    tab(page, "决定")
    expect(page.locator(".jyjg-history")).to_contain_text("操作记录", timeout=STEP_MS)  # the tab is drawn
    assert page.locator(".jyjg-review-save").count() == 0
    shot(page, "hub_只读_决定")
    assert _kernels_of("newbie") == 1
    context.close()
    # the closed page's kernel is shut down (here after KERNEL_IDLE_SECONDS; 3 minutes by default)
    deadline = time.monotonic() + 120
    while _kernels_of("newbie") and time.monotonic() < deadline:
        time.sleep(2)
    assert _kernels_of("newbie") == 0

    admin.locator(".jyjg-account-table tr", has_text="newbie").locator(".jyjg-account-disable").click()
    expect(admin.locator(".jyjg-accounts-message")).to_contain_text("已停用", timeout=STEP_MS)
    context = _context(chromium)
    page = context.new_page()
    _submit_login(page, hub, "newbie", "Newbie-pass-2020")  # the Hub read the account before: it reads it again
    page.wait_for_load_state("networkidle")
    assert "/hub/login" in page.url and page.locator(".jyjg-root").count() == 0
    expect(page.locator(".login_error")).to_contain_text("尚未启用或已被停用")
    context.close()
    with hub.store() as store:
        actions = {a.action: a.actor for a in store.audit_log() if "newbie" in a.summary}
        assert actions == {"account_added": "局长甲（admin）", "password_set": "局长甲（admin）",
                           "account_disabled": "局长甲（admin）"}


def test_the_login_page_is_chinese_and_five_wrong_passwords_lock_the_account(hub, chromium):
    context = _context(chromium)
    page = context.new_page()
    page.goto(f"{hub.base}/hub/login")
    body = page.inner_text("body")
    assert "登录评审工作台" in body and "账户被锁定怎么办" in body and "连续 5 次输错密码" in body
    assert not any(word in body for word in ("Sign In", "Username", "Password:", "Sign up"))
    shot(page, "hub_登录")
    for attempt in range(5):
        _submit_login(page, hub, "locked", f"wrong-password-{attempt}")
        page.wait_for_load_state("networkidle")
        assert "/hub/login" in page.url
    expect(page.locator(".login_error")).to_contain_text("已被锁定")
    _submit_login(page, hub, "locked", PASSWORD)  # the right password, too late
    page.wait_for_load_state("networkidle")
    assert "/hub/login" in page.url and page.locator(".jyjg-root").count() == 0
    expect(page.locator(".login_error")).to_contain_text("因连续 5 次输错密码已被锁定")
    expect(page.locator(".login_error")).to_contain_text("联系管理员")
    shot(page, "hub_登录_锁定")
    context.close()
