"""What `jyjg check` writes, at any size: the CONTRACT's JSON document, a summary that stays readable
(totals, the worst few, every row only when there are few), and, when asked, the full table as a CSV file.
Nothing here keeps a result once it is written.

Workers turn each result into one line of text (`rendered_line`: the summary's Brief and the record's
JSON), so this process only passes bytes on. The one cross-submission check, duplicates, needs a second
look: a unit's first submission is checked long before its second turns up, yet both are flagged, each
naming the other (checks.Duplicates). So the lines go to an unnamed temporary file as they arrive, with
only each unit name's first source kept in memory; then one linear pass copies them into the JSON
document, the table and the summary, adding the duplicate findings.
"""
from __future__ import annotations

import contextlib
import csv
import heapq
import itertools
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator, NamedTuple

from . import numbers
from .checks import Duplicates, SubmissionResult
from .findings import Finding
from .rubric import CITY
from .scoring import plain_number

SHOWN_PER_SUBMISSION = 5  # problem lines kept per submission for the summary; the JSON has them all
ALL_ROWS_UP_TO = 200  # up to this many submissions the summary lists every one; beyond, the worst
WORST_SHOWN = 30


JUDGED = "judged"  # the pass mark of an edition that judges more than its total: its 通过条件


def _pass_mark(edition_name: str | None) -> int | float | str | None:
    if edition_name not in CITY.editions:
        return None
    edition = CITY.edition(edition_name)
    return plain_number(edition.qualify_at) if edition.simple else JUDGED


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
    pass_mark: int | float | str | None = None  # of the rubric edition it was scored under (JUDGED: more than a mark)

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
                   _pass_mark(result.edition))

    @classmethod
    def from_json(cls, text: bytes | str) -> Brief:
        brief = cls(*json.loads(text))
        return brief._replace(problems=tuple(tuple(problem) for problem in brief.problems))

    def with_finding(self, found: Finding) -> Brief:
        problems = self.problems
        if len(problems) < SHOWN_PER_SUBMISSION:
            problems += ((found.severity, found.message),)
        if found.severity == "error":
            return self._replace(errors=self.errors + 1, problems=problems)
        return self._replace(warnings=self.warnings + 1, problems=problems)


def record_text(record: dict) -> str:
    """One submission's record as strict JSON text (NaN and Infinity are not JSON: refused, never written)."""
    return json.dumps(record, ensure_ascii=False, allow_nan=False)


def rendered_line(result: SubmissionResult, with_record: bool = True) -> tuple[str | None, str, bytes]:
    """What a worker sends back for `check`: (org name, source, line), the line being the summary's Brief
    and, `with_record`, a tab and the record's JSON text; UTF-8, one line (JSON text holds no raw tab or
    newline). A stray lone surrogate must not stop the run halfway: it is written as U+FFFD."""
    line = json.dumps(Brief.of(result), ensure_ascii=False, allow_nan=False)
    if with_record:
        line += "\t" + record_text(result.as_contract())
    return result.org_name, result.source, (line + "\n").encode("utf-8", errors="replace")


def with_finding(record: bytes, found: Finding) -> bytes:
    """A record's JSON text with one more finding. The findings are a record's last member
    (SubmissionResult.as_contract), so the finding is written in before the closing "]}", byte for byte as
    parsing the record and writing it again would give (a province run adds one to nearly every record:
    parsing 14 KB of JSON for it cost more than checking the submission's cells)."""
    if record.endswith(b"}]}") or record.endswith(b"[]}"):
        separator = b", " if record.endswith(b"}]}") else b""
        return record[:-2] + separator + record_text(found.as_contract()).encode("utf-8", errors="replace") + b"]}"
    parsed = json.loads(record)
    parsed["findings"].append(found.as_contract())
    return record_text(parsed).encode("utf-8", errors="replace")


class Spool:
    """Rendered lines kept in an unnamed temporary file (gone with the process, however it ends) until the
    run is complete; then read back in order, with the duplicate findings added."""

    def __init__(self, near: Path | None = None):
        folder = None
        if near is not None and (not near.exists() or near.is_file()):
            folder = near.parent  # beside the output: the same disk it must fit on anyway
            folder.mkdir(parents=True, exist_ok=True)
        self._file = tempfile.TemporaryFile(dir=folder, prefix=".jyjg-spool-")
        self.duplicates = Duplicates(CITY)  # the configured city's (its name folds unit names)
        self.near = near

    def add(self, org_name: str | None, source: str, line: bytes) -> None:
        self.duplicates.see(org_name, source)
        try:
            self._file.write(line)
        except OSError as error:
            raise _named(error, self.near or Path(tempfile.gettempdir())) from error

    def replay(self) -> Iterator[tuple[Brief, bytes | None]]:
        """(brief, record JSON or None), in the order added, each with its duplicate finding."""
        self._file.seek(0)
        duplicates = self.duplicates
        for line in self._file:
            brief_text, tab, record = line.rstrip(b"\n").partition(b"\t")
            brief = Brief.from_json(brief_text)
            found = duplicates.finding_for(brief.org_name, brief.source) if duplicates else None
            if found is not None:
                brief = brief.with_finding(found)
                record = with_finding(record, found) if tab else record
            yield brief, (record if tab else None)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()


class JsonDocument:
    """The CONTRACT's {"submissions": [...]} written record by record, one per line. A regular file is
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

    def add(self, record: str | bytes) -> None:
        """One record's JSON text (str, or bytes in UTF-8)."""
        if isinstance(record, str):
            # a stray lone surrogate must not stop the run halfway: it is written as U+FFFD
            record = record.encode("utf-8", errors="replace")
        self._write(b",\n" + record if self._count else record)
        self._count += 1

    def _write(self, data: str | bytes) -> None:
        try:
            self._stream.write(data.encode() if isinstance(data, str) else data)
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


# The verdict sits beside the total it is about: the re-scored one, not the evidence-backed one. Its pass mark
# is its edition's: the --table CSV is headed before any row is known, so it says 合格分; the printed summary
# names the mark when every submission had the same one (Summary.headers).
QUALIFIED_LABEL = "重算得分达到合格分"
SUMMARY_HEADERS = ("单位（或文件）", "自评分", "重算得分", QUALIFIED_LABEL, "有佐证得分", "错误", "警告")
TABLE_HEADERS = (SUMMARY_HEADERS[0], "文件", *SUMMARY_HEADERS[1:], "首个问题")


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
                                   reached(brief), shown(brief.evidenced_total), brief.errors or "",
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
        """重算得分达到<pass mark>分 when every submission was scored under one pass mark; 重算得分符合通过条件 when
        every one was scored under editions that judge more than a mark (gates, ★ items, conditions); else
        QUALIFIED_LABEL."""
        if self.pass_marks == {JUDGED}:
            return "重算得分符合通过条件"
        if len(self.pass_marks) == 1:
            return f"重算得分达到{numbers.shown(next(iter(self.pass_marks)))}分"
        return QUALIFIED_LABEL

    @property
    def headers(self) -> tuple[str, ...]:
        """SUMMARY_HEADERS, the verdict's naming the pass mark when there is one."""
        return tuple(self.reached_label if h == QUALIFIED_LABEL else h for h in SUMMARY_HEADERS)

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
