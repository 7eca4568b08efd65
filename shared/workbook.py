"""Reading a 自评表 by its workbook-scoped defined names: fast, bounded and safe against hostile files.

Only the named cells are read (zipfile + lxml, streaming each sheet and stopping early); openpyxl is
far too slow for a batch. Every failure is a WorkbookError whose `kind` is a findings.py key and
whose `reason` is Chinese, so a bad file becomes a finding and never stops the run.
"""
from __future__ import annotations

import functools
import io
import math
import posixpath
import threading
import re
import struct
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import IO, AbstractSet, Any, Iterable, Iterator, Mapping, NamedTuple
from urllib.parse import unquote

from lxml import etree

from . import names as contract_names
from .files import open_regular, reason_for
from .xmlscan import NotPlain, scan_cells, scan_strings, workbook_template_key
from .xmlscan import element_text as _item_runs  # one reading of a string item for both paths
from .zipentry import read_entry

# Limits: a real 自评表 is well under 1 MB; these only stop hostile files.
MAX_PART_BYTES = 50 * 1024 * 1024  # one XML part, uncompressed
MAX_PART_RATIO = 200  # uncompressed / compressed, for parts above RATIO_CHECK_FROM
RATIO_CHECK_FROM = 1024 * 1024
WHOLE_PARSE_BYTES = 2 * 1024 * 1024  # parts up to this size are parsed whole (C speed); bigger ones streamed
MAX_ZIP_ENTRIES = 10_000

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# Encrypted OOXML is an OLE2 file holding these streams (names are UTF-16LE in the directory).
ENCRYPTED_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
OLE2_SCAN_LIMIT = 64 * 1024 * 1024

OFFICE_DOCUMENT_RELS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
    "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",
)
WORKSHEET_REL_SUFFIX = "/worksheet"
SHARED_STRINGS_REL_SUFFIX = "/sharedStrings"

_CORE_FOLDED = tuple(name.lower() for name in contract_names.CORE_NAMES)
_SAFE_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                            dtd_validation=False)


class CellError(str):
    """An Excel error value such as '#DIV/0!' or '#N/A': text, but never mistaken for a blank or a string."""

    def __repr__(self) -> str:
        return f"CellError({str.__repr__(self)})"


class WorkbookError(Exception):
    """A workbook that cannot be read: `kind` is a findings.py key, `reason` says why in Chinese."""

    def __init__(self, kind: str, reason: str):
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason

    @property
    def fields(self) -> dict[str, str]:
        """The message fields for findings.finding(self.kind, where=..., **self.fields)."""
        return {"reason": self.reason}


@dataclass
class NamedCell:
    name: str
    sheet: str
    ref: str  # 'F23'
    value: Any
    has_formula: bool = False

    @property
    def address(self) -> str:
        return f"{self.sheet}!{self.ref}"


@dataclass(frozen=True)
class Place:
    """Where a name points: the sheet as the workbook spells it, the cell, and 'Sheet!A1'."""
    sheet: str
    ref: str
    address: str


class NamedValues:
    """The named cells of one workbook. Values are per workbook; places come from the (shared) read plan."""

    def __init__(self, values: dict[str, Any], places: Mapping[str, Place], formulas: frozenset[str] | set[str],
                 addresses: Mapping[str, str] | None = None, asked: tuple[str, ...] = ()):
        self._values = values  # the names found (no others)
        self._places = places  # the names found, in the order asked for
        self._formulas = formulas
        self._asked = asked  # the names it was read for, in order
        # The checks ask for a value or an address some 400 times a workbook: each is one dict look-up.
        self.value = values.get
        self._addresses = (addresses if addresses is not None
                           else {name: place.address for name, place in places.items()})
        self.address = self._addresses.get

    def value(self, name: str) -> Any:  # (replaced per instance by its values' get, above)
        return self._values.get(name)

    def address(self, name: str) -> str | None:  # (replaced per instance, above)
        place = self._places.get(name)
        return place.address if place else None

    def __contains__(self, name: object) -> bool:
        return name in self._places

    def as_dicts(self, names: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, str]]:
        """(name -> value of each of `names`, None when not found; name -> 'Sheet!A1' of those found), in the
        order of `names`: what a check's result keeps. Copied whole when `names` are the names the workbook
        was read for, as in a check: both hold only names found, in the order asked for."""
        if names == self._asked:
            values = dict.fromkeys(names)
            values.update(self._values)
            return values, dict(self._addresses)
        address = self.address
        return ({name: self._values.get(name) for name in names},
                {name: found for name in names if (found := address(name))})

    @property
    def cells(self) -> dict[str, NamedCell]:
        """Each name's cell in full (for diagnostics and tests; the checks use value and address)."""
        return {name: NamedCell(name, place.sheet, place.ref, self._values.get(name), name in self._formulas)
                for name, place in self._places.items()}


