"""What `jyjg check` writes, at any size: the CONTRACT's JSON document streamed as results arrive, a
summary that stays readable (totals, the worst few, every row only when there are few), and, when
asked, the full table as a CSV file written row by row. Nothing here keeps a result once it is written.

Workers turn each result into a Brief (what the summary needs) and its JSON record text
(`rendered`), so this process only writes text; the one cross-submission check, duplicates,
needs only each unit name and the first source that gave it (checks.FirstSources).
"""
from __future__ import annotations

import contextlib
import csv
import heapq
import itertools
import json
import os
from pathlib import Path
from typing import IO, Iterator, NamedTuple

from . import numbers
from .checks import FirstSources, SubmissionResult
from .rubric import CITY
from .scoring import plain_number

SHOWN_PER_SUBMISSION = 5  # problem lines kept per submission for the summary; the JSON has them all
ALL_ROWS_UP_TO = 200  # up to this many submissions the summary lists every one; beyond, the worst
WORST_SHOWN = 30


class Brief(NamedTuple):
    """One submission as the summary shows it."""
    source: str
    org_name: str | None
    claimed_total: int | float | None
    rescored_total: int | float | None
    evidenced_total: int | float | None
    qualifies: bool
    errors: int
    warnings: int
    problems: tuple[tuple[str, str], ...]  # (severity, message) of its first findings
    pass_mark: int | float | None = None  # of the rubric edition it was scored under

    @property
    def name(self) -> str:
        return self.org_name or Path(self.source).name

    @classmethod
    def of(cls, result: SubmissionResult) -> Brief:
        errors, warnings = result.counts
        return cls(result.source, result.org_name, plain_number(result.claimed_total),
                   plain_number(result.rescored_total), plain_number(result.evidenced_total),
                   bool(result.qualifies) and result.rescored_total is not None, errors, warnings,
                   tuple((f.severity, f.message) for f in result.findings[:SHOWN_PER_SUBMISSION]),
                   plain_number(CITY.edition(result.edition).qualify_at) if result.edition in CITY.editions else None)


def record_text(record: dict) -> str:
    """One submission's record as strict JSON text (NaN and Infinity are not JSON: refused, never written)."""
    return json.dumps(record, ensure_ascii=False, allow_nan=False)


def rendered(result: SubmissionResult) -> tuple[Brief, str]:
    """What a worker sends back for `check`: the summary's Brief and the record's JSON text."""
    return Brief.of(result), record_text(result.as_contract())


def with_duplicates(seen: FirstSources, brief: Brief, text: str) -> tuple[Brief, str]:
    """The cross-submission check on a streamed record: a later submission for a unit already seen gets
    its duplicate_submission finding (the first one was written before the second arrived)."""
    found = seen.duplicate(brief.org_name, brief.source)
    if found is None:
        return brief, text
    record = json.loads(text)
    record["findings"].append(found.as_contract())
    problems = brief.problems + ((found.severity, found.message),) if len(brief.problems) < SHOWN_PER_SUBMISSION \
        else brief.problems
    return brief._replace(warnings=brief.warnings + 1, problems=problems), record_text(record)


