"""Running `jyjg` in the test process as a user would, and what a store holds, for comparing runs."""
from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path


@dataclass
class DemoRun:
    """`jyjg demo` run twice, as a newcomer runs it: in a fresh folder, no --db, outputs where it puts them."""

    folder: Path  # the current folder of both runs
    outputs: list[tuple[str, str]]  # (stdout, stderr) of each run
    packages: list[dict[str, str]]  # after each run: every file the demo wrote as packages -> its sha256
    stores: list[dict]  # after each run: store_summary of the store

    @property
    def out(self) -> Path:
        return self.folder / "jyjg-demo"

    @property
    def inbox(self) -> Path:
        return self.out / "收件箱"

    @property
    def db(self) -> str:
        return f"sqlite:///{self.folder / 'jyjg.db'}"


def run_jyjg(argv: list[str]) -> tuple[int, str, str]:
    """`jyjg ARGS` in this process: (exit code, stdout, stderr)."""
    import logging

    from shared.cli import main

    out, err = io.StringIO(), io.StringIO()
    # A handler another test left on a closed capture must not print "--- Logging error ---" as this command's.
    raising, logging.raiseExceptions = logging.raiseExceptions, False
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as stop:
                code = stop.code
    finally:
        logging.raiseExceptions = raising
    return code, out.getvalue(), err.getvalue()


def store_summary(url: str) -> dict:
    """What a store holds, comparable between two moments: versions, decisions, scores, audit, sample."""
    from shared.store import Store

    with Store(url) as store:
        versions = store.versions()
        return {
            "versions": [(v.id, v.unit_name, v.assess_year, v.number, v.status, v.revision, v.superseded_by,
                          v.content_hash) for v in versions],
            "decisions": [(d.version_id, d.stage, d.outcome, d.opinion) for v in versions for d in store.decisions(v.id)],
            "verified": {v.id: store.verified_card(v.id).total for v in versions if v.rescored_total is not None},
            "audit": len(store.audit_log()),
            "sample": [(e.district, e.unit.name) for e in store.sample(2020)],
        }