# --- public entry points ----------------------------------------------------------------------

def read_named_values(source: str | Path | bytes | IO[bytes],
                      names: Iterable[str] = contract_names.ALL_NAMES) -> NamedValues:
    """The values of the named cells of a 自评表. Raises WorkbookError, and nothing else, for any other file."""
    wanted = list(names)
    try:
        with _Package.open(source) as package:
            return package.read_named_values(wanted)
    except WorkbookError:
        raise
    except Exception as error:  # a hostile file must become a finding, whatever it trips over
        raise WorkbookError("unreadable", _reason_for(error)) from error


def workbook_names(source: str | Path | bytes | IO[bytes]) -> dict[str, str]:
    """Every workbook-scoped single-cell defined name -> 'Sheet!A1' (for tests and diagnostics)."""
    try:
        with _Package.open(source) as package:
            return {name: f"{sheet}!{ref}" for name, (sheet, ref) in package.defined_names().items()}
    except WorkbookError:
        raise
    except Exception as error:
        raise WorkbookError("unreadable", _reason_for(error)) from error


def open_zip(fileobj: IO[bytes], what: str = "文件") -> zipfile.ZipFile:
    """A ZipFile, refusing before parsing a central directory with absurdly many entries."""
    count = zip_entry_count(fileobj)
    if count is None:
        raise WorkbookError("unreadable", f"{what}不是有效的 zip 格式，或文件不完整")
    if count > MAX_ZIP_ENTRIES:
        raise WorkbookError("unreadable", f"{what}中有 {count} 个条目，超过 {MAX_ZIP_ENTRIES} 个")
    fileobj.seek(0)
    return zipfile.ZipFile(fileobj)


def zip_entry_count(fileobj: IO[bytes]) -> int | None:
    """Entries declared by a zip's end record (zip64 aware), or None when there is no end record."""
    try:
        end = zipfile._EndRecData(fileobj)  # stable since Python 2; parses only the end records
    except (OSError, struct.error, ValueError):
        return None
    if not end:
        return None
    return int(end[zipfile._ECD_ENTRIES_TOTAL])


def sniff(head: bytes) -> str:
    """'zip', 'ole2', 'empty' or 'other' from a file's first bytes."""
    if not head:
        return "empty"
    if head.startswith(OLE2_MAGIC):
        return "ole2"
    if head[:4] in ZIP_MAGICS:
        return "zip"
    return "other"


# --- reading ------------------------------------------------------------------------------------

