"""Shared test fixtures: a PostgreSQL server for the tests that need one, and `jyjg demo` as a newcomer
runs it. The session fails if the tests changed the working tree (tests/worktree_guard.py).

JYJG_TEST_PG_URL (a superuser or CREATEDB URL, e.g. postgresql://postgres@127.0.0.1:5432/postgres)
names a server to use; otherwise a throwaway server is started from the PostgreSQL binaries
(/usr/lib/postgresql/*/bin), as the `postgres` system user when running as root, on 127.0.0.1
and a free port, and removed at the end. Without either, PostgreSQL tests skip.
"""
from __future__ import annotations

import glob
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from jyjg_runs import DemoRun, run_jyjg, store_summary
from worktree_guard import pytest_sessionfinish, pytest_sessionstart  # noqa: F401 - the working tree stays as it was


class PgServer:
    """A PostgreSQL server on which each test gets a fresh database."""

    def __init__(self, url: str):
        from sqlalchemy.engine import make_url

        self.url = make_url(url)

    def _admin(self):
        from sqlalchemy import create_engine

        return create_engine(self.url, isolation_level="AUTOCOMMIT")

    def new_database(self) -> str:
        name = f"jyjg_test_{uuid.uuid4().hex[:12]}"
        engine = self._admin()
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
        engine.dispose()
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        engine = self._admin()
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_throwaway_server(folder: Path) -> str:
    initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not initdbs:
        pytest.skip("PostgreSQL 测试跳过：未设置 JYJG_TEST_PG_URL，也找不到 /usr/lib/postgresql/*/bin/initdb")
    bindir = Path(initdbs[-1]).parent
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        as_postgres = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres", "postgres")
    port = _free_port()
    data, log = folder / "data", folder / "server.log"
    commands = [
        [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"],
        [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o",
         f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c max_connections=200", "start"],
    ]
    for cmd in commands:
        done = subprocess.run(as_postgres + cmd, capture_output=True, text=True)
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip()[-500:]
            if log.exists():
                detail += "\n" + log.read_text(errors="replace")[-500:]
            pytest.skip(f"PostgreSQL 测试跳过：无法启动临时服务器（{Path(cmd[0]).name}）：{detail}")
    return f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"


@pytest.fixture(scope="session")
def pg_server():
    url = os.environ.get("JYJG_TEST_PG_URL")
    if url:
        yield PgServer(url)
        return
    pytest.importorskip("psycopg2", reason="PostgreSQL 测试跳过：未安装 psycopg2")
    folder = Path(tempfile.mkdtemp(prefix="jyjg-pg-"))
    try:
        yield PgServer(_start_throwaway_server(folder))
    finally:
        pg_ctl = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if (folder / "data" / "postmaster.pid").exists() and pg_ctl:
            as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
            subprocess.run(as_postgres + [pg_ctl[-1], "-D", str(folder / "data"), "-m", "fast", "-w", "stop"],
                           capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server):
    """A fresh, empty PostgreSQL database for one test."""
    url = pg_server.new_database()
    yield url
    pg_server.drop_database(url)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> DemoRun:
    folder = tmp_path_factory.mktemp("newcomer")
    outputs = []
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.delenv("JYJG_DB", raising=False)
        patch.delenv("JYJG_DATA", raising=False)
        packages, stores = [], []
        for _ in range(2):
            code, out, err = run_jyjg(["demo"])
            assert code == 0, out + err
            outputs.append((out, err))
            packages.append({p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                             for name in ("收件箱", "补正材料") for p in (folder / "jyjg-demo" / name).rglob("*")
                             if p.is_file()})
            stores.append(store_summary(f"sqlite:///{folder / 'jyjg.db'}"))
    return DemoRun(folder, outputs, packages, stores)
