"""Checking many submissions: discover them, check each in isolation, then check across the batch.

A broken submission becomes findings; nothing here lets one file stop the run. Every submission is
checked in a worker process with a time budget: a file that takes longer (a hostile file that makes
some library spin, say) is stopped, becomes an `unreadable` finding that says so, and the batch goes on.
A worker that dies (killed for memory, say) costs only the file it was on, after one retry.
"""
from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import gc
import multiprocessing
import os
import pickle
import queue
import signal
import threading
import time
from collections import deque
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from .checks import Duplicates, SubmissionResult, check_duplicates, check_roster, check_values
from .findings import finding
from .names import city_names
from .rubric import CITY, City
from .submission import PackageError, Submission, discover, iter_discover
from .workbook import WorkbookError, read_named_values
from .yearly import base_year_findings

if TYPE_CHECKING:
    from .store import Checked, KeptOriginal

# The most one submission may take. Real ones take milliseconds (a 1 GB package of scans, seconds).
FILE_BUDGET_SECONDS = 120.0
# Results kept waiting for an earlier, slower submission, at most: the order is stable, memory bounded.
LOOKAHEAD = 256
QUEUED_PER_WORKER = 2  # a worker always has the next submission at hand


def check_submission(sub: Submission, year: int | None = None, city: City | None = None) -> SubmissionResult:
    """Check one submission in this process (under `city`'s data, the configured city's by default); every
    failure becomes a finding on its result."""
    city = city or CITY
    try:
        inner_name, data = sub.workbook()
        values = read_named_values(data, city_names(city))
    except (WorkbookError, PackageError) as error:
        return _failed(sub, error.kind, error.fields)
    except Exception as error:  # a reader bug must not stop the batch; say what happened
        return _failed(sub, "unreadable", {"reason": f"读取时出错：{type(error).__name__}"})
    try:
        result = check_values(values, where=sub.source, year=year, evidence=sub.evidence_status, source=sub.source,
                              city=city)
    except Exception as error:
        return _failed(sub, "unreadable", {"reason": f"校验时出错：{type(error).__name__}"})
    result.workbook_name = inner_name
    check_roster(result, city)
    return result


def _failed(sub: Submission, kind: str, fields: dict) -> SubmissionResult:
    result = SubmissionResult(source=sub.source)
    fields = {"reason": "", "entry": "", "count": "", "names": "", "seconds": "", **fields}
    result.findings.append(finding(kind, where=sub.source, **fields))
    return result


def _check_one(args: tuple[Submission, int | None, City | None]) -> SubmissionResult:
    return check_submission(*args)


def check_paths(paths: Iterable[str | Path], year: int | None = None,
                progress: Callable[[SubmissionResult], None] | None = None,
                workers: int | None = None, city: City | None = None) -> list[SubmissionResult]:
    """Check every submission found under `paths`, in a stable order."""
    return check_all(discover(paths), year, progress, workers, city)


def check_all(subs: list[Submission], year: int | None = None,
              progress: Callable[[SubmissionResult], None] | None = None,
              workers: int | None = None, city: City | None = None) -> list[SubmissionResult]:
    """Check each submission in worker processes, then across the batch; results in the order given.
    `city`: whose data to check under (the configured city's by default)."""
    # This process only unpickles results here, which makes no reference cycles (tests/test_demo.py holds
    # it to that), yet thousands of results make the cyclic collector rescan them again and again. So it
    # rests; the workers, whose evidence checks do make cycles, keep theirs (see _serve).
    with _collector_paused():
        results = [_report(result, progress) for result in checked(subs, year, workers, city=city)]
    check_duplicates(results, city or CITY)
    return results


def checked(subs: Iterable[Submission], year: int | None = None, workers: int | None = None,
            budget: float | None = None, render: Callable[[SubmissionResult], Any] | None = None,
            city: City | None = None) -> Iterator[Any]:
    """Each submission's result, in the order given, checked by up to `workers` processes (default: one
    per core), each submission within `budget` seconds (default FILE_BUDGET_SECONDS). With `render`, what
    it makes of each result (in the worker, so this process only passes it on) instead of the result."""
    for _, output in checked_pairs(subs, year, workers, budget, render, city):
        yield output


def checked_pairs(subs: Iterable[Submission], year: int | None = None, workers: int | None = None,
                  budget: float | None = None,
                  render: Callable[[SubmissionResult], Any] | None = None,
                  city: City | None = None, *,
                  prepare: Callable[[Submission, SubmissionResult], Any] | None = None) -> Iterator[tuple[Submission, Any]]:
    """(submission, its result or rendering), as checked() gives them. Submissions are taken from `subs`
    only as workers need them: a run holds no more than LOOKAHEAD of them, and of their results. With
    `prepare`, what it makes of each submission and its result (in the worker) instead."""
    # The city goes along only when it is not the configured one (a worker has that already).
    setting = (year, None if city is None or city is CITY else city)
    make = prepare or (_ResultOnly(render) if render else None)
    pool = _Pool(setting, max(1, workers if workers is not None else (os.cpu_count() or 1)),
                 FILE_BUDGET_SECONDS if budget is None else budget, make)
    try:
        yield from pool.run(iter(enumerate(subs)))
    finally:
        pool.close()