class JsonDocument:
    """The CONTRACT's {"submissions": [...]} written as records arrive, one per line. A regular file is
    written beside its place and renamed into it when complete, so a failed or killed run never leaves
    half a document; a device or pipe (/dev/stdout) is written as is."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self._temporary: Path | None = None
        if self.out.exists() and not self.out.is_file() and not self.out.is_dir():
            self._stream: IO[bytes] = open(self.out, "wb")
        else:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self._temporary = self.out.with_name(f".{self.out.name}.{os.getpid()}.tmp")
            self._stream = open(self._temporary, "wb")
        self._count = 0
        self._write('{"submissions": [\n')

    def add(self, text: str) -> None:
        self._write((",\n" if self._count else "") + text)
        self._count += 1

    def _write(self, text: str) -> None:
        try:
            # a stray lone surrogate must not stop the run halfway: it is written as U+FFFD
            self._stream.write(text.encode("utf-8", errors="replace"))
        except OSError as error:
            raise _named(error, self.out) from error

    def close(self) -> None:
        """Finish the document and put it in place."""
        self._write("\n]}\n")
        try:
            self._stream.close()
            if self._temporary is not None:
                os.replace(self._temporary, self.out)
                self._temporary = None
        except OSError as error:
            raise _named(error, self.out) from error

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._stream.close()
        if self._temporary is not None:
            with contextlib.suppress(OSError):
                self._temporary.unlink()


def _named(error: OSError, out: Path) -> OSError:
    """The error, naming the file the user asked for rather than its temporary neighbour."""
    return OSError(error.errno, error.strerror, str(out))


# 达到合格分: the pass mark is its edition's (written before any row is known, so not a number here).
TABLE_HEADERS = ("单位（或文件）", "文件", "自评分", "重算得分", "有佐证得分", "达到合格分", "错误", "警告", "首个问题")


class TableFile:
    """The summary's full table as a CSV file (UTF-8 with a BOM, as Excel and WPS open it), row by row."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._stream = open(self.out, "w", encoding="utf-8-sig", errors="replace", newline="")
        self._writer = csv.writer(self._stream)
        self._writer.writerow(TABLE_HEADERS)

    def add(self, brief: Brief) -> None:
        first = brief.problems[0][1] if brief.problems else ""
        try:
            self._writer.writerow((brief.name, brief.source, shown(brief.claimed_total), shown(brief.rescored_total),
                                   shown(brief.evidenced_total), reached(brief), brief.errors or "",
                                   brief.warnings or "", first))
        except OSError as error:
            raise _named(error, self.out) from error

    def close(self) -> None:
        try:
            self._stream.close()
        except OSError as error:
            raise _named(error, self.out) from error


def shown(value) -> str:
    return "—" if value is None else numbers.shown(value)


def reached(brief: Brief) -> str:
    return "—" if brief.rescored_total is None else ("是" if brief.qualifies else "否")


class Summary:
    """Totals of a run and the submissions worth a look: every one while there are few, then the worst
    WORST_SHOWN (most errors, then most warnings), whatever the size of the run."""

    def __init__(self, worst: int | None = None, all_up_to: int | None = None):
        self.count = self.qualified = self.clean = 0
        self.pass_marks: set = set()  # of the editions the submissions were scored under
        self._worst_n = WORST_SHOWN if worst is None else worst
        self._all_up_to = ALL_ROWS_UP_TO if all_up_to is None else all_up_to
        self._all: list[Brief] | None = []
        self._worst: list[tuple[int, int, int, Brief]] = []
        self._order = itertools.count()

    def add(self, brief: Brief) -> None:
        self.count += 1
        self.qualified += brief.qualifies
        if brief.pass_mark is not None:
            self.pass_marks.add(brief.pass_mark)
        self.clean += not brief.errors
        if self._all is not None:
            self._all.append(brief)
            if len(self._all) > self._all_up_to:
                self._all = None
        # a min-heap of the worst kept so far; ties keep the earlier submission
        entry = (brief.errors, brief.warnings, -next(self._order), brief)
        if len(self._worst) < self._worst_n:
            heapq.heappush(self._worst, entry)
        elif entry[:3] > self._worst[0][:3]:
            heapq.heapreplace(self._worst, entry)

    @property
    def reached_label(self) -> str:
        """达到<pass mark>分 when every submission was scored under one pass mark, else 达到合格分."""
        return f"达到{numbers.shown(next(iter(self.pass_marks)))}分" if len(self.pass_marks) == 1 else "达到合格分"

    @property
    def complete(self) -> bool:
        """Whether rows() lists every submission."""
        return self._all is not None

    def rows(self) -> list[Brief]:
        """Every submission in order while there are few; else the worst, worst first."""
        if self._all is not None:
            return list(self._all)
        return [entry[3] for entry in sorted(self._worst, key=lambda e: e[:3], reverse=True)]


def briefs(results) -> Iterator[Brief]:
    return (Brief.of(r) for r in results)
