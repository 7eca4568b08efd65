"""The add-in's actions on an open 自评表, each a function of an `xlwings.Book`: validate, score, attach evidence, pack.

The same functions serve every front end: the desktop ribbon (RunPython, see the `run_*` entry points),
xlwings-server's custom scripts (custom_scripts.py) and tests (xlwings' remote engine). They only read
cell values once, before writing anything, and never read formulas or formats, so they behave the same on
engines that cannot read back what a script wrote. The checks themselves are shared/checks.py's; messages
come from shared/findings.py; the add-in's own labels from labels.py.
"""
from __future__ import annotations

import functools
import re
import shutil
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import xlwings as xw
from openpyxl.utils import get_column_letter

from shared.batch import check_paths
from shared.checks import SubmissionResult, card_of, check_roster, check_values
from shared.filenames import safe_file_name
from shared.findings import ERROR, Finding
from shared.names import ALL_NAMES, ANY_EVIDENCE_NAMES, ANY_SCORE_NAMES, EDITION
from shared.numbers import shown
from shared.rubric import CITY, Rubric
from shared.scoring import parse_year, pass_rule_text, verdict_text
from shared.submission import EVIDENCE_DIR, Submission, is_junk

from . import labels

# Codes that depend on the evidence files themselves (not judged when the book is not on this PC).
FILE_EVIDENCE_CODES = {"evidence_not_found", "evidence_broken"}
EVIDENCE_CODES = {"evidence_missing", "evidence_not_found", "evidence_unsafe", "evidence_broken"}


class AddinError(Exception):
    """Something the user has to do first; the message is Chinese and shown as it is."""


# --- reading the open book --------------------------------------------------------------------------

class BookValues:
    """The CONTRACT's named cells of an open book: `.value(name)` and `.address(name)` ('Sheet!A1').

    Reads every named cell once, a block per sheet, so it costs a few calls on any engine."""

    def __init__(self, book: xw.Book, names: Iterable[str] = ALL_NAMES):
        wanted = set(names)
        self._cells: dict[str, tuple[str, int, int]] = {}
        for name in book.names:
            try:
                key = name.name
                if key not in wanted:
                    continue
                rng = name.refers_to_range
                if rng.shape != (1, 1):
                    continue
                self._cells[key] = (rng.sheet.name, rng.row, rng.column)
            except Exception:  # a name that is not a range (constant, #REF!) is not one of ours
                continue
        self._values: dict[str, Any] = {}
        by_sheet: dict[str, list[str]] = {}
        for key, (sheet, _, _) in self._cells.items():
            by_sheet.setdefault(sheet, []).append(key)
        for sheet, keys in by_sheet.items():
            last_row = max(self._cells[k][1] for k in keys)
            last_col = max(self._cells[k][2] for k in keys)
            block = book.sheets[sheet].range((1, 1), (last_row, last_col)).options(ndim=2).value
            for key in keys:
                _, row, col = self._cells[key]
                self._values[key] = _plain(block[row - 1][col - 1])

    def value(self, name: str) -> Any:
        return self._values.get(name)

    def address(self, name: str) -> str | None:
        cell = self._cells.get(name)
        return f"{cell[0]}!{get_column_letter(cell[2])}{cell[1]}" if cell else None

    def names_at(self, sheet: str, row: int) -> list[str]:
        return [n for n, (s, r, _) in self._cells.items() if s == sheet and r == row]

    def name_of(self, address: str) -> str | None:
        return next((n for n in self._cells if self.address(n) == address), None)


def _plain(raw: Any) -> Any:
    """Office.js sends an empty cell as ""; COM as None. The checks read blank as None."""
    return None if raw == "" else raw


def book_file_name(book: xw.Book) -> str:
    """The workbook's file name, as findings name it (a remote client may send a full path as the name)."""
    return Path(book.name).name


def workbook_folder(book: xw.Book) -> Path | None:
    """The folder of a book saved on this PC (desktop Excel); None on the web or for an unsaved book."""
    try:
        path = Path(book.fullname)
    except Exception:
        return None
    return path.parent if path.is_absolute() and path.is_file() else None


# --- checking ---------------------------------------------------------------------------------------

