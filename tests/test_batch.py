"""Checking many submissions: the parallel path gives what the serial one does, in order, and survives a dead child."""
from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path

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


# --- a folder of hostile files (issue 18) ---------------------------------------------------------

def rewritten(src, dst, change):
    """A copy of a workbook with change(part name, bytes) applied to every part."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, change(info.filename, zin.read(info)))
    return dst


def hostile_inbox(folder, template):
    """One file of each kind that once hung, crashed or flooded the checker; name -> the codes it must get."""
    good = write_named_values(template, folder.parent / "good.xlsx", {
        "org_name": "市商务局", "org_category": "市直党政机关", "assess_year": 2020, "score_2_2_5": 3.125,
        "evidence_2_2_5": "big.bin\nBIG.bin\nBig.Bin\n佐证材料/big.bin\n佐证材料\\BIG.BIN\n./big.bin\n说明.txt",
        "floor_area_m2": 10000, "headcount": 100, "energy_tce": 97, "water_t": 9700, "base_floor_area_m2": 10000,
        "base_headcount": 77.125, "base_energy_tce": 100, "base_water_t": 10000})
    expected = {}

    def unclosed(name, data):
        if name.startswith("xl/worksheets/sheet"):
            at = data.find(b"<sheetData>") + len(b"<sheetData>")
            data = data[:at] + b'<c r="E10" ' * 60_000 + data[at:]
        return data
    rewritten(good, folder / "未闭合标签.xlsx", unclosed)
    expected["未闭合标签.xlsx"] = {"total_mismatch"}  # read in one pass (the stray tags hold no wanted cell)

    def extreme(name, data):
        return data.replace(b"<v>3.125</v>", b"<v>1e309</v>").replace(b"<v>77.125</v>", b"<v>1e-320</v>")
    rewritten(good, folder / "极端数值.xlsx", extreme)
    expected["极端数值.xlsx"] = {"invalid_value", "energy_data_invalid"}

    os.mkfifo(folder / "管道.xlsx")
    os.mkfifo(folder / "管道.zip")
    (folder / "零设备.xlsx").symlink_to("/dev/zero")
    (folder / "循环链接.zip").symlink_to(folder / "循环链接.zip")
    expected.update(dict.fromkeys(["管道.xlsx", "管道.zip", "零设备.xlsx", "循环链接.zip"], {"unreadable"}))

    with zipfile.ZipFile(folder / "压缩包.zip", "w") as zf:
        zf.writestr("自评表.xlsx", good.read_bytes(), zipfile.ZIP_DEFLATED)
        zf.writestr("佐证材料/big.bin", os.urandom(1 << 20) * 12, zipfile.ZIP_DEFLATED)
        zf.writestr("佐证材料/说明.txt", "节约用水".encode() * 1000, zipfile.ZIP_LZMA)
    data = bytearray((folder / "压缩包.zip").read_bytes())
    with zipfile.ZipFile(folder / "压缩包.zip") as zf:
        info = zf.getinfo("佐证材料/说明.txt")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 12
    data[start:start + 40] = bytes(range(200, 240))
    (folder / "压缩包.zip").write_bytes(bytes(data))
    expected["压缩包.zip"] = {"evidence_broken"}

    with open(os.path.join(os.fsencode(folder), "市发改委.xlsx".encode("gbk")), "wb") as out:
        out.write(good.read_bytes())
    expected["市发改委.xlsx"] = {"evidence_not_found"}
    return expected


def test_a_folder_of_hostile_files_ends_with_a_finding_for_each(tmp_path):
    import json
    import subprocess
    import sys

    folder = tmp_path / "收件箱"
    folder.mkdir()
    expected = hostile_inbox(folder, write_template(tmp_path / "t.xlsx"))
    out = tmp_path / "结果.json"
    # A generous bound that proves the run ends (on the code before issue 18 it never did), not a speed test.
    done = subprocess.run([sys.executable, "-m", "shared.cli", "check", str(folder), "--json", str(out)],
                          cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr

    def refuse(constant):
        raise ValueError(constant)
    records = {r["source"]: r for r in json.loads(out.read_text(encoding="utf-8"), parse_constant=refuse)["submissions"]}
    assert set(records) == set(expected)
    for source, codes in expected.items():
        found = {f["code"] for f in records[source]["findings"]}
        assert found and codes <= found, (source, found)
        assert all(source in f["message"] for f in records[source]["findings"]), source


# --- province scale (issue 19): nothing grows with the number of submissions -----------------------

def test_submissions_are_taken_only_as_workers_need_them(inbox, monkeypatch):
    """However long the inbox, a run holds at most LOOKAHEAD (+ what workers have at hand) of it."""
    monkeypatch.setattr(batch, "LOOKAHEAD", 2)
    subs = discover([inbox]) * 5  # 40 submissions
    pulled = []

    def counted():
        for sub in subs:
            pulled.append(sub.source)
            yield sub
    ahead = []
    for i, _ in enumerate(batch.checked(counted(), workers=2)):
        ahead.append(len(pulled) - i)
    assert len(ahead) == len(subs) and max(ahead) <= 2 + 2 * batch.QUEUED_PER_WORKER


def test_load_records_in_batches_as_results_arrive(inbox, tmp_path, monkeypatch):
    from shared.store import Store

    monkeypatch.setattr(batch, "LOAD_BATCH", 3)
    with Store(f"sqlite:///{tmp_path / 'r.db'}", data_dir=tmp_path / "data") as store:
        sizes, real = [], store.record_many

        def recording(items, **kwargs):
            sizes.append(len(items))
            return real(items, **kwargs)
        monkeypatch.setattr(store, "record_many", recording)
        checked_pairs, written_while_checking = batch.checked_pairs, []

        def pairs(*args, **kwargs):
            for index, pair in enumerate(checked_pairs(*args, **kwargs)):
                if index == 6:  # two batches handed over; the checking waits to see the first one written
                    deadline = time.monotonic() + 30
                    while not sizes and time.monotonic() < deadline:
                        time.sleep(0.01)
                    written_while_checking.append(list(sizes))
                yield pair
        monkeypatch.setattr(batch, "checked_pairs", pairs)
        outcomes = list(batch.load_stream(store, [inbox]))
        assert written_while_checking[0][:1] == [3]  # the first batch was recorded before the checking ended
        assert sizes == [3, 3, 2] and len(outcomes) == 8
        assert len(store.versions()) == 8


def test_a_loads_workers_make_the_rows_and_keep_the_originals_and_what_is_kept_is_what_was_hashed(
        inbox, tmp_path, monkeypatch):
    """The process that records only writes: each submission's columns are made, and its original copied
    into the data folder and hashed, in the worker that checked it; each kept file hashes to its version's
    content hash, and a base year found earlier in the same load still adds its finding (test_yearly)."""
    import hashlib

    from shared import store as store_module
    from shared.store import Store

    where = tmp_path / "pids"

    def noting(real, name):
        def wrapper(*args):
            with open(where, "a") as fh:
                fh.write(f"{name} {os.getpid()}\n")
            return real(*args)
        return wrapper
    monkeypatch.setattr(store_module, "checked_for_store", noting(store_module.checked_for_store, "columns"))
    monkeypatch.setattr(store_module, "keep_original", noting(store_module.keep_original, "kept"))
    with Store(f"sqlite:///{tmp_path / 'r.db'}", data_dir=tmp_path / "data") as store:
        loaded = batch.load_paths(store, [inbox])
        calls = [line.split() for line in where.read_text().splitlines()]
        assert sorted(name for name, _ in calls) == ["columns"] * 8 + ["kept"] * 8
        assert str(os.getpid()) not in {pid for _, pid in calls}
        assert len(loaded) == 8 and not loaded.refused
        for version in loaded:
            kept = store.original_path(version.id).read_bytes()
            assert hashlib.sha256(kept).hexdigest() == version.content_hash
            assert kept == (inbox / version.original_name).read_bytes()


def test_a_store_failure_mid_load_is_raised_after_the_batches_recorded_before_it(inbox, tmp_path, monkeypatch):
    from shared.store import Store

    monkeypatch.setattr(batch, "LOAD_BATCH", 3)
    with Store(f"sqlite:///{tmp_path / 'r.db'}", data_dir=tmp_path / "data") as store:
        real, calls = store.record_many, []

        def failing_second_time(items, **kwargs):
            calls.append(len(items))
            if len(calls) == 2:
                raise OSError(28, "No space left on device")
            return real(items, **kwargs)
        monkeypatch.setattr(store, "record_many", failing_second_time)
        outcomes = []
        with pytest.raises(OSError, match="No space"):
            for outcome in batch.load_stream(store, [inbox]):
                outcomes.append(outcome)
        assert len(outcomes) == 3 and calls == [3, 3]  # nothing recorded after the failure
        assert sorted(v.id for v in store.versions()) == sorted(v.id for v in outcomes)


def test_a_disk_failure_in_a_worker_keeping_an_original_is_raised_after_the_batches_recorded_before_it(
        inbox, tmp_path, monkeypatch):
    """The workers keep the originals: the store's own failure there (disk full) stops the load as it did
    when this process kept them, with the batches before it recorded whole and nothing of its own batch."""
    import errno

    from shared import store as store_module
    from shared.store import Store

    monkeypatch.setattr(batch, "LOAD_BATCH", 3)
    names = [Path(sub.path).name for sub in discover([inbox])]
    real = store_module.keep_original

    def full_at_the_fifth(data_dir, original):
        if original.name == names[4]:
            raise OSError(errno.ENOSPC, "No space left on device", str(data_dir / "incoming"))
        return real(data_dir, original)
    monkeypatch.setattr(store_module, "keep_original", full_at_the_fifth)
    with Store(f"sqlite:///{tmp_path / 'r.db'}", data_dir=tmp_path / "data") as store:
        outcomes = []
        with pytest.raises(OSError, match="No space") as raised:
            for outcome in batch.load_stream(store, [inbox]):
                outcomes.append(outcome)
        assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(tmp_path / "data" / "incoming")
        assert [v.original_name for v in outcomes] == names[:3]
        assert sorted(v.id for v in store.versions()) == sorted(v.id for v in outcomes)


def duplicate_findings(store):
    """source -> the duplicate_submission messages its version holds, for every version in the store."""
    return {v.source: [f["message"] for f in v.findings if f["code"] == "duplicate_submission"]
            for v in store.versions()}


def assert_each_names_the_other(found):
    pairs = {"单位0.xlsx": "单位5.xlsx", "单位5.xlsx": "单位0.xlsx", "单位1.xlsx": "单位6.xlsx", "单位6.xlsx": "单位1.xlsx"}
    for source, messages in found.items():
        if source in pairs:
            (message,) = messages
            assert message.startswith(f"{source}：与“{pairs[source]}”是同一单位")
        else:
            assert messages == [], source


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'r.db'}"
    return request.getfixturevalue("pg_url")


def test_load_flags_every_version_of_a_unit_sent_twice_the_first_too_and_once(inbox, tmp_path, monkeypatch, db_url):
    """As check does: the first of a unit's two versions is flagged too, though its batch was recorded long
    before the second turned up; loading again adds nothing twice."""
    from shared.store import Store

    monkeypatch.setattr(batch, "LOAD_BATCH", 2)  # 单位0 and 单位5 land in different batches
    with Store(db_url, data_dir=tmp_path / "data") as store:
        loaded = batch.load_paths(store, [inbox])
        found = duplicate_findings(store)
        assert_each_names_the_other(found)
        assert {v.source: [f["message"] for f in v.findings if f["code"] == "duplicate_submission"]
                for v in loaded} == found  # what load_paths returns is what the store holds
        for version in store.versions():
            assert version.warning_count == sum(f["severity"] == "warning" for f in version.findings)
            # moved on once for its finding (a reviewer's open page is told), once when a later version came
            assert version.revision == bool(found[version.source]) + (version.superseded_by is not None)
        added = [a for a in store.audit_log() if a.action == "finding_added"]
        assert len(added) == 4 and all("同一单位" in a.summary for a in added)
        batch.load_paths(store, [inbox])
        assert duplicate_findings(store) == found
        assert all(v.revision == bool(found[v.source]) + (v.superseded_by is not None) for v in store.versions())
        assert len([a for a in store.audit_log() if a.action == "finding_added"]) == 4


LOAD_SCRIPT = """
import sys, time
from shared import batch
from shared.store import Store
batch.LOAD_BATCH = 2
store = Store(sys.argv[1], data_dir=sys.argv[2])
real = store.record_many
def slow(items, **kwargs):
    done = real(items, **kwargs)
    print("batch", flush=True)
    time.sleep(0.5)
    return done
store.record_many = slow
for _ in batch.load_stream(store, [sys.argv[3]]):
    pass
print("done", flush=True)
"""


def test_a_load_killed_half_way_leaves_whole_batches_and_a_second_load_finishes_it(inbox, tmp_path):
    import signal
    import subprocess
    import sys

    from shared.store import Store

    db, data = f"sqlite:///{tmp_path / 'r.db'}", tmp_path / "data"
    repo = Path(__file__).resolve().parents[1]
    child = subprocess.Popen([sys.executable, "-c", LOAD_SCRIPT, db, str(data), str(inbox)], cwd=repo,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "batch"
    child.send_signal(signal.SIGKILL)
    child.wait()
    with Store(db, data_dir=data) as store:
        recorded = len(store.versions())
        assert recorded in (2, 4, 6)  # whole batches only
        assert all(messages == [] for messages in duplicate_findings(store).values())  # flagged at the end
        batch.load_paths(store, [inbox])
        assert len(store.versions()) == 8 and len({v.content_hash for v in store.versions()}) == 8
        assert_each_names_the_other(duplicate_findings(store))  # the second load flags them all, once
