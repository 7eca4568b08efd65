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


def in_this_process(folder):
    results = [batch.check_submission(sub) for sub in discover([folder])]
    batch.check_duplicates(results)
    return results


def test_worker_results_equal_in_process_ones_in_order(inbox):
    serial = in_this_process(inbox)
    seen = []
    parallel = batch.check_paths([inbox], workers=3, progress=lambda r: seen.append(r.source))
    assert contract(parallel) == contract(serial)
    assert contract(batch.check_paths([inbox], workers=1)) == contract(serial)
    assert seen == [r.source for r in serial] == [s.source for s in discover([inbox])]
    # duplicates are found across workers, not only inside one
    assert sum(f.code == "duplicate_submission" for r in parallel for f in r.findings) == 4


def die_on_unit_3(args):
    if args[0].source == "单位3.xlsx":
        os._exit(3)
    return batch.check_submission(*args)


def test_a_worker_that_dies_costs_only_the_file_it_was_on(inbox, monkeypatch):
    serial = contract(in_this_process(inbox))
    monkeypatch.setattr(batch, "_check_one", die_on_unit_3)
    got = contract(batch.check_paths([inbox], workers=2))
    crashed = next(r for r in got if r["source"] == "单位3.xlsx")
    assert [f["code"] for f in crashed["findings"]] == ["unreadable"]
    assert "单位3.xlsx" in crashed["findings"][0]["message"] and "意外终止" in crashed["findings"][0]["message"]
    assert [r for r in got if r["source"] != "单位3.xlsx"] == [
        r for r in serial if r["source"] != "单位3.xlsx"] and len(got) == len(serial)


def die_once(args):
    marker = args[0].path.with_name(".died-once")
    if not marker.exists():
        marker.touch()
        os._exit(3)
    return batch.check_submission(*args)


def test_a_worker_that_dies_once_loses_nothing(inbox, monkeypatch):
    serial = contract(in_this_process(inbox))
    monkeypatch.setattr(batch, "_check_one", die_once)
    try:
        assert contract(batch.check_paths([inbox], workers=2)) == serial
        assert (inbox / ".died-once").exists()
    finally:
        (inbox / ".died-once").unlink(missing_ok=True)


def stall_on_unit_2(args):
    if args[0].source == "单位2.xlsx":
        while True:  # a file that makes a library spin for ever
            pass
    return batch.check_submission(*args)


def test_a_file_past_its_time_budget_becomes_a_finding_and_the_batch_goes_on(inbox, monkeypatch):
    serial = contract(in_this_process(inbox))
    monkeypatch.setattr(batch, "_check_one", stall_on_unit_2)
    monkeypatch.setattr(batch, "FILE_BUDGET_SECONDS", 1.5)
    got = contract(batch.check_paths([inbox], workers=2))
    stalled = next(r for r in got if r["source"] == "单位2.xlsx")
    assert [f["code"] for f in stalled["findings"]] == ["unreadable"] and stalled["rescored_total"] is None
    assert "单位2.xlsx" in stalled["findings"][0]["message"] and "校验超时" in stalled["findings"][0]["message"]
    others = [r for r in got if r["source"] != "单位2.xlsx"]
    assert others == [r for r in serial if r["source"] != "单位2.xlsx"] and len(got) == len(serial)


def test_results_wait_for_a_slow_one_within_the_lookahead(inbox, monkeypatch):
    """Order stays stable and no more than LOOKAHEAD results wait for a slow submission."""
    monkeypatch.setattr(batch, "LOOKAHEAD", 2)
    monkeypatch.setattr(batch, "_check_one", stall_on_unit_2)
    monkeypatch.setattr(batch, "FILE_BUDGET_SECONDS", 1.0)
    got = [r.source for r in batch.checked(discover([inbox]), workers=3)]
    assert got == [s.source for s in discover([inbox])]


def collector_state(args):
    import gc
    result = batch.check_submission(*args)
    result.org_name = f"collector {'on' if gc.isenabled() else 'off'}"
    return result


def test_the_collector_rests_in_this_process_during_a_run_but_not_in_the_workers(inbox, monkeypatch):
    import gc

    states = []
    monkeypatch.setattr(batch, "_check_one", collector_state)
    results = batch.check_paths([inbox], workers=2, progress=lambda r: states.append(gc.isenabled()))
    assert states and not any(states) and gc.isenabled()
    assert {r.org_name for r in results} == {"collector on"}

    def fail(result):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        batch.check_paths([inbox], workers=2, progress=fail)
    assert gc.isenabled()
