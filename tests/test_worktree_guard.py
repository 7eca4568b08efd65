"""The session-level check that tests leave the working tree as they found it (tests/worktree_guard.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from worktree_guard import changes, snapshot

TESTS = Path(__file__).resolve().parent


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t"})


@pytest.fixture()
def repo(tmp_path):
    root = tmp_path / "checkout"
    root.mkdir()
    (root / ".gitignore").write_text("/jyjg.db\n/jyjg-data/\n__pycache__/\n.venv/\n")
    (root / "README.md").write_text("x\n")
    (root / "jyjg.db").write_bytes(b"the user's own demo")  # an earlier `jyjg demo`, ignored by git
    (root / ".venv").mkdir()
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "start")
    return root


def test_a_clean_session_changes_nothing(repo):
    before = snapshot(repo)
    (repo / "pkg" / "__pycache__").mkdir(parents=True)  # bytecode and the venv are Python's own
    (repo / "pkg" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"x")
    (repo / ".venv" / "lib").write_text("x")
    assert changes(before, snapshot(repo)) == []


def test_new_changed_and_ignored_files_are_all_caught(repo):
    before = snapshot(repo)
    (repo / "jyjg-data" / "originals").mkdir(parents=True)
    (repo / "jyjg-data" / "originals" / "a.zip").write_bytes(b"x")
    (repo / "jyjg.db").write_bytes(b"the user's own demo, and 64 versions more")
    (repo / "README.md").write_text("changed\n")
    (repo / "报告.xlsx").write_bytes(b"x")
    found = changes(before, snapshot(repo))
    assert found == [" M README.md", "!! jyjg-data", "!! jyjg.db", "?? 报告.xlsx"]


def test_outside_a_git_checkout_there_is_nothing_to_compare(tmp_path):
    assert snapshot(tmp_path) is None


def run_session(repo: Path, test_body: str) -> subprocess.CompletedProcess:
    (repo / "pytest.ini").write_text("[pytest]\n")
    (repo / "conftest.py").write_text("from worktree_guard import pytest_sessionfinish, pytest_sessionstart\n")
    (repo / "test_it.py").write_text(f"from pathlib import Path\n\ndef test_it(tmp_path):\n    {test_body}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "tests")
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=repo,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(TESTS), "PYTHONDONTWRITEBYTECODE": "1"})


def test_a_session_that_writes_into_the_checkout_fails(repo):
    done = run_session(repo, "Path('jyjg.db').write_bytes(b'demo run by a test')")
    assert done.returncode == 1, done.stdout
    assert "tests changed the working tree" in done.stdout and "!! jyjg.db" in done.stdout


def test_a_session_that_writes_only_to_tmp_path_passes(repo):
    done = run_session(repo, "(tmp_path / 'jyjg.db').write_bytes(b'x')")
    assert done.returncode == 0, done.stdout
