"""The server around the pages: evidence files through the authenticated file route (a 20 MB scan),
the Chinese login page, kernels that go when their page goes, a Chinese log, and a clean stop."""
from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import expect

from shared import batch
from shared.store import Store
from workbench.iopub import KERNEL_MODULE

from .conftest import TOKEN, _free_port
from .helpers import LOAD_MS, STEP_MS, open_dashboard, open_unit, shot, tab

pytestmark = pytest.mark.browser

SCAN_NAME = "扫描件/全年能耗台账扫描件.pdf"
USED_ELSEWHERE = ("市委组织部", "市委宣传部", "市委政法委员会", "市交警支队", "市委办公室", "市中级人民法院")


def scan_pdf(megabytes: int = 20) -> bytes:
    """A one-page PDF holding one uncompressed RGB image of `megabytes` (as a scanner writes them)."""
    side = int((megabytes * 2**20 / 3) ** 0.5) + 1
    row = bytes(v for x in range(side) for v in ((x * 7) % 256, (x * 3) % 256, 200 - (x % 150)))
    image = row * side
    contents = b"q 500 0 0 700 47 71 cm /Im1 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 "
        b"/Length %d >>\nstream\n" % (side, side, len(image)) + image + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(contents) + contents + b"\nendstream",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.fixture(scope="module")
def scanned(dashboard, tmp_path_factory) -> tuple[str, bytes]:
    """A demo unit's package again, with a 20 MB scanned PDF among its evidence: its second version."""
    folder = next(p for p in sorted(dashboard.inbox.iterdir())
                  if p.is_dir() and not any(p.name.startswith(u) for u in USED_ELSEWHERE))
    scan = scan_pdf()
    out = tmp_path_factory.mktemp("scan") / f"{folder.name}.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
        # scans hardly compress; stored as they are, as zip tools do with such files
        zf.writestr(zipfile.ZipInfo(f"{folder.name}/佐证材料/{SCAN_NAME}"), scan, zipfile.ZIP_STORED)
    with Store(dashboard.db_url, data_dir=dashboard.workdir / "data") as store:
        version, = batch.load_paths(store, [out], by="测试")
    assert version.unit_name and version.number == 2
    return version.unit_name, scan


def test_a_20_mb_scan_opens_from_the_file_route_not_the_page(dashboard, page, scanned):
    """On main the viewer put the file in a data: URL, which Chromium refuses above 2 MB: an empty frame."""
    unit, scan = scanned
    open_dashboard(page, dashboard.url)
    open_unit(page, unit)
    page.locator(".jyjg-viewer").scroll_into_view_if_needed()
    page.locator(".jyjg-evidence-pick select").select_option(label=SCAN_NAME)
    page.locator(".jyjg-evidence-open").click()
    frame = page.locator(".jyjg-viewer iframe")
    expect(frame).to_be_attached(timeout=STEP_MS)
    src = frame.get_attribute("src")
    assert src.startswith("/jyjg/files/") and "data:" not in src and "扫描" not in src
    answer = page.request.get(dashboard.base + src)  # with the page's own login cookie
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-length"] == str(len(scan)) and len(scan) > 20 * 2**20
    assert hashlib.sha256(answer.body()).digest() == hashlib.sha256(scan).digest()
    assert answer.headers["content-disposition"].startswith("inline;")
    assert answer.headers["x-content-type-options"] == "nosniff"
    page.wait_for_function(
        "() => { const f = document.querySelector('.jyjg-viewer iframe');"
        " try { return f.contentWindow.location.href.includes('/jyjg/files/'); } catch (e) { return false; } }",
        timeout=STEP_MS)
    expect(page.locator(".jyjg-viewer")).to_contain_text("全年能耗台账扫描件.pdf")
    page.wait_for_timeout(3000)  # the browser's PDF viewer draws the page
    page.locator(".jyjg-viewer").screenshot(path=str(shot(page, "12_详情_20MB扫描件").with_name("12_详情_20MB扫描件_查看器.png")))


