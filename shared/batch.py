"""Checking many submissions: discover them, check each in isolation, then check across the batch.

A broken submission becomes findings; nothing here lets one file stop the run.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Callable, Iterable

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
    if len(subs) >= PARALLEL_FROM and workers > 1:
        results = []
        with ProcessPoolExecutor(workers) as pool:
            try:
                for result in pool.map(_check_one, [(s, year) for s in subs], chunksize=64):
                    results.append(_report(result, progress))
            except BrokenProcessPool:  # a worker died (killed for memory, say): check the rest here
                results += [_report(check_submission(sub, year), progress) for sub in subs[len(results):]]
    else:
        results = [_report(check_submission(sub, year), progress) for sub in subs]
    check_duplicates(results)
    return results


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