def check_book(book: xw.Book, folder: Path | None = None, values: BookValues | None = None) -> SubmissionResult:
    """What the checker finds in this book as it is open now (evidence looked up in `folder`'s 佐证材料/)."""
    values = values if values is not None else BookValues(book)
    where = book_file_name(book)
    local = folder is not None
    # A book not on this PC is checked like a bare workbook: unsafe paths are still found; missing files are not judged.
    package = Submission(where, Path(folder) if local else Path(where), "folder" if local else "xlsx")
    result = check_values(values, where=where, evidence=package.evidence_status, source=where)
    check_roster(result)
    if not local:
        result.findings = [f for f in result.findings if f.code not in FILE_EVIDENCE_CODES]
    return result


@dataclass
class Report:
    result: SubmissionResult
    message: str  # the summary shown to the user
    evidence_checked: bool


def validate(book: xw.Book, folder: Path | None = None) -> Report:
    """Run the checks, write the 校验结果 sheet (one row per finding), colour offending cells, say a summary."""
    folder = folder if folder is not None else workbook_folder(book)
    values = BookValues(book)
    previous = _previously_marked(book, values)  # read before any write
    result = check_book(book, folder, values)
    _write_result_sheet(book, result.findings)
    _recolour(book, values, previous, result.findings)
    errors, warnings = result.counts
    if result.findings:
        message = labels.VALIDATE_FOUND.format(errors=errors, warnings=warnings, sheet=labels.RESULT_SHEET)
    else:
        message = labels.VALIDATE_OK
    if folder is None:
        message += "\n" + labels.EVIDENCE_NOT_CHECKED
    _alert(book, message)
    return Report(result, message, folder is not None)


def result_rows(findings: list[Finding]) -> list[list[Any]]:
    """The 校验结果 sheet: a header, then one row per finding in the checker's order."""
    rows: list[list[Any]] = [list(labels.RESULT_HEADERS)]
    for number, f in enumerate(findings, start=1):
        rows.append([number, labels.SEVERITY[f.severity], f.cell or "", f.rule or f.item or "", f.message])
    if not findings:
        rows.append(["", "", "", "", labels.NO_FINDINGS_ROW])
    return rows


def _result_sheet(book: xw.Book):
    for sheet in book.sheets:
        if sheet.name == labels.RESULT_SHEET:
            return sheet
    return None


def _write_result_sheet(book: xw.Book, findings: list[Finding]) -> None:
    sheet = _result_sheet(book)
    if sheet is None:
        sheet = book.sheets.add(labels.RESULT_SHEET, after=book.sheets[len(book.sheets) - 1])
    else:
        sheet.clear()
    rows = result_rows(findings)
    sheet.range("A1").value = rows
    sheet.range((1, 1), (1, len(labels.RESULT_HEADERS))).font.bold = True
    for col, width in enumerate(labels.RESULT_WIDTHS, start=1):
        sheet.range((1, col)).column_width = width
    sheet.range((1, len(labels.RESULT_HEADERS)), (len(rows), len(labels.RESULT_HEADERS))).wrap_text = True
    sheet.activate()


def _previously_marked(book: xw.Book, values: BookValues) -> set[str]:
    """Cells the last 校验 coloured: the addresses in the old 校验结果 sheet's cell column."""
    sheet = _result_sheet(book)
    if sheet is None:
        return set()
    column = labels.RESULT_CELL_COLUMN
    block = sheet.used_range.options(ndim=2).value or []
    return {str(row[column - 1]) for row in block[1:] if len(row) >= column and row[column - 1]
            and values.name_of(str(row[column - 1]))}


@functools.lru_cache(maxsize=1)
def template_fills() -> dict[str, str | None]:
    """Each named cell's fill in the blank template, to undo the colouring of a fixed cell."""
    from shared.template import build_template, named_cell

    wb = build_template()
    fills = {}
    for name in ALL_NAMES:
        if name not in wb.defined_names:  # a name of another edition's template
            continue
        fill = named_cell(wb, name).fill
        rgb = fill.fgColor.rgb if fill.fill_type == "solid" and isinstance(fill.fgColor.rgb, str) else None
        fills[name] = "#" + rgb[-6:] if rgb else None
    return fills


def _recolour(book: xw.Book, values: BookValues, previous: set[str], findings: list[Finding]) -> None:
    marks: dict[str, str] = {}
    for f in findings:
        if f.cell and values.name_of(f.cell):
            if marks.get(f.cell) != ERROR:
                marks[f.cell] = f.severity
    paints = [(a, template_fills().get(values.name_of(a))) for a in sorted(previous - set(marks))]
    paints += [(a, labels.ERROR_COLOR if s == ERROR else labels.WARNING_COLOR) for a, s in marks.items()]
    try:
        for address, colour in paints:
            _cell(book, address).color = colour
    except Exception:  # desktop Excel refuses formats on a sheet protected without “设置单元格格式”; the rows stand
        pass


