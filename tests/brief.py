"""Where the read-only brief is: `../shared` beside the checkout (or $JYJG_BRIEF), with the programme text
(seed/) and real-world workbooks from elsewhere (foreign-workbooks/). A fresh clone may not have it: tests
that read it skip, and the suite still collects."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

BRIEF = Path(os.environ.get("JYJG_BRIEF") or Path(__file__).resolve().parents[2] / "shared")
FOREIGN = BRIEF / "foreign-workbooks"
SEED = BRIEF / "seed" / "000_790868998bb09aae.txt"

needs_foreign = pytest.mark.skipif(not FOREIGN.is_dir(), reason=f"no foreign workbooks at {FOREIGN} (set JYJG_BRIEF)")
needs_seed = pytest.mark.skipif(not SEED.is_file(), reason=f"no programme text at {SEED} (set JYJG_BRIEF)")


def foreign_files(keep=lambda path: True) -> list[Path]:
    """The foreign workbooks (not their README), sorted; [] when the brief is absent."""
    if not FOREIGN.is_dir():
        return []
    return sorted(p for p in FOREIGN.iterdir() if p.suffix != ".md" and keep(p))