class _Package:
    """One opened .xlsx zip."""

    def __init__(self, zf: zipfile.ZipFile, owned: IO[bytes] | None):
        self.zf = zf
        self._owned = owned
        # OPC part names are case-insensitive; some writers differ in case from their own rels.
        self._parts = {info.filename.replace("\\", "/").lstrip("/").lower(): info for info in zf.infolist()}
        self._workbook_part: str | None = None

    @classmethod
    def open(cls, source: str | Path | bytes | IO[bytes]) -> "_Package":
        owned: IO[bytes] | None = None
        try:
            if isinstance(source, (bytes, bytearray, memoryview)):
                fileobj: IO[bytes] = io.BytesIO(bytes(source))
            elif isinstance(source, (str, Path)):
                try:
                    fileobj = owned = open_regular(source)
                except OSError as error:
                    raise WorkbookError("unreadable", f"文件{reason_for(error)}") from error
            else:
                fileobj = source
                if not fileobj.seekable():
                    fileobj = io.BytesIO(fileobj.read(MAX_PART_BYTES * 4 + 1))
            fileobj.seek(0)
            head = fileobj.read(8)
            kind = sniff(head)
            if kind == "empty":
                raise WorkbookError("unreadable/empty", "文件是空的（0 字节）")
            if kind == "ole2":
                fileobj.seek(0)
                if _ole2_is_encrypted(fileobj):
                    raise WorkbookError("unreadable/encrypted", "文件设置了打开密码")
                raise WorkbookError("unreadable/xls", "这是旧版 Excel 97-2003（.xls）或 WPS 格式的文件")
            if kind != "zip":
                raise WorkbookError("unreadable", _not_zip_reason(head))
            try:
                zf = open_zip(fileobj, "工作簿")
            except WorkbookError:
                raise
            except (zipfile.BadZipFile, EOFError, OSError, ValueError, struct.error, NotImplementedError,
                    UnicodeError) as error:
                raise WorkbookError("unreadable", "文件已损坏或不完整（不是有效的 .xlsx）") from error
            return cls(zf, owned)
        except BaseException:
            if owned:
                owned.close()
            raise

    def __enter__(self) -> "_Package":
        return self

    def __exit__(self, *exc) -> None:
        self.zf.close()
        if self._owned:
            self._owned.close()

    # parts

    def _info(self, part: str) -> zipfile.ZipInfo | None:
        return self._parts.get(part.lstrip("/").lower())

    def _open_part(self, part: str) -> IO[bytes]:
        return _CappedReader(self.zf.open(self._checked_info(part)), MAX_PART_BYTES, part)

    def _checked_info(self, part: str) -> zipfile.ZipInfo:
        info = self._info(part)
        if info is None:
            raise WorkbookError("unreadable", f"工作簿缺少“{part}”部件")
        if info.flag_bits & 0x1:
            raise WorkbookError("unreadable/encrypted", "工作簿的内容被加密")
        if info.file_size > MAX_PART_BYTES:
            raise WorkbookError("unreadable", f"“{part}”解压后过大（超过 {MAX_PART_BYTES // 1024 // 1024} MB）")
        if info.file_size > RATIO_CHECK_FROM and info.file_size > MAX_PART_RATIO * max(info.compress_size, 1):
            raise WorkbookError("unreadable", f"“{part}”的压缩比异常（疑似压缩炸弹）")
        return info

    def _read_part(self, part: str, shared: bool = False) -> bytes:
        """A part's bytes. `shared`: a part every workbook of a template has alike (rels, workbook.xml)."""
        info = self._checked_info(part)
        data = read_entry(self.zf.fp, info, remember=shared)
        if data is None:
            with self.zf.open(info) as stream:
                # Never more than the header declares (checked above); a part that holds more fails its CRC.
                data = stream.read(info.file_size)
        return data

    def workbook_part(self) -> str:
        if self._workbook_part is None:
            self._workbook_part = self._find_workbook_part()
        return self._workbook_part

    def _find_workbook_part(self) -> str:
        candidates = []
        if self._info("_rels/.rels"):
            candidates += _office_documents(self._read_part("_rels/.rels", shared=True))
        candidates.append("xl/workbook.xml")
        for part in candidates:
            if self._info(part):
                if part.lower().endswith(".bin"):
                    break
                return part
        if self._info("xl/workbook.bin"):
            raise WorkbookError("unreadable/xls", "这是 Excel 二进制工作簿（.xlsb）")
        raise WorkbookError("unreadable", _foreign_zip_reason(self._parts))

    # names

    def defined_names(self) -> dict[str, tuple[str, str]]:
        """Workbook-scoped single-cell names -> (sheet name as in the workbook, 'A1')."""
        found = {}
        for name, text in self._name_formulas().items():
            target = _single_cell_target(text)
            if target:
                found[name] = target
        return found

    def _name_formulas(self) -> dict[str, str]:
        """Workbook-scoped name -> its formula text, first definition winning."""
        part = self.workbook_part()
        formulas, _ = _workbook_entries(self._read_part(part), part)
        return dict(formulas)

    def read_named_values(self, wanted: list[str]) -> NamedValues:
        wb_part = self.workbook_part()
        rels_part = _rels_part(wb_part)
        rels = self._read_part(rels_part, shared=True) if self._info(rels_part) else None
        plan = _PLANS.plan(self._read_part(wb_part, shared=True), wb_part, rels, tuple(wanted))
        values: dict[str, Any] = {}
        formulas: set[str] = set()
        # The shared strings of every sheet are looked up together: the part is inflated and scanned once.
        pending_strings: list[tuple[tuple[str, ...], int]] = []
        for part, refs, wanted_refs in plan.parts:
            raw = self._read_cells(part, wanted_refs)
            for ref, names in refs.items():
                cell = raw.get(ref)
                kind, value, has_formula = _NO_CELL if cell is None else _convert(*cell)
                if kind == "s":
                    pending_strings.append((names, value))
                if has_formula:
                    formulas.update(names)
                for name in names:
                    values[name] = value
        if pending_strings:
            strings = self._shared_strings(plan.shared_strings, {index for _, index in pending_strings})
            for names, index in pending_strings:
                for name in names:
                    values[name] = strings.get(index)
        return NamedValues(values, plan.places, formulas, plan.addresses, tuple(wanted))

    def _read_cells(self, part: str, refs: AbstractSet[str]) -> dict[str, RawCell]:
        """ref -> the wanted cells as written (RawCell)."""
        info = self._info(part)
        if info is not None and info.file_size <= WHOLE_PARSE_BYTES:
            data = self._read_part(part)
            try:
                scanned = scan_cells(data, refs)
            except NotPlain:
                return _cells_in_tree(_parse_small(data, part), refs)
            return scanned
        with self._open_part(part) as stream:
            return _cells_streamed(_iter_end(stream, part, ("{*}c", "{*}row")), refs)

    def _shared_strings(self, part: str | None, indexes: set[int]) -> dict[int, str]:
        if part is None or self._info(part) is None:
            part = "xl/sharedStrings.xml" if self._info("xl/sharedStrings.xml") else None
        if part is None:
            return {}
        out: dict[int, str] = {}
        if self._info(part).file_size <= WHOLE_PARSE_BYTES:
            data = self._read_part(part)
            try:
                return {i: _unescape(text) for i, text in scan_strings(data, indexes).items()}
            except NotPlain:
                pass
            items = _parse_small(data, part).findall("{*}si")
            return {i: _string_item_text(items[i]) for i in indexes if 0 <= i < len(items)}
        last = max(indexes)
        with self._open_part(part) as stream:
            for index, el in enumerate(_iter_end(stream, part, ("{*}si",))):
                if index in indexes:
                    out[index] = _string_item_text(el)
                el.clear()
                while el.getprevious() is not None:
                    del el.getparent()[0]
                if index >= last:
                    break
        return out