def _cell(book: xw.Book, address: str):
    sheet, ref = address.rsplit("!", 1)
    return book.sheets[sheet].range(ref)


def _alert(book: xw.Book, message: str) -> None:
    book.app.alert(message, title=labels.TITLE)


# --- scores ------------------------------------------------------------------------------------------

@dataclass
class Scores:
    claimed: Decimal | None
    rescored: Decimal | None
    evidenced: Decimal | None  # None when the evidence files could not be looked at
    qualifies: bool
    message: str


def _shown(value: Decimal | None) -> str:
    return labels.SCORE_UNKNOWN if value is None else labels.POINTS.format(value=shown(value))


def score_summary(result: SubmissionResult, evidence_checked: bool) -> Scores:
    evidenced = result.evidenced_total if evidence_checked else None
    rescored = result.rescored_total or Decimal(0)
    # The pass mark of the edition the book was scored under (its year's).
    edition = CITY.edition(result.edition) if result.edition in CITY.editions else CITY.edition_for(result.assess_year)
    qualify_at = edition.qualify_at
    if not edition.simple and result.rescored_total is not None:
        verdict = labels.JUDGED.format(verdict=verdict_text(card_of(result.rules, result.values, edition)),
                                       rule=pass_rule_text(edition))
    elif result.qualifies:
        verdict = labels.QUALIFIES.format(threshold=qualify_at)
        if evidenced is not None and evidenced < qualify_at:
            verdict += "\n" + labels.EVIDENCE_SHORT.format(threshold=qualify_at)
    else:
        verdict = labels.NOT_QUALIFIES.format(threshold=qualify_at, short=shown(qualify_at - rescored))
    message = labels.SCORE_LINES.format(
        claimed=_shown(result.claimed_total), rescored=_shown(result.rescored_total),
        evidenced=_shown(evidenced) if evidence_checked else labels.EVIDENCE_UNKNOWN, verdict=verdict)
    return Scores(result.claimed_total, result.rescored_total, evidenced, result.qualifies, message)


def score(book: xw.Book, folder: Path | None = None) -> Scores:
    """Show the claimed, re-scored and evidence-backed totals and whether the pass mark is reached."""
    folder = folder if folder is not None else workbook_folder(book)
    scores = score_summary(check_book(book, folder), folder is not None)
    _alert(book, scores.message)
    return scores


# --- evidence ------------------------------------------------------------------------------------------

def book_edition(values: BookValues) -> Rubric:
    """The edition the open book was generated from (rubric_edition), else the one its year calls for."""
    named = values.value(EDITION)
    if isinstance(named, str) and named.strip() in CITY.editions:
        return CITY.edition(named.strip())
    return CITY.edition_for(parse_year(values.value("assess_year")))


def selected_rule(book: xw.Book, values: BookValues) -> str | None:
    """The rule whose row holds the selected cell (its score, evidence or any other cell of that row)."""
    selection = book.selection
    if selection is None:
        return None
    for name in values.names_at(selection.sheet.name, selection.row):
        rule = ANY_SCORE_NAMES.get(name) or ANY_EVIDENCE_NAMES.get(name)
        if rule:
            return rule
    return None


def attach_evidence(book: xw.Book, paths: Iterable[str | Path], rule: str | None = None,
                    folder: Path | None = None) -> list[str]:
    """Copy files into 佐证材料/<rule>/ beside the workbook and append their paths to the rule's evidence cell.

    Returns the relative paths written. The rule is the selected row's unless given."""
    folder = folder if folder is not None else workbook_folder(book)
    if folder is None:
        raise AddinError(labels.NEED_SAVED.format(action=labels.ACTION_ATTACH))
    values = BookValues(book)
    rule = rule or selected_rule(book, values)
    if rule is None:
        raise AddinError(labels.NEED_RULE)
    try:
        the_rule = book_edition(values).rule(rule)
    except KeyError:
        raise AddinError(labels.NEED_RULE) from None
    if the_rule.computed:
        raise AddinError(labels.COMPUTED_RULE.format(rule=rule))
    sources = [Path(p) for p in paths]
    if not sources:
        raise AddinError(labels.NO_FILES)
    for source in sources:
        if not source.is_file():
            raise AddinError(labels.FILE_MISSING.format(path=source))
    target_dir = Path(folder) / EVIDENCE_DIR / rule
    target_dir.mkdir(parents=True, exist_ok=True)
    added = [_copy_evidence(source, target_dir).relative_to(Path(folder) / EVIDENCE_DIR).as_posix()
             for source in sources]
    existing = [line.strip() for line in str(values.value(the_rule.evidence_name) or "").splitlines() if line.strip()]
    lines = existing + [p for p in added if p not in existing]
    _cell(book, values.address(the_rule.evidence_name)).value = "\n".join(lines)
    _alert(book, labels.ATTACHED.format(rule=rule, count=len(added), paths="\n".join(added)))
    return added


