"""Tests write only under their own temporary folders: the session fails if the working tree changed.

`git status --porcelain --ignored` is taken when the session starts and when it ends, each entry with a
signature of its content (size and modification time of the file, or of every file under a folder), so a
test that writes `jyjg.db`, `jyjg-data/` or `jyjg-demo/` into the checkout is caught even when an earlier
demo left them there. What Python and pytest make for themselves (bytecode caches, pytest's and
Hypothesis's caches, the virtualenv, pip's egg-info) is left out. Outside a git checkout the check is
skipped.

tests/conftest.py imports the two hooks; tests/test_worktree_guard.py runs them on throwaway repositories.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

# Made by Python, pytest, Hypothesis and pip on their own, not by the tests.
TOOL_ARTIFACTS = ("__pycache__", ".pytest_cache", ".hypothesis", ".venv")
TOOL_SUFFIXES = (".egg-info", ".pyc")

Snapshot = dict[str, tuple]


def snapshot(root: Path) -> Snapshot | None:
    """Every changed, untracked or ignored entry under root with a signature of its content; None when root
    is not the top of a git checkout (or git is missing)."""
    root = Path(root).resolve()
    try:
        top = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True, timeout=60)
        if top.returncode != 0 or Path(top.stdout.strip()).resolve() != root:
            return None
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain=v1", "-z", "--ignored"],
                                capture_output=True, timeout=300, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    entries: Snapshot = {}
    records = status.decode("utf-8", "surrogateescape").split("\0")
    records_iter = iter(records)
    for record in records_iter:
        if not record:
            continue
        code, path = record[:2], record[3:]
        if code[0] in "RC":  # a rename names its source in the next record
            next(records_iter, None)
        signature = None if _tool_artifact(path) else _signature(root / path)
        if signature:  # a folder holding only tool artifacts (a package's __pycache__) has none
            entries[path.rstrip("/")] = (code, signature)
    return entries


def _tool_artifact(path: str) -> bool:
    parts = Path(path.rstrip("/")).parts
    return any(p in TOOL_ARTIFACTS or p.endswith(TOOL_SUFFIXES) for p in parts)


def _signature(path: Path) -> tuple:
    """Size and modification time of a file, or of every file under a folder (by relative name)."""
    if path.is_symlink() or path.is_file():
        stat = path.lstat()
        return (stat.st_size, stat.st_mtime_ns)
    if not path.is_dir():
        return ("absent",)
    found = []
    for folder, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not _tool_artifact(d))
        for name in sorted(files):
            if _tool_artifact(name):
                continue
            full = Path(folder, name)
            stat = full.lstat()
            found.append((full.relative_to(path).as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def changes(before: Snapshot, after: Snapshot) -> list[str]:
    """What differs between two snapshots, one line per path with its git status code (?? untracked,
    !! ignored, M modified, D deleted) as it is now."""
    lines = []
    for path in sorted(set(before) | set(after)):
        if before.get(path) != after.get(path):
            code = after[path][0] if path in after else "  "
            lines.append(f"{code} {path}")
    return lines


# --- the hooks (imported by tests/conftest.py) ------------------------------------------------------

_KEY = pytest.StashKey[Snapshot | None]()


def pytest_sessionstart(session: pytest.Session) -> None:
    session.stash[_KEY] = snapshot(Path(session.config.rootpath))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.stash.get(_KEY, None)
    if before is None:
        return
    after = snapshot(Path(session.config.rootpath))
    found = changes(before, after or {})
    if not found:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("")  # the progress line ("[100%]") has no newline yet
        reporter.write_sep("=", "tests changed the working tree", red=True)
        reporter.write_line("Tests may write only under their own temporary folders (tmp_path). Changed:")
        for line in found:
            reporter.write_line(f"  {line}")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