def _cells_in_tree(root: etree._Element, refs: set[str]) -> dict[str, RawCell]:
    out = {}
    tag = root.tag
    # An exact tag is much faster for lxml to match than the {*} wildcard.
    cell_tag = tag[: tag.index("}") + 1] + "c" if tag.startswith("{") else "c"
    for el in root.iter(cell_tag):
        ref = el.get("r")
        if ref is None:
            return _cells_by_position(root, refs)
        if ref not in refs:
            if "$" not in ref and ref.isupper():
                continue
            ref = ref.replace("$", "").upper()
            if ref not in refs:
                continue
        out[ref] = _cell_value(el)
        if len(out) == len(refs):
            break
    return out


def _cells_by_position(root: etree._Element, refs: set[str]) -> dict[str, RawCell]:
    """For writers that leave out the optional r attributes: rows and cells follow one another."""
    out = {}
    row_number = 0
    for row in root.iter("{*}row"):
        row_number = int(row.get("r") or row_number + 1)
        col = 0
        for el in row.iterchildren("{*}c"):
            ref = el.get("r")
            col = _col_number(ref.replace("$", "").upper()) if ref else col + 1
            key = f"{_col_letters(col)}{row_number}"
            if key in refs:
                out[key] = _cell_value(el)
    return out


def _cells_streamed(events: Iterator[etree._Element], refs: set[str]) -> dict[str, RawCell]:
    """The same as _cells_in_tree over iterparse end events of c and row, for big sheets; stops early."""
    out: dict[str, RawCell] = {}
    max_row = max(_row_of(ref) for ref in refs)
    last_row = 0
    row_el = None
    col = 0
    for el in events:
        if el.tag[-1] == "w":  # </row>
            last_row = int(el.get("r") or last_row + 1)
            el.clear()
            while el.getprevious() is not None:
                del el.getparent()[0]
            if last_row >= max_row:
                break
            continue
        parent = el.getparent()
        if parent is not row_el:
            row_el, col = parent, 0
        ref = el.get("r")
        if ref is None:  # optional in the format: position follows the previous cell
            col += 1
            row_r = parent.get("r") if parent is not None else None
            ref = f"{_col_letters(col)}{row_r or last_row + 1}"
        else:
            ref = ref.replace("$", "").upper()
            col = _col_number(ref)
        if ref in refs:
            out[ref] = _cell_value(el)
            if len(out) == len(refs):
                break
        el.clear()
    return out