def _copy_evidence(source: Path, target_dir: Path) -> Path:
    """Copy under the same name; an equal file already there is reused, a different one gets “（2）”."""
    stem, suffix = source.stem, source.suffix
    candidate, n = target_dir / source.name, 1
    while candidate.exists():
        if candidate.read_bytes() == source.read_bytes():
            return candidate
        n += 1
        candidate = target_dir / f"{stem}（{n}）{suffix}"
    shutil.copyfile(source, candidate)
    return candidate


# --- packing ------------------------------------------------------------------------------------------

_UNSAFE_FILE_CHARS = re.compile(r'[\\/:*?"<>|\r\n\t]+')


def zip_name(result: SubmissionResult) -> str:
    org = _UNSAFE_FILE_CHARS.sub("_", result.org_name or "").strip(" ._")
    if not org or result.assess_year is None:
        raise AddinError(labels.PACK_NEEDS_NAME)
    return safe_file_name(labels.ZIP_NAME.format(org=org, year=result.assess_year))


def pack(book: xw.Book, folder: Path | None = None) -> Path | None:
    """Validate; if there is no error, write <单位名称>_节约型机关申报_<年度>.zip (workbook + 佐证材料/) beside the
    workbook and confirm with the checker itself that it has no evidence findings. Returns the zip, or None."""
    folder = folder if folder is not None else workbook_folder(book)
    if folder is None:
        raise AddinError(labels.NEED_SAVED.format(action=labels.ACTION_PACK))
    folder = Path(folder)
    report = validate(book, folder)
    errors, _ = report.result.counts
    if errors:
        _alert(book, labels.PACK_BLOCKED.format(errors=errors, sheet=labels.RESULT_SHEET))
        return None
    book.save()  # the zip must hold the workbook as it was just checked
    target = folder / zip_name(report.result)
    write_package(folder / book_file_name(book), folder / EVIDENCE_DIR, target)
    (checked,) = check_paths([target])
    problems = [f for f in checked.findings if f.code in EVIDENCE_CODES]
    if problems:
        target.unlink()
        _alert(book, labels.PACK_REJECTED.format(count=len(problems), sheet=labels.RESULT_SHEET))
        return None
    summary = score_summary(checked, evidence_checked=True).message
    _alert(book, labels.PACK_DONE.format(path=target, summary=summary))
    return target


def write_package(workbook: Path, evidence_dir: Path, target: Path) -> Path:
    """The zip: the workbook at the top, 佐证材料/ beside it (UTF-8 names; tool litter and links left out)."""
    tmp = target.with_name(target.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(workbook, workbook.name)
        if evidence_dir.is_dir():
            for path in sorted(evidence_dir.rglob("*")):
                relative = path.relative_to(evidence_dir).as_posix()
                if path.is_symlink() or not path.is_file() or is_junk(relative):
                    continue
                archive.write(path, f"{EVIDENCE_DIR}/{relative}")
    tmp.replace(target)
    return target


# --- RunPython entry points (desktop ribbon) -----------------------------------------------------------

def calling_book() -> xw.Book:
    """The workbook the user is working on. Called from the .xlam, Book.caller() is the add-in itself."""
    book = xw.Book.caller()
    if book.name.lower().endswith((".xlam", ".xla")):
        return book.app.books.active
    return book


def decode_vba_text(hex_units: str) -> str:
    """Text the VBA module sent as UTF-16 code units in hex (ASCII only, so any path survives the command line)."""
    return bytes.fromhex(hex_units).decode("utf-16-be") if hex_units else ""


def _run(action, *args) -> Any:
    book = calling_book()
    try:
        return action(book, *args)
    except AddinError as error:
        _alert(book, str(error))
        return None


def run_validate() -> Report | None:
    return _run(validate)


def run_score() -> Scores | None:
    return _run(score)


def run_attach_evidence(encoded_paths: str) -> list[str] | None:
    paths = [p for p in decode_vba_text(encoded_paths).split("\n") if p.strip()]
    return _run(attach_evidence, paths)


def run_pack() -> Path | None:
    return _run(pack)