def test_the_file_route_gives_nothing_without_the_login_or_with_a_forged_reference(dashboard, page, new_context,
                                                                                   scanned):
    unit, _ = scanned
    open_dashboard(page, dashboard.url)
    open_unit(page, unit)
    page.locator(".jyjg-evidence-link").first.click()
    link = page.locator(".jyjg-viewer a.jyjg-evidence-file")
    expect(link).to_be_attached(timeout=STEP_MS)
    src = link.get_attribute("href")
    stranger = new_context().request.get(dashboard.base + src, max_redirects=0)
    assert stranger.status in (302, 403) and b"%PDF" not in stranger.body()
    body, mac = src.rsplit("/", 1)[1].split(".")
    forged = page.request.get(f"{dashboard.base}/jyjg/files/{body}.{mac[::-1]}")
    assert forged.status == 403 and "文件链接无效" in forged.text()
    for path in ("/jyjg/files/../../etc/passwd", "/jyjg/files/" + "A" * 40):
        assert page.request.get(dashboard.base + path).status in (403, 404)


def test_the_login_page_is_chinese_and_says_what_the_token_is(dashboard, page):
    """On main it was Jupyter's English login page."""
    page.goto(dashboard.base + "/")
    assert "/login" in page.url
    body = page.inner_text("body")
    assert "访问口令" in body and "token=" in body and "jyjg serve" in body
    assert not re.search(r"\b(Password|Log in|token authentication)\b", body)
    shot(page, "00_登录页")
    page.fill("input[name=password]", "不是口令")
    page.get_by_role("button", name="进入工作台").click()
    expect(page.locator(".error")).to_contain_text("访问口令不正确", timeout=STEP_MS)
    shot(page, "00_登录页_口令错误")
    page.fill("input[name=password]", TOKEN)
    page.get_by_role("button", name="进入工作台").click()
    page.wait_for_selector(".jyjg-list", state="attached", timeout=LOAD_MS)


def _kernel_alive(server_pid: int, kernel_id: str) -> bool:
    for proc in psutil.Process(server_pid).children(recursive=True):
        try:
            if kernel_id in " ".join(proc.cmdline()):
                return True
        except psutil.NoSuchProcess:
            continue
    return False


def _kernel_id(page) -> str:
    return page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")


def _gone(server_pid: int, kernel_id: str, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _kernel_alive(server_pid, kernel_id):
            return True
        time.sleep(0.5)
    return False


def test_a_reloaded_or_closed_page_takes_its_kernel_with_it(dashboard, new_context):
    """On main the page's shutdown request was refused (no _xsrf cookie): each view left a kernel for 2 h."""
    page = new_context().new_page()
    open_dashboard(page, dashboard.url)
    first = _kernel_id(page)
    assert _kernel_alive(dashboard.pid, first)
    page.reload()
    page.wait_for_selector(".jyjg-list", state="attached", timeout=LOAD_MS)
    second = _kernel_id(page)
    assert second != first and _gone(dashboard.pid, first)
    page.close(run_before_unload=True)
    assert _gone(dashboard.pid, second)


def test_the_log_is_chinese(dashboard, page):
    """On main every kernel wrote an English warning (and Voila its notices) to the log."""
    open_dashboard(page, dashboard.url)
    tab(page, "上传")
    lines = [line for line in dashboard.log.read_text(errors="replace").splitlines() if line.strip()]
    english = [line for line in lines if not re.search(r"[\u4e00-\u9fff]", line)]
    assert lines and not english, english[:5]


def test_stopping_jyjg_serve_with_ctrl_c_is_clean(tmp_path):
    """On main Ctrl+C (SIGINT to the whole terminal group) printed ZMQ tracebacks from the kernels."""
    port = _free_port()
    code = ("import sys; from workbench.server import serve; "
            f"sys.exit(serve([], port={port}, token='t', db_url='sqlite:///{tmp_path / 'j.db'}', reviewer='甲'))")
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "JYJG_DATA": str(tmp_path / "data")}, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        kernels = []
        while len(kernels) < 2:  # the preheated pool is up
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(1)
            kernels = [p for p in psutil.Process(proc.pid).children(recursive=True)
                       if KERNEL_MODULE in p.cmdline()]
        time.sleep(5)  # the kernels have run the notebook up to waiting for their page
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl+C in the terminal does
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    text = log.read_text(errors="replace")
    assert "评审工作台已停止" in text and "Traceback" not in text and "ZMQ" not in text and "WARNING" not in text
    time.sleep(1)
    assert not [k for k in kernels if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]