# --- XML helpers --------------------------------------------------------------------------------

_PARSERS = threading.local()


def _parse_small(data: bytes, part: str) -> etree._Element:
    # One parser per thread: making one costs more than parsing a small part (lxml parsers aren't shared).
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = etree.XMLParser(**_SAFE_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise WorkbookError("unreadable", f"“{part}”不是有效的 XML（{_short(error)}）") from error
    if root is None:
        raise WorkbookError("unreadable", f"“{part}”是空的")
    _refuse_doctype(root, part)
    return root


def _iter_end(stream: IO[bytes], part: str, tags: tuple[str, ...]) -> Iterator[etree._Element]:
    """End events of `tags`, refusing any DOCTYPE (Excel never writes one; it is how XXE and bombs start)."""
    context = etree.iterparse(stream, events=("end",), tag=tags, **_SAFE_PARSER_OPTIONS)
    checked = False
    try:
        for _, el in context:
            if not checked:
                _refuse_doctype(el, part)
                checked = True
            yield el
    except etree.XMLSyntaxError as error:
        raise WorkbookError("unreadable", f"“{part}”不是有效的 XML（{_short(error)}）") from error
    if not checked and getattr(context, "root", None) is not None:
        _refuse_doctype(context.root, part)


def _refuse_doctype(el: etree._Element, part: str) -> None:
    info = el.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise WorkbookError("unreadable", f"“{part}”含有 DOCTYPE 声明（可能是恶意构造的文件）")


def _short(error: Exception) -> str:
    text = str(error).split(", line")[0]
    return text[:80]


@dataclass(frozen=True)
class _Rel:
    id: str
    type: str
    target: str
    external: bool


class ReadPlan(NamedTuple):
    """Which cells of which sheet parts hold the wanted names; read-only, as the cache shares it."""
    parts: tuple[tuple[str, Mapping[str, tuple[str, ...]], frozenset[str]], ...]  # (sheet part, {ref: names}, refs)
    places: Mapping[str, Place]  # name -> where it points, in the order the names were asked for
    shared_strings: str | None  # the shared-strings part the workbook's rels name
    # name -> 'Sheet!A1' (places' addresses, looked up by every check). A plain dict, which nothing changes
    # (NamedValues only looks up and copies it): a result's copy of a plain dict costs a fifth of a proxy's.
    addresses: dict[str, str]


_NO_CELL = (None, None, False)
# A cell as written: (t attribute, <v> text, has a formula, inline string text with _xHHHH_ escapes).
RawCell = tuple[str | None, str | None, bool, str | None]


# Submissions made from one template share their workbook.xml and rels byte for byte, so what is worked
# out from them is remembered per template. Only small parts are: hostile files cannot fill memory.
CACHED_PART_BYTES = 256 * 1024


def _remembered_for_small_parts(func):
    """`func`, remembered for its last 64 argument lists when every bytes argument is small."""
    remembered = functools.lru_cache(maxsize=64)(func)

    @functools.wraps(func)
    def call(*args):
        small = all(len(arg) <= CACHED_PART_BYTES for arg in args if isinstance(arg, bytes))
        return (remembered if small else func)(*args)
    call.cache_info, call.cache_clear = remembered.cache_info, remembered.cache_clear
    return call


def _rels_part(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


class _Plans:
    """Read plans remembered per template: by workbook.xml's template key (xmlscan.workbook_template_key: two
    units' workbook.xml differ in window sizes and the like, not in their names), the rels and the names
    wanted; and, found faster, by workbook.xml's own bytes. Only for small parts, and at most `size` in
    each map, the oldest let go first: hostile files cannot fill memory (some 64 × 3 parts of 256 KB)."""

    def __init__(self, size: int = 64):
        self._plans: dict[tuple, ReadPlan] = {}  # by template key
        self._by_bytes: dict[tuple, ReadPlan] = {}  # by workbook.xml itself, which is found faster
        self._size = size
        self._adding = threading.Lock()  # a look-up needs none (one dict get); dropping the oldest does
        self.hits = self.misses = 0

    def plan(self, workbook: bytes, wb_part: str, rels: bytes | None, wanted: tuple[str, ...]) -> ReadPlan:
        if len(workbook) > CACHED_PART_BYTES or (rels is not None and len(rels) > CACHED_PART_BYTES):
            return _read_plan(workbook, wb_part, rels, wanted)
        exact = (workbook, wb_part, rels, wanted)
        plan = self._by_bytes.get(exact)
        if plan is not None:
            self.hits += 1
            return plan
        key = (workbook_template_key(workbook), wb_part, rels, wanted)
        plan = self._plans.get(key)
        if plan is not None:
            self.hits += 1
        else:
            self.misses += 1
            plan = _read_plan(workbook, wb_part, rels, wanted)  # raises for a part that is not a template
            self._add(self._plans, key, plan)
        self._add(self._by_bytes, exact, plan)
        return plan

    def _add(self, plans: dict[tuple, ReadPlan], key: tuple, plan: ReadPlan) -> None:
        with self._adding:
            if key not in plans and len(plans) >= self._size:
                plans.pop(next(iter(plans)), None)  # the oldest
            plans[key] = plan

    def __len__(self) -> int:
        return len(self._plans)

    def clear(self) -> None:
        with self._adding:
            self._plans.clear()
            self._by_bytes.clear()
        self.hits = self.misses = 0


_PLANS = _Plans()


def _read_plan(workbook: bytes, wb_part: str, rels: bytes | None, wanted: tuple[str, ...]) -> ReadPlan:
    """Where the wanted names point (sheet parts, cells, places) and the shared-strings part."""
    formula_items, sheet_entries = _workbook_entries(workbook, wb_part)
    # Excel names are case-insensitive: match 'Total_Score' to 'total_score'.
    formulas = {name.lower(): text for name, text in formula_items}
    if not any(_single_cell_target(formulas.get(core, "")) for core in _CORE_FOLDED):
        raise WorkbookError("not_a_template", "找不到规定的单元格名称")
    targets = {}
    if rels is not None:
        for rel in _relationships(_parse_small(rels, _rels_part(wb_part))):
            if not rel.external:
                targets[rel.id] = (rel.type, _resolve_target(posixpath.dirname(wb_part), rel.target))
    shared_strings = next((t for kind, t in targets.values() if kind.endswith(SHARED_STRINGS_REL_SUFFIX)), None)
    sheets = {}
    for name, rel_id in sheet_entries:
        if name and rel_id in targets and targets[rel_id][0].endswith(WORKSHEET_REL_SUFFIX):
            sheets[name.casefold()] = (name, targets[rel_id][1])
    by_part: dict[str, dict[str, list[str]]] = {}
    places: dict[str, Place] = {}
    for name in wanted:
        target = _single_cell_target(formulas.get(name.lower(), ""))
        if not target:
            continue
        sheet, ref = target
        entry = sheets.get(sheet.casefold())
        if entry is None:
            continue  # points at a chart sheet or a sheet that no longer exists: as if undefined
        by_part.setdefault(entry[1], {}).setdefault(ref, []).append(name)
        places[name] = Place(entry[0], ref, f"{entry[0]}!{ref}")
    parts = tuple((part, MappingProxyType({ref: tuple(names) for ref, names in refs.items()}), frozenset(refs))
                  for part, refs in by_part.items())
    return ReadPlan(parts, MappingProxyType(places), shared_strings,
                    {name: place.address for name, place in places.items()})


@_remembered_for_small_parts
def _office_documents(package_rels: bytes) -> tuple[str, ...]:
    """The parts the package's own rels name as its main document (normally xl/workbook.xml)."""
    return tuple(_resolve_target("", rel.target) for rel in _relationships(_parse_small(package_rels, "_rels/.rels"))
                 if rel.type in OFFICE_DOCUMENT_RELS)


def _workbook_entries(data: bytes, part: str) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str | None], ...]]:
    """(workbook-scoped name -> formula text, first definition winning; (sheet name, relationship id) in order)."""
    root = _parse_small(data, part)
    formulas: dict[str, str] = {}
    for el in root.iter("{*}definedName"):
        name = el.get("name")
        if name and el.get("localSheetId") is None and name not in formulas:
            formulas[name] = el.text or ""
    sheets = tuple((el.get("name"), next((v for k, v in el.attrib.items() if k.endswith("}id")), None))
                   for el in root.iter("{*}sheet"))
    return tuple(formulas.items()), sheets