@dataclasses.dataclass(frozen=True)
class _ResultOnly:
    """A rendering of the result alone, as the pool calls it: with the submission too."""
    render: Callable[[SubmissionResult], Any]

    def __call__(self, sub: Submission, result: SubmissionResult) -> Any:
        return self.render(result)


class _Worker:
    """One worker process and the submissions handed to it, oldest first."""

    def __init__(self, context, setting: tuple[int | None, City | None], render, others: list[Connection]):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, setting, render, [*others, self.conn]),
                                       daemon=True)
        self.process.start()
        child.close()
        self.jobs: deque[tuple[int, Submission]] = deque()
        self.started = time.monotonic()  # when it began the oldest of its jobs

    def give(self, index: int, sub: Submission) -> None:
        if not self.jobs:
            self.started = time.monotonic()
        self.jobs.append((index, sub))
        with contextlib.suppress(OSError):  # it died: its end of the pipe reads as closed, and its jobs move on
            self.conn.send((index, sub))

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()


class _Pool:
    def __init__(self, setting: tuple[int | None, City | None], size: int, budget: float, render=None):
        self.setting, self.size, self.budget, self.render = setting, size, budget, render  # setting: (year, city)
        self.context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                                   else "spawn")
        self.workers: list[_Worker] = []
        self.retried: set[int] = set()

    def run(self, pending: Iterator[tuple[int, Submission]]) -> Iterator[tuple[Submission, Any]]:
        again: deque[tuple[int, Submission]] = deque()  # handed back by a worker that died or was stopped
        done: dict[int, tuple[Submission, Any]] = {}
        next_out = 0
        exhausted = False
        while True:
            # Hand out work: retries first, never more than LOOKAHEAD past the oldest result not yet given out.
            while True:
                worker = self._free_worker()
                if worker is None:
                    break
                if again:
                    worker.give(*again.popleft())
                    continue
                if exhausted or self._furthest() - next_out >= LOOKAHEAD:
                    break
                job = next(pending, None)
                if job is None:
                    exhausted = True
                    break
                worker.give(*job)
            busy = [w for w in self.workers if w.jobs]
            if not busy:
                break
            deadline = min(w.started for w in busy) + self.budget
            for conn in wait([w.conn for w in busy], timeout=max(0.0, deadline - time.monotonic())):
                worker = next(w for w in busy if w.conn is conn)
                try:
                    index, result = conn.recv()
                except (EOFError, OSError):  # the worker died: its other jobs go to another
                    self._died(worker, again, done)
                    continue
                _, sub = worker.jobs.popleft()
                worker.started = time.monotonic()
                done[index] = (sub, result)
            now = time.monotonic()
            for worker in [w for w in self.workers if w.jobs and now - w.started > self.budget]:
                index, sub = worker.jobs.popleft()
                timed_out = _failed(sub, "unreadable/timeout", {"seconds": f"{self.budget:g}"})
                done[index] = (sub, self._rendered(sub, timed_out))
                self._retire(worker, again)
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1

    def _free_worker(self) -> _Worker | None:
        for worker in self.workers:
            if len(worker.jobs) < QUEUED_PER_WORKER:
                return worker
        if len(self.workers) < self.size:
            worker = _Worker(self.context, self.setting, self.render, [w.conn for w in self.workers])
            self.workers.append(worker)
            return worker
        return None

    def _furthest(self) -> int:
        """One past the newest submission handed out."""
        return max((index + 1 for w in self.workers for index, _ in w.jobs), default=0) if self.workers else 0

    def _died(self, worker: _Worker, again: deque, done: dict) -> None:
        index, sub = worker.jobs.popleft()
        if index in self.retried:  # it died on this file twice: the file is the cause
            done[index] = (sub, self._rendered(sub, _failed(sub, "unreadable/crashed", {})))
        else:
            self.retried.add(index)
            again.append((index, sub))
        self._retire(worker, again)

    def _retire(self, worker: _Worker, again: deque) -> None:
        again.extend(worker.jobs)
        worker.jobs.clear()
        worker.stop()
        self.workers.remove(worker)
        # keep retries in submission order, so results come out as soon as they can
        ordered = sorted(again, key=lambda job: job[0])
        again.clear()
        again.extend(ordered)

    def _rendered(self, sub: Submission, result: SubmissionResult) -> Any:
        return self.render(sub, result) if self.render else result

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers.clear()


