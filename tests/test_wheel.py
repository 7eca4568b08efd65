"""A wheel that works: built from the tracked files, installed into a fresh virtualenv outside the checkout,
it runs `jyjg demo`, serves the reviewer dashboard and builds the add-in, with nothing from the checkout.

Slow (a fresh install of every dependency; pip's own cache is reused): marked `wheel`, deselect with
-m "not wheel" while iterating.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parents[1]
SKIPPED_WHEN_COPYING = (".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", "build", "dist", "jyjg-data",
                        "jyjg-demo", "jyjg.db")
INSTALL_SECONDS = 1200
READY_SECONDS = 180
TOKEN = "wheel-test-token"


def _run(command: list, cwd: Path, timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env or _clean_env())
    assert done.returncode == 0, f"{' '.join(map(str, command))}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _clean_env() -> dict:
    """This process's environment without what points at the checkout or its virtualenv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "JYJG_DB", "JYJG_DATA")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT)))
    return env


def _project_copy(target: Path) -> Path:
    """The project as a fresh clone has it: the tracked files (or, outside git, the tree minus what tools make)."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True)
    if listed.returncode == 0 and listed.stdout:
        for name in listed.stdout.decode("utf-8").split("\0"):
            if name and (ROOT / name).is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, target / name)
    else:
        shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(*SKIPPED_WHEN_COPYING), dirs_exist_ok=True)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Path]:
    """A wheel built from a copy of the project (the build writes build/ and egg-info beside the sources, so
    never in the checkout), installed into a new virtualenv without system site-packages."""
    work = tmp_path_factory.mktemp("wheel")
    project = _project_copy(work / "project")  # not named src/: setuptools reads that as a src-layout root
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", work / "dist", project], work)
    wheel, = (work / "dist").glob("jyjg-*.whl")
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", venv], work)
    _run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel], work, timeout=INSTALL_SECONDS)
    shutil.rmtree(project)  # the installed package may lean on nothing but itself
    run = work / "run"
    run.mkdir()
    return {"wheel": wheel, "venv": venv, "bin": venv / "bin", "run": run}


def test_the_wheel_carries_what_runs(installed):
    with zipfile.ZipFile(installed["wheel"]) as wheel:
        names = set(wheel.namelist())
    for needed in ("workbench/评审工作台.ipynb", "excel_addin/ribbon/customUI14.xml", "excel_addin/vba/JyjgAddin.bas",
                   "excel_addin/server/custom_scripts/__init__.py", "excel_addin/server/custom_functions/__init__.py",
                   "excel_addin/server/templates/taskpane.html", "shared/city.toml", "shared/roster.toml",
                   "shared/targets.toml", "shared/editions/yiyang-2020.toml",
                   "shared/migrations/versions/0001_review_store.py"):
        assert needed in names, needed


def test_the_installed_package_is_the_one_used(installed):
    where = _run([installed["bin"] / "python", "-c",
                  "import shared, workbench.server as s, excel_addin as a; print(shared.__file__); print(s.NOTEBOOK); "
                  "print(a.SERVER_DIR)"], installed["run"]).stdout.split()
    site = str(installed["venv"] / "lib")
    assert all(path.startswith(site) for path in where), where
    notebook, server = Path(where[1]), Path(where[2])
    assert notebook.is_file() and (server / "custom_scripts" / "__init__.py").is_file()
    assert (server / "templates" / "taskpane.html").is_file()


@pytest.fixture(scope="module")
def demo(installed) -> Path:
    _run([installed["bin"] / "jyjg", "demo"], installed["run"], timeout=900)
    return installed["run"]


def test_jyjg_demo_runs_from_the_wheel(demo):
    assert (demo / "jyjg.db").is_file()
    assert (demo / "jyjg-demo" / "2020年度节约型机关创建汇总.xlsx").is_file()
    assert (demo / "jyjg-demo" / "验收评分表（示例）.xlsx").is_file()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_jyjg_serve_from_the_wheel_serves_the_dashboard(installed, demo):
    port = _free_port()
    log = demo / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([str(installed["bin"] / "jyjg"), "serve", "--port", str(port), "--token", TOKEN],
                                  cwd=demo, stdout=out, stderr=subprocess.STDOUT, env=_clean_env())
    try:
        deadline = time.monotonic() + READY_SECONDS
        while "评审工作台已启动" not in log.read_text(errors="replace"):
            assert server.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "jyjg serve did not start in time"
            time.sleep(0.5)
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/?token={TOKEN}", timeout=READY_SECONDS)
        html = page.read().decode("utf-8", errors="replace")
        assert page.status == 200
        # Voila ran the notebook from the package: its widgets are in the page, no error in their place.
        assert "application/vnd.jupyter.widget-view+json" in html, html[-2000:]
        assert "Traceback" not in html and "No such file" not in html
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_the_add_in_builds_from_the_wheel(installed):
    _run([installed["bin"] / "python", "-m", "excel_addin.build_xlam", "addin"], installed["run"])
    xlam = installed["run"] / "addin" / "jyjg_addin.xlam"
    with zipfile.ZipFile(xlam) as book:
        assert "customUI/customUI14.xml" in book.namelist()
    module = (installed["run"] / "addin" / "JyjgAddin.bas").read_bytes()
    assert module.startswith(b"Attribute VB_Name") and b"\r\n" in module