def _relationships(root: etree._Element) -> list[_Rel]:
    return [_Rel(el.get("Id", ""), el.get("Type", ""), el.get("Target", ""), el.get("TargetMode") == "External")
            for el in root.iter("{*}Relationship")]


def _resolve_target(base_dir: str, target: str) -> str:
    target = target.replace("\\", "/")
    if "%" in target:
        target = unquote(target)
    path = target.lstrip("/") if target.startswith("/") else posixpath.join(base_dir, target)
    return posixpath.normpath(path).lstrip("/")


class _CappedReader(io.RawIOBase):
    """Reads a zip entry but refuses to return more than `cap` bytes, whatever its header declared."""

    def __init__(self, inner: IO[bytes], cap: int, part: str):
        self._inner, self._left, self._part = inner, cap, part

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._inner.read(min(len(buffer), self._left + 1))
        if len(data) > self._left:
            raise WorkbookError("unreadable", f"“{self._part}”解压后过大")
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while chunk := self.read(1 << 16):
                chunks.append(chunk)
            return b"".join(chunks)
        return super().read(size)

    def close(self) -> None:
        self._inner.close()
        super().close()


# --- cells and strings ---------------------------------------------------------------------------

_CELL_REF = r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})"
_NAME_TARGET = re.compile(
    r"^=?\s*(?:'((?:[^']|'')+)'|([^'!\[\]:*?/\\\s,()=\"]+))!" + _CELL_REF + r"(?::" + _CELL_REF + r")?\s*$")
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