def _serve(conn: Connection, setting: tuple[int | None, City | None], render, inherited: list[Connection]) -> None:
    """A worker: checks what it is sent until its pipe closes. It inherits this process's objects, every
    Submission of the batch among them: frozen, its collector never rescans them (nor copies their pages),
    and collects only what the checks make."""
    for other in inherited:  # the parent's ends: only the parent may hold them, so a dead parent is seen
        other.close()
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    gc.freeze()
    gc.enable()
    while True:
        try:
            index, sub = conn.recv()
        except (EOFError, OSError):
            return
        result = _check_one((sub, *setting))
        conn.send((index, render(sub, result) if render else result))


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when the process that started it dies, even mid-file."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _report(result: SubmissionResult, progress: Callable[[SubmissionResult], None] | None) -> SubmissionResult:
    if progress:
        progress(result)
    return result


class Loaded(list):
    """The store's versions of a load, in discovery order; `refused` says, per submission that could not be
    recorded (its original unreadable, a row the database refused), why, in Chinese."""

    def __init__(self, versions=(), refused=()):
        super().__init__(versions)
        self.refused: list[str] = list(refused)


LOAD_BATCH = 200  # results recorded per transaction


def load_stream(store, paths: Iterable[str | Path], year: int | None = None, by: str = "系统",
                progress: Callable[[Checked], None] | None = None,
                flagged: set[int] | None = None) -> Iterator[Any]:
    """Check every submission under `paths` and record each, with its original file, in the store, in
    batches as results arrive: yields, in discovery order, each one's Version or the StoreError that says
    why it was not recorded (the rest are). Nothing is held but the batch being recorded and, per unit
    name, its first source and version. A failure of the store itself (disk full, server gone) stops the
    load; every batch before it stays recorded whole. `progress` is given each submission as the store
    will record it (a store.Checked), as it arrives.

    The workers make each result into the store's columns and keep its original in the store's data
    folder where they check it (_ForStore): this process, which records every batch, only writes rows.

    Once all are recorded, every version of a unit submitted more than once in the run gets its
    duplicate_submission finding naming the others, the first version included (its id goes into
    `flagged`), as `check` gives them. A load killed before then leaves them unflagged; loading the same
    files again flags them (each finding is added once)."""
    batch: list[_Loadable] = []
    duplicates = Duplicates(store.city)
    with _Recorder(store, by, duplicates) as recorder:
        for _, loadable in checked_pairs(iter_discover(paths), year, city=store.city,
                                         prepare=_ForStore(store.data_dir, store.city)):
            if progress and loadable.checked is not None:
                progress(loadable.checked)
            batch.append(loadable)
            if len(batch) >= LOAD_BATCH:
                recorder.put(batch)
                batch = []
                yield from recorder.recorded()
        if batch:
            recorder.put(batch)
        yield from recorder.finish()
    if duplicates:
        changed = store.add_run_findings(duplicates.tagged_findings(), by=by, batch=LOAD_BATCH)
        if flagged is not None:
            flagged.update(changed)


class _Recorder:
    """Records the batches of a load, in order, in a thread of its own, so that this process goes on
    handing submissions to the workers and taking their results while a batch is written (done in turn,
    the workers stood idle during every write). At most two batches wait; a failure of the store stops
    the recording, and is raised here with the outcomes recorded before it."""

    WAITING = 2

    def __init__(self, store, by: str, duplicates: Duplicates):
        self.store, self.by, self.duplicates = store, by, duplicates
        self.todo: queue.Queue = queue.Queue(maxsize=self.WAITING)
        self.outcomes: queue.Queue = queue.Queue()
        self.failed = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="jyjg-load-recorder", daemon=True)

    def __enter__(self) -> "_Recorder":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        # stopped early (Ctrl-C, a failure): the batch being written is finished, nothing after it is begun
        self.stopping.set()
        with contextlib.suppress(queue.Full):
            self.todo.put_nowait(None)
        self.thread.join()

    def _run(self) -> None:
        reported = Reported()
        try:
            while (batch := self.todo.get()) is not None and not self.stopping.is_set():
                self.outcomes.put(list(_recorded(self.store, batch, self.by, self.duplicates, reported)))
        except BaseException as error:  # noqa: BLE001 - handed to the loading thread, which raises it
            self.failed.set()
            self.outcomes.put(error)

    def put(self, batch: list | None) -> None:
        """Hand a batch over (None: no more); waits while two are waiting. After a failure, nothing is taken."""
        while not self.failed.is_set():
            with contextlib.suppress(queue.Full):
                self.todo.put(batch, timeout=0.5)
                return

    def recorded(self) -> Iterator[Any]:
        """The outcomes recorded so far, in order; the store's failure, once they are given."""
        while True:
            try:
                item = self.outcomes.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, BaseException):
                raise item
            yield from item

    def finish(self) -> Iterator[Any]:
        self.put(None)
        self.thread.join()
        yield from self.recorded()


