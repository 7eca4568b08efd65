"""Checking many submissions: discover them, check each in isolation, then check across the batch.

A broken submission becomes findings; nothing here lets one file stop the run.
"""
from __future__ import annotations

import contextlib
import gc
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .checks import SubmissionResult, check_duplicates, check_roster, check_values
from .findings import finding
from .submission import PackageError, Submission, discover
from .workbook import WorkbookError, read_named_values

# Below this many submissions a process pool costs more than it saves.
PARALLEL_FROM = 400


def check_submission(sub: Submission, year: int | None = None) -> SubmissionResult:
    """Check one submission; every failure becomes a finding on its result."""
    try:
        inner_name, data = sub.workbook()
        values = read_named_values(data)
    except (WorkbookError, PackageError) as error:
        return _failed(sub, error.kind, error.fields)
    except Exception as error:  # a reader bug must not stop the batch; say what happened
        return _failed(sub, "unreadable", {"reason": f"读取时出错：{type(error).__name__}"})
    try:
        result = check_values(values, where=sub.source, year=year, evidence=sub.evidence_status, source=sub.source)
    except Exception as error:
        return _failed(sub, "unreadable", {"reason": f"校验时出错：{type(error).__name__}"})
    result.workbook_name = inner_name
    check_roster(result)
    return result


def _failed(sub: Submission, kind: str, fields: dict) -> SubmissionResult:
    result = SubmissionResult(source=sub.source)
    fields = {"reason": "", "entry": "", "count": "", "names": "", **fields}
    result.findings.append(finding(kind, where=sub.source, **fields))
    return result


def _check_one(args: tuple[Submission, int | None]) -> SubmissionResult:
    return check_submission(*args)


def check_paths(paths: Iterable[str | Path], year: int | None = None,
                progress: Callable[[SubmissionResult], None] | None = None,
                workers: int | None = None) -> list[SubmissionResult]:
    """Check every submission found under `paths`, in a stable order."""
    return check_all(discover(paths), year, progress, workers)


def check_all(subs: list[Submission], year: int | None = None,
              progress: Callable[[SubmissionResult], None] | None = None,
              workers: int | None = None) -> list[SubmissionResult]:
    """Check each submission (in parallel when there are many), then across the batch."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    results = _check_in_pool(subs, year, progress, workers) if len(subs) >= PARALLEL_FROM and workers > 1 else []
    # Serially, or the rest after a worker died (killed for memory, say).
    results += [_report(check_submission(sub, year), progress) for sub in subs[len(results):]]
    check_duplicates(results)
    return results


def _check_in_pool(subs: list[Submission], year: int | None, progress: Callable[[SubmissionResult], None] | None,
                   workers: int) -> list[SubmissionResult]:
    """The results in order, from worker processes; fewer than asked when a worker dies."""
    results: list[SubmissionResult] = []
    # This process only unpickles results here, which makes no reference cycles (tests/test_demo.py holds
    # it to that), yet thousands of results make the cyclic collector rescan them again and again. So it
    # rests; the workers, whose evidence checks do make cycles, keep theirs (see _worker_start).
    with _collector_paused(), ProcessPoolExecutor(workers, initializer=_worker_start) as pool:
        try:
            for result in pool.map(_check_one, [(s, year) for s in subs], chunksize=64):
                results.append(_report(result, progress))
        except BrokenProcessPool:
            pass
    return results


def _worker_start() -> None:
    """A forked worker inherits this process's objects, every Submission of the batch among them: frozen,
    its collector never rescans them (nor copies their pages), and collects only what the checks make."""
    gc.freeze()
    gc.enable()


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


def load_paths(store, paths: Iterable[str | Path], year: int | None = None, by: str = "系统",
               progress: Callable[[SubmissionResult], None] | None = None) -> list:
    """Check every submission under `paths` and record each, with its original file, in the store.

    Returns the store's versions in discovery order; the same file loaded twice is one version.
    """
    subs = discover(paths)
    results = check_all(subs, year, progress)
    return [store.record(result, sub.path, by=by) for sub, result in zip(subs, results)]