@functools.lru_cache(maxsize=4096)  # the same name formulas recur in every copy of the template
def _single_cell_target(text: str) -> tuple[str, str] | None:
    """('Sheet', 'F23') when a name's formula is exactly one cell of one sheet, else None."""
    m = _NAME_TARGET.match(text)
    if not m:
        return None
    sheet = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
    col, row = m.group(3).upper(), m.group(4)
    if m.group(5) is not None and (m.group(5).upper(), m.group(6)) != (col, row):
        return None
    if _col_number(col + "1") > 16384 or not 1 <= int(row) <= 1048576:
        return None
    return sheet, f"{col}{int(row)}"


def _col_number(ref: str) -> int:
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + ord(ch) - 64
        else:
            break
    return n


def _col_letters(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _row_of(ref: str) -> int:
    return int(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def _unescape(text: str) -> str:
    if "_x" not in text:
        return text
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _number(text: str) -> int | float | str:
    """A number cell's value; one that holds no finite number (NaN, Infinity, 1e309) stays the text it is."""
    number = float(text)
    if number.is_integer() and abs(number) < 2 ** 63:
        return int(number)
    if not math.isfinite(number):
        return text.strip()
    return number


def _cell_value(el: etree._Element) -> RawCell:
    v_text = None
    has_formula = False
    inline = None
    for child in el:
        tag = child.tag
        local = tag[tag.rfind("}") + 1:] if isinstance(tag, str) else ""
        if local == "v":
            v_text = child.text or ""
        elif local == "f":
            has_formula = True
        elif local == "is":
            inline = child
    return el.get("t"), v_text, has_formula, None if inline is None else _item_runs(inline)


def _convert(kind: str | None, v_text: str | None, has_formula: bool,
             inline: str | None) -> tuple[str | None, Any, bool]:
    """A cell's (type, value, has_formula) from its t attribute, <v> text and inline string text
    (still with Excel's _xHHHH_ escapes). Shared strings come back as ('s', index)."""
    if kind not in _TEXT_KINDS:  # most cells: a number ("n", the default; an unknown t is read the same)
        if not v_text:  # no cached value (e.g. written by a library, never calculated)
            return None, None, has_formula
        try:
            return None, _number(v_text), has_formula
        except ValueError:
            return None, v_text, has_formula  # a number cell that holds no number: keep what was written
    if kind == "inlineStr":
        return None, (_unescape(inline) if inline is not None else (v_text or None)), has_formula
    if kind == "str":  # a formula's text result; "" is a real result
        return None, _unescape(v_text or ""), has_formula
    if not v_text:
        return None, None, has_formula
    if kind == "s":
        try:
            return "s", int(v_text), has_formula
        except ValueError:
            return None, None, has_formula
    if kind == "b":
        return None, v_text.strip() in ("1", "true", "TRUE"), has_formula
    if kind == "e":
        return None, CellError(v_text), has_formula
    try:  # "d"
        return None, datetime.fromisoformat(v_text), has_formula
    except ValueError:
        return None, v_text, has_formula


_TEXT_KINDS = frozenset(("inlineStr", "str", "s", "b", "e", "d"))


def _string_item_text(si: etree._Element) -> str:
    """Text of a <si> or <is>: plain or rich-text runs joined; phonetic (rPh) runs left out."""
    return _unescape(_item_runs(si))


# --- telling formats apart ----------------------------------------------------------------------

def _ole2_is_encrypted(fileobj: IO[bytes]) -> bool:
    """An OLE2 file with EncryptionInfo/EncryptedPackage streams is a password-protected .xlsx."""
    overlap = max(len(s) for s in ENCRYPTED_STREAMS)
    tail = b""
    scanned = 0
    while scanned < OLE2_SCAN_LIMIT:
        chunk = fileobj.read(1 << 20)
        if not chunk:
            return False
        window = tail + chunk
        if any(s in window for s in ENCRYPTED_STREAMS):
            return True
        tail = window[-overlap:]
        scanned += len(chunk)
    return False


def _not_zip_reason(head: bytes) -> str:
    if head.startswith(b"%PDF"):
        return "这是 PDF 文件，不是 Excel 工作簿"
    if head.startswith(b"Rar!"):
        return "这是 RAR 压缩包，不是 Excel 工作簿"
    if head.startswith(b"7z\xbc\xaf"):
        return "这是 7z 压缩包，不是 Excel 工作簿"
    if head.lstrip().lower().startswith((b"<html", b"<!doc", b"<?xml", b"<table")):
        return "这是网页或 XML 文本，不是 Excel 工作簿（可能是从网页另存的“假 .xls”）"
    return "不是 Excel 工作簿（.xlsx）格式"


def _foreign_zip_reason(parts: dict[str, zipfile.ZipInfo]) -> str:
    if "word/document.xml" in parts:
        return "这是 Word 文档（.docx），不是 Excel 工作簿"
    if "ppt/presentation.xml" in parts:
        return "这是 PowerPoint 演示文稿，不是 Excel 工作簿"
    if "content.xml" in parts and "mimetype" in parts:
        return "这是 OpenDocument（.ods/.odt）文件，请用 Excel 或 WPS 另存为 .xlsx"
    return "压缩文件中没有 Excel 工作簿内容（缺少 xl/workbook.xml）"


def _reason_for(error: BaseException) -> str:
    if isinstance(error, MemoryError):
        return "文件过大，读取时内存不足"
    if isinstance(error, (zipfile.BadZipFile, EOFError, struct.error)):
        return "文件已损坏或不完整"
    if isinstance(error, NotImplementedError):
        return "工作簿使用了不支持的压缩方式"
    return f"文件内容有误（{type(error).__name__}）"
