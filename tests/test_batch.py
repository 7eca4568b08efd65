"""Checking many submissions: the parallel path gives what the serial one does, in order, and survives a dead child."""
from __future__ import annotations

import os

import pytest

import shared.batch as batch
from shared.submission import discover
from shared.template import write_named_values, write_template


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch") / "收件箱"
    folder.mkdir()
    template = write_template(folder.parent / "t.xlsx")
    for i in range(7):
        write_named_values(template, folder / f"单位{i}.xlsx", {
            "org_name": f"市单位{i % 5}", "org_category": "市直党政机关", "assess_year": 2020, "score_2_2_5": i})
    (folder / "坏文件.xlsx").write_bytes(b"PK\x03\x04 truncated")
    return folder


def contract(results):
    return [r.as_contract() for r in results]


def test_parallel_results_equal_serial_ones_in_order(inbox, monkeypatch):
    serial = batch.check_paths([inbox], workers=1)
    monkeypatch.setattr(batch, "PARALLEL_FROM", 2)
    seen = []
    parallel = batch.check_paths([inbox], workers=3, progress=lambda r: seen.append(r.source))
    assert contract(parallel) == contract(serial)
    assert seen == [r.source for r in serial] == [s.source for s in discover([inbox])]
    # duplicates are found across workers' chunks, not only inside one
    assert sum(f.code == "duplicate_submission" for r in parallel for f in r.findings) == 4


def die(args):
    os._exit(3)


def test_a_child_that_dies_loses_nothing(inbox, monkeypatch):
    serial = batch.check_paths([inbox], workers=1)
    monkeypatch.setattr(batch, "PARALLEL_FROM", 2)
    monkeypatch.setattr(batch, "_check_one", die)
    assert contract(batch.check_paths([inbox], workers=2)) == contract(serial)


def collector_state(args):
    import gc
    result = batch.check_submission(*args)
    result.org_name = f"collector {'on' if gc.isenabled() else 'off'}"
    return result


def test_the_collector_rests_in_this_process_during_a_parallel_run_but_not_in_the_workers(inbox, monkeypatch):
    import gc

    states = []
    batch.check_paths([inbox], workers=1, progress=lambda r: states.append(gc.isenabled()))
    assert states and all(states)  # serially, evidence checks make cycles: the collector keeps working
    monkeypatch.setattr(batch, "PARALLEL_FROM", 2)
    monkeypatch.setattr(batch, "_check_one", collector_state)
    states.clear()
    results = batch.check_paths([inbox], workers=2, progress=lambda r: states.append(gc.isenabled()))
    assert states and not any(states) and gc.isenabled()
    assert {r.org_name for r in results} == {"collector on"}

    def fail(result):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        batch.check_paths([inbox], workers=2, progress=fail)
    assert gc.isenabled()
