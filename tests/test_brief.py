"""A fresh clone may not have the brief (../shared) beside it: the suite still collects, and the tests that
read it skip, saying where they looked (tests/brief.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_suite_collects_without_the_brief(tmp_path):
    env = {**os.environ, "JYJG_BRIEF": str(tmp_path / "absent")}
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "tests/test_workbook.py", "tests/test_xmlscan.py", "tests/test_zipentry.py",
                           "tests/test_rubric.py", "tests/test_demo.py"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "error" not in done.stdout.lower().split("collected")[-1]


def test_tests_that_read_the_brief_skip_without_it(tmp_path):
    env = {**os.environ, "JYJG_BRIEF": str(tmp_path / "absent")}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           "tests/test_rubric.py::test_rule_texts_are_verbatim_from_the_seed",
                           "tests/test_workbook.py::test_foreign_workbooks_count",
                           "tests/test_workbook.py::test_every_foreign_workbook_is_refused_cleanly"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "3 skipped" in done.stdout and str(tmp_path / "absent") in done.stdout