@dataclasses.dataclass
class _YearReport:
    """What check_base_years needs of a result (its attributes, by the same names), and the findings it adds."""
    source: str
    org_name: str
    assess_year: int
    figures: dict
    values: dict
    cells: dict
    findings: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class _Loadable:
    """A submission as a load's worker hands it over: its columns, its original kept, and, when it reports
    figures for a year, what its base year is checked with (against the store, when it is recorded). Or
    the store's own failure while keeping it (disk full, say), raised when its batch is recorded."""
    checked: Checked | None
    original: KeptOriginal | None
    report: _YearReport | None
    failure: Exception | None = None


@dataclasses.dataclass(frozen=True)
class _ForStore:
    """What a load's worker makes of each checked submission (checked_pairs' `prepare`). Nothing here
    touches the database: keep_original writes only the data folder, where any process may copy."""
    data_dir: Path
    city: City

    def __call__(self, sub: Submission, result: SubmissionResult) -> _Loadable:
        from .store import checked_for_store, keep_original

        report = None
        if result.org_name and result.assess_year is not None and result.figures:
            report = _YearReport(result.source, result.org_name, result.assess_year, result.figures,
                                 result.values, result.cells)
        try:
            return _Loadable(checked_for_store(result, self.city), keep_original(self.data_dir, Path(sub.path)),
                             report)
        except Exception as error:  # noqa: BLE001 - the store's failure, for the recording process to raise
            return _Loadable(None, None, None, _sendable(error))


def _sendable(error: Exception) -> Exception:
    """The error itself when it crosses to another process intact (an OSError keeps its errno and file name,
    which say what happened in Chinese: failures.py), else one that says what it was."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def _recorded(store, batch: list[_Loadable], by: str, duplicates: Duplicates, reported: Reported) -> Iterator[Any]:
    from .store import StoreError

    for item in batch:
        if item.failure is not None:  # as keeping this batch's originals here would have: none of it is recorded
            raise item.failure
    check_base_years([item.report for item in batch if item.report is not None], store, reported)
    items = [(item.checked.with_findings(item.report.findings) if item.report else item.checked, item.original)
             for item in batch]
    for (checked, _), outcome in zip(items, store.record_many(items, by=by)):
        duplicates.see(checked.org_name, checked.source, None if isinstance(outcome, StoreError) else outcome.id)
        yield outcome
    reported.clear()  # recorded now: the store answers for them


class Reported(dict):
    """(unit key, year) -> (figures, source) of the reports in the batch not yet recorded, so that the next
    year's report in the same batch is compared with them (earlier batches are in the store)."""

    def add(self, result: SubmissionResult, store) -> None:
        if result.org_name and result.assess_year is not None and result.figures:
            self[store.unit_key(result.org_name), result.assess_year] = (result.figures, result.source)


def check_base_years(results: list[SubmissionResult], store, reported: Reported) -> None:
    """The base year each unit submits now against what it reported for that year before: a report found
    earlier in this load (and not yet recorded), else its current version in the store, read for the whole
    batch in one query. (A report of the year before found later in the same load is not compared: files
    named by year are found in year order.)"""
    asked = [result for result in results if result.org_name and result.assess_year is not None and result.figures]
    stored = store.reported_figures_of((result.org_name, result.assess_year - 1) for result in asked)
    for result in asked:
        key = store.unit_key(result.org_name)
        before = reported.get((key, result.assess_year - 1)) or stored.get((key, result.assess_year - 1))
        if before is not None:
            figures, source = before
            result.findings += base_year_findings(result.source, result.assess_year, result.figures,
                                                  result.values, result.cells, figures, source)
        reported.add(result, store)


def check_base_year(result: SubmissionResult, store, reported: Reported) -> None:
    """check_base_years for one result."""
    check_base_years([result], store, reported)


def load_paths(store, paths: Iterable[str | Path], year: int | None = None, by: str = "系统",
               progress: Callable[[Checked], None] | None = None) -> Loaded:
    """load_stream as a list of versions (the same file loaded twice is one version); `refused` says, per
    submission that could not be recorded, why."""
    from .store import StoreError

    loaded = Loaded()
    flagged: set[int] = set()
    for outcome in load_stream(store, paths, year, by, progress, flagged):
        if isinstance(outcome, StoreError):
            loaded.refused.append(str(outcome))
        else:
            loaded.append(outcome)
    # the versions a duplicate finding was added to, as they now are
    loaded[:] = [dataclasses.replace(store.version(v.id), created=v.created) if v.id in flagged else v for v in loaded]
    return loaded
