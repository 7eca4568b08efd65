"""What a submission is (CONTRACT “A submission”): a bare workbook, a .zip package, a package folder,
or an inbox of them; and safe access to a package's workbook and evidence files.

Zips are never unpacked: the workbook and the evidence are read straight from the archive, after
every entry has been vetted (no absolute paths, no `..`, no links, bounded count and size).
Folder packages are read without following links, so nothing outside the package folder is ever
read or written because of what a package contains.

`source` of a submission is the path as given on the command line; for a submission found inside
an inbox folder it is inbox-relative: the entry's name, e.g. "市委办公室.zip".
A folder is a package when it holds a `佐证材料/` folder; any other folder is an inbox (its direct
sub-folders that hold a workbook are packages too, so a unit that forgot the evidence folder
still gets findings instead of being skipped).

Zip entry names: with the UTF-8 flag (0x800) they are UTF-8; else the Info-ZIP Unicode Path field
(0x7075, 7-Zip/WinRAR) wins when its checksum matches; else the raw bytes are GBK (Chinese
Windows, WinRAR, old WPS) or UTF-8 (macOS Finder), decided once per archive: UTF-8 when every name
is valid UTF-8 and reads at least as much like Chinese as GBK does. Names are NFC-normalised
(macOS writes NFD), and so are evidence paths, which may use / or a backslash (or full-width ／ ＼).
Evidence paths match exactly, else case-blind when that is unambiguous (Windows users never see case).
"""
from __future__ import annotations

import functools
import lzma
import os
import re
import stat
import struct
import tempfile
import threading
import unicodedata
import zipfile
import zlib
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterable, Iterator, NamedTuple

from . import evidence as evidence_check
from .files import FileRefused, is_regular, name_text, open_regular, reason_for
from .workbook import OLE2_MAGIC, WorkbookError, sniff, zip_entry_count

EVIDENCE_DIR = "佐证材料"
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".et", ".ods", ".xltx", ".xltm"}
PREFERRED_WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
ARCHIVE_SUFFIXES = {".zip", ".rar", ".7z"}  # in an inbox, each is a submission (only .zip can be read)

MAX_ENTRIES = 10_000
MAX_TOTAL_BYTES = 1 << 30  # declared, all entries together; also a package's own size on disk
MAX_RATIO = 200  # uncompressed : compressed, for entries above RATIO_CHECK_FROM
RATIO_CHECK_FROM = 10 * 1024 * 1024
MAX_WORKBOOK_BYTES = 100 * 1024 * 1024
MAX_PREVIEW_BYTES = 200 * 1024 * 1024
SPOOL_IN_MEMORY = 16 * 1024 * 1024
MAX_FOLDER_DEPTH = 12

# What inflating an entry may raise: zlib, LZMA and bzip2 (OSError) errors, a bad CRC, a short stream.
_INFLATE_ERRORS = (zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError, NotImplementedError, ValueError,
                   RuntimeError, OSError)

JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini", "ehthumbs.db", "icon\r"}
UNICODE_PATH_EXTRA = 0x7075
UTF8_FLAG = 0x800

_DRIVE = re.compile(r"^[A-Za-z]:")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SEPARATORS = re.compile(r"[\\/／＼]+")  # full-width slashes too: typed with a Chinese IME


class PackageError(Exception):
    """A package that cannot be used: `kind` is a findings.py key, `reason` Chinese, `entry` the path inside."""

    def __init__(self, kind: str, reason: str, entry: str | None = None, **fields: object):
        super().__init__(f"{kind}: {reason}" + (f" ({entry})" if entry else ""))
        self.kind, self.reason, self.entry = kind, reason, entry
        self._fields = fields

    @property
    def fields(self) -> dict[str, object]:
        """The message fields for findings.finding(self.kind, where=..., **self.fields)."""
        return {"reason": self.reason, "entry": self.entry or "", **self._fields}


class EvidenceStatus(NamedTuple):
    path: str  # as written in the cell (trimmed)
    status: str  # 'ok' | 'not_found' | 'unsafe' | 'broken'
    reason: str | None = None  # Chinese, for 'unsafe' and 'broken'


# --- names --------------------------------------------------------------------------------------

def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def is_junk(path: str) -> bool:
    """Files that tools leave behind: macOS resource forks, Finder/Explorer caches, Office lock files, hidden files."""
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    if not parts:
        return True
    if any(p == "__MACOSX" or (p.startswith(".") and p not in (".", "..")) for p in parts):
        return True
    base = parts[-1]
    return base.lower() in JUNK_NAMES or base.startswith("~$") or (base.startswith(".~lock.") and base.endswith("#"))


def _suffix(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[-1].lower() if "." in base else ""


def _refused_path(text: str) -> EvidenceStatus | None:
    """The status of an evidence path refused for its text alone (absolute, a URL, .., a shortcut), or None."""
    unsafe = _unsafe_text(text)
    if unsafe:
        return EvidenceStatus(text, "unsafe", unsafe)
    if _suffix(text) == ".lnk":
        return EvidenceStatus(text, "unsafe", "是链接文件（快捷方式）")
    return None


def _refused_or_missing(text: str) -> EvidenceStatus:
    """A bare workbook carries no files: whatever it names is refused or not found, by its text alone."""
    return _refused_path(text) or EvidenceStatus(text, "not_found")


# Units name the same files: each usual text is worked out once (at most 4096 texts of at most 1 KB).
_bare_workbook_status = functools.lru_cache(maxsize=4096)(_refused_or_missing)


def _unsafe_text(path_text: str) -> str | None:
    """Why a path written by a user (or stored in a zip) must not be followed, or None."""
    if path_text.startswith(("/", "\\", "／", "＼")):
        return "是绝对路径"
    if path_text[:1].isascii():  # drive letters and URL schemes start with a Latin letter
        if _DRIVE.match(path_text):
            return "是绝对路径"
        if _URL.match(path_text):
            return "是网址，不是包内文件"
    if ".." in path_text and ".." in _SEPARATORS.split(path_text):
        return "含有 ..，指向包外"
    return None


def _components(path_text: str) -> list[str]:
    return [nfc(p) for p in _SEPARATORS.split(path_text) if p not in ("", ".")]


def _decode_zip_names(infos: list[zipfile.ZipInfo]) -> list[str]:
    """Entry names as the writer meant them (see the module notes on encodings), NFC, '/' separated."""
    raw_names: dict[int, bytes] = {}
    names: list[str | None] = []
    for i, info in enumerate(infos):
        if info.flag_bits & UTF8_FLAG:
            names.append(info.filename)
            continue
        raw = info.orig_filename.encode("cp437")
        unicode_path = _unicode_path_extra(info.extra, raw)
        if unicode_path is not None:
            names.append(unicode_path)
        elif raw.isascii():
            names.append(raw.decode("ascii"))
        else:
            names.append(None)
            raw_names[i] = raw
    if raw_names:
        encoding = _archive_encoding(list(raw_names.values()))
        for i, raw in raw_names.items():
            names[i] = _decode_raw_name(raw, encoding)
    return [nfc(n.replace("\\", "/")) for n in names]  # type: ignore[union-attr]


def _unicode_path_extra(extra: bytes, raw: bytes) -> str | None:
    """The Info-ZIP Unicode Path field (0x7075) that 7-Zip and WinRAR add, when it matches the name."""
    i = 0
    while i + 4 <= len(extra):
        header_id, size = struct.unpack_from("<HH", extra, i)
        data = extra[i + 4:i + 4 + size]
        if header_id == UNICODE_PATH_EXTRA and len(data) >= 5 and data[0] == 1:
            (crc,) = struct.unpack_from("<I", data, 1)
            if crc == zlib.crc32(raw):  # a stale field (name changed by another tool) must be ignored
                try:
                    return data[5:].decode("utf-8")
                except UnicodeDecodeError:
                    return None
        i += 4 + size
    return None


def _cjk_share(text: str) -> float:
    """How much of a name looks like Chinese or ASCII: a decoding that gives mojibake scores low."""
    good = sum(1 for ch in text if ch.isascii() or "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f"
               or "\uff00" <= ch <= "\uffef" or ch in "·—“”‘’…")
    return good / max(len(text), 1)


def _archive_encoding(raws: list[bytes]) -> str:
    """One zip is written by one tool: pick UTF-8 (macOS Finder, unflagged) or GBK (Chinese Windows) for all."""
    def decoded(encoding: str) -> list[str] | None:
        try:
            return [raw.decode(encoding) for raw in raws]
        except UnicodeDecodeError:
            return None

    as_utf8, as_gbk = decoded("utf-8"), decoded("gb18030")
    if as_utf8 is None:
        return "gb18030" if as_gbk is not None else "mixed"
    if as_gbk is None:
        return "utf-8"
    utf8_score = sum(map(_cjk_share, as_utf8))
    gbk_score = sum(map(_cjk_share, as_gbk))
    return "utf-8" if utf8_score >= gbk_score else "gb18030"


def _decode_raw_name(raw: bytes, encoding: str) -> str:
    for candidate in ((encoding,) if encoding != "mixed" else ()) + ("utf-8", "gb18030"):
        try:
            return raw.decode(candidate)
        except UnicodeDecodeError:
            continue
    return raw.decode("cp437")


# --- discovering submissions -------------------------------------------------------------------

def discover(paths: Iterable[str | Path]) -> list[Submission]:
    """Every submission under the given paths: files and package folders as given, inboxes opened one level.

    Order: the paths in the order given; inside an inbox, by name. A path that does not exist raises
    FileNotFoundError (the command treats it as a wrong argument)."""
    return list(iter_discover(paths))


def iter_discover(paths: Iterable[str | Path]) -> Iterator[Submission]:
    """discover(), one submission at a time: a province's inbox is never held as Submissions at once.

    Every given path is looked at before the first submission is given: a missing path or an inbox that
    cannot be read raises (FileNotFoundError, FileRefused) before anything is checked."""
    plan: list[tuple[Path, str, list[str] | None]] = []  # (path, source, inbox entry names or None)
    for given in paths:
        path = Path(given)
        if not os.path.lexists(path):
            raise FileNotFoundError(f"找不到“{name_text(given)}”")
        if path.is_dir() and _evidence_dir(path) is None:
            try:
                names = _listed_names(path)
            except OSError as error:  # an inbox that cannot be read must not look empty
                raise FileRefused(f"无法读取文件夹“{name_text(given)}”：{reason_for(error)}", given) from error
            plan.append((path, name_text(given), names))
        else:
            plan.append((path, name_text(given), None))
    return _discovered(plan)


def _discovered(plan: list[tuple[Path, str, list[str] | None]]) -> Iterator[Submission]:
    seen: set[str] = set()  # the same file named twice is one submission
    for path, source, names in plan:
        if names is None:
            subs = iter([Submission(source, path, "folder" if path.is_dir() else _file_kind(path))])
        else:
            subs = (_inbox_entry(path / name, name_text(name)) for name in names)
        for sub in subs:
            if sub is None:
                continue
            key = os.path.realpath(sub.path)
            if key not in seen:
                seen.add(key)
                yield sub


def _file_kind(path: Path) -> str:
    return "zip" if path.suffix.lower() in ARCHIVE_SUFFIXES else "xlsx"


def _listed_children(folder: Path) -> list[Path]:
    """The folder's entries but junk, by name; OSError when it cannot be read."""
    return [folder / name for name in _listed_names(folder)]


def _listed_names(folder: Path) -> list[str]:
    """The names in a folder but junk, sorted as people read them; OSError when it cannot be read."""
    return sorted((name for name in os.listdir(folder) if not is_junk(name)), key=name_text)


def _sorted_children(folder: Path) -> list[Path]:
    try:
        return _listed_children(folder)
    except OSError:
        return []


def _inbox_entry(child: Path, source: str) -> Submission | None:
    if child.is_dir():
        try:
            children = _listed_children(child)
        except OSError:
            return Submission(source, child, "folder")  # reading it says why it cannot be checked
        if _evidence_dir(child) is not None or any(
                is_regular(c) and _suffix(c.name) in WORKBOOK_SUFFIXES for c in children):
            return Submission(source, child, "folder")
        return None
    suffix = child.suffix.lower()
    if suffix in ARCHIVE_SUFFIXES:
        return Submission(source, child, "zip")
    if suffix in WORKBOOK_SUFFIXES:
        return Submission(source, child, "xlsx")
    return None


def _evidence_dir(folder: Path) -> Path | None:
    """The package's 佐证材料 folder (NFC or NFD on disk), or None. A link counts: it is refused on use."""
    try:
        for entry in os.scandir(folder):
            if nfc(entry.name) == EVIDENCE_DIR and (entry.is_dir() or entry.is_symlink()):
                return Path(entry.path)
    except OSError:
        return None
    return None


# --- a submission ------------------------------------------------------------------------------

@dataclass
class Submission:
    source: str
    path: Path
    kind: str  # 'xlsx' | 'zip' | 'folder'
    _statuses: dict = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict:  # sent to worker processes without cached results
        state = dict(self.__dict__)
        state["_statuses"] = {}
        return state

    def close(self) -> None:
        """Let go of the open zip now rather than when the cache passes it by."""
        _forget_zip(self.path)

    # the workbook

    def workbook(self) -> tuple[str, bytes]:
        """(path of the workbook inside the package, its bytes). Raises PackageError."""
        if self.kind == "xlsx":
            return self.path.name, _read_file(self.path, MAX_WORKBOOK_BYTES, self.path.name)
        if self.kind == "zip":
            package = self._package()
            if package.is_bare_workbook:
                return self.path.name, _read_file(self.path, MAX_WORKBOOK_BYTES, self.path.name)
            return package.workbook()
        return _FolderPackage(self.path).workbook()

    # evidence

    def evidence_status(self, path_text: str) -> EvidenceStatus:
        """Whether a path named in an evidence cell is in the package, safe and readable."""
        text = path_text.strip().strip("\"'“”‘’").strip()
        status = self._statuses.get(text)
        if status is None:
            status = self._statuses[text] = self._evidence_status(text)
        return status

    def _evidence_status(self, text: str) -> EvidenceStatus:
        if self.kind == "xlsx":
            return _bare_workbook_status(text) if len(text) <= 1024 else _refused_or_missing(text)
        refused = _refused_path(text)
        if refused:
            return refused
        parts = _components(text)
        if not parts:
            return EvidenceStatus(text, "not_found")
        candidates = [parts]
        if parts[0] == EVIDENCE_DIR and len(parts) > 1:  # tolerate “佐证材料/制度/a.pdf”
            candidates.append(parts[1:])
        try:
            finder = self._package() if self.kind == "zip" else self._folder()
        except PackageError as error:
            return EvidenceStatus(text, "broken", error.reason)
        result = None
        for candidate in candidates:
            try:
                result = finder.evidence(candidate)
            except Exception:  # whatever a hostile file trips over, it is this one file's problem
                result = ("broken", "无法打开")
            if result[0] != "not_found":
                break
        status, reason = result
        return EvidenceStatus(text, status, reason)

    def evidence_files(self) -> list[str]:
        """Every file in the package's 佐证材料/ folder, relative to it, '/' separated, sorted."""
        if self.kind == "xlsx":
            return []
        try:
            finder = self._package() if self.kind == "zip" else _FolderPackage(self.path)
            return finder.evidence_files()
        except PackageError:
            return []

    def open_evidence(self, path_text: str) -> bytes:
        """An evidence file's bytes (for previews); only files inside the package. Raises PackageError."""
        status = self.evidence_status(path_text)
        if status.status == "unsafe":
            raise PackageError("evidence_unsafe", status.reason or "", path_text)
        if status.status == "not_found":
            raise PackageError("evidence_not_found", "在申报包中找不到", path_text)
        parts = _components(path_text.strip().strip("\"'“”‘’").strip())
        finder = self._package() if self.kind == "zip" else _FolderPackage(self.path)
        for candidate in ([parts, parts[1:]] if parts[0] == EVIDENCE_DIR else [parts]):
            data = finder.read_evidence(candidate, MAX_PREVIEW_BYTES)
            if data is not None:
                return data
        raise PackageError("evidence_not_found", "在申报包中找不到", path_text)

    def evidence_member(self, path_text: str) -> str | None:
        """The package file (as evidence_files() names it) an evidence path refers to; None when the path
        is unsafe or names nothing in the package. Only zips (how the store keeps every package)."""
        text = path_text.strip().strip("\"'“”‘’").strip()
        if self.kind != "zip" or _unsafe_text(text):
            return None
        parts = _components(text)
        if not parts:
            return None
        try:
            package = self._package()
        except PackageError:
            return None
        for candidate in ([parts, parts[1:]] if parts[0] == EVIDENCE_DIR and len(parts) > 1 else [parts]):
            inner = package._find(candidate)
            if inner is not None:
                return inner[len(EVIDENCE_DIR) + 1:]
        return None

    @contextmanager
    def evidence_stream(self, member: str) -> Iterator[tuple[int, IO[bytes]]]:
        """(size, stream) of one evidence file of a zip package, named as evidence_files() names it,
        inflated as it is read: for serving a large scan in chunks. The package is opened on its own
        handle, so the stream may be read from another thread. Raises PackageError."""
        if self.kind != "zip":
            raise PackageError("evidence_not_found", "在申报包中找不到", member)
        package = _ZipPackage(self.path)
        try:
            inner = f"{EVIDENCE_DIR}/{member}"
            info = package.files.get(inner)
            if info is None:
                raise PackageError("evidence_not_found", "在申报包中找不到", member)
            if info.flag_bits & 0x1:
                raise PackageError("unreadable/encrypted", "在压缩包中设置了密码，无法打开", member)
            try:
                stream = package.zf.open(info)
            except _INFLATE_ERRORS as error:
                raise PackageError("unreadable", f"压缩包中的“{member}”已损坏，无法解压", member) from error
            with stream:
                yield info.file_size, stream
        finally:
            package.close()

    def _package(self) -> "_ZipPackage":
        return _open_zip_package(self.path)

    def _folder(self) -> "_FolderPackage":
        """The package folder, kept with the submission's statuses: it remembers what it has checked."""
        folder = self._statuses.get(_FOLDER_KEY)
        if folder is None:
            folder = self._statuses[_FOLDER_KEY] = _FolderPackage(self.path)
        return folder


_FOLDER_KEY = object()  # where a Submission keeps its _FolderPackage among its statuses

# A batch holds thousands of Submissions; only the few most recently used zips stay open. A package
# evicted while a thread still reads it stays open until that thread lets go (closed on release).
_ZIP_CACHE: "OrderedDict[tuple, _ZipPackage]" = OrderedDict()
_ZIP_CACHE_SIZE = 8
_ZIP_CACHE_LOCK = threading.Lock()


def _fresh_lock_in_child() -> None:
    """A worker forked while another thread held the lock would wait for it for ever."""
    global _ZIP_CACHE_LOCK
    _ZIP_CACHE_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_fresh_lock_in_child)


def _zip_key(path: Path) -> tuple:
    info = os.stat(path)
    return os.path.realpath(path), info.st_mtime_ns, info.st_size


def _open_zip_package(path: Path) -> "_ZipPackage":
    try:
        key = _zip_key(path)
    except OSError:
        return _ZipPackage(path)  # raises the Chinese PackageError for a missing or unreadable file
    with _ZIP_CACHE_LOCK:
        package = _ZIP_CACHE.get(key)
        if package is not None:
            _ZIP_CACHE.move_to_end(key)
            return package
    package = _ZipPackage(path)
    with _ZIP_CACHE_LOCK:
        _ZIP_CACHE[key] = package
        while len(_ZIP_CACHE) > _ZIP_CACHE_SIZE:
            _ZIP_CACHE.popitem(last=False)
    return package


def _forget_zip(path: Path) -> None:
    real = os.path.realpath(path)
    with _ZIP_CACHE_LOCK:
        for key in [k for k in _ZIP_CACHE if k[0] == real]:
            del _ZIP_CACHE[key]


def size_limit(path: Path) -> int:
    """The most the checker reads of a submission on disk, and so the most the store keeps of it."""
    return MAX_TOTAL_BYTES if path.is_dir() or _file_kind(path) == "zip" else MAX_WORKBOOK_BYTES


def _read_file(path: Path, cap: int, shown: str) -> bytes:
    try:
        with open_regular(path) as fh:
            data = _read_capped(fh, cap)
    except OSError as error:
        raise PackageError("unreadable", f"文件{reason_for(error)}", shown) from error
    if len(data) > cap:
        raise PackageError("unreadable", f"文件过大（超过 {cap >> 20} MB），不像是自评表", shown)
    return data


def _read_capped(fh, cap: int) -> bytes:
    """At most cap + 1 bytes. Not read(cap + 1) alone: that allocates the whole cap for every file."""
    size = os.fstat(fh.fileno()).st_size
    return fh.read(min(size, cap) + 1)


def _pick_workbook(paths: list[str]) -> str:
    """The package's one workbook: at the root, else anywhere outside 佐证材料/. Raises PackageError."""
    candidates = [p for p in paths if _suffix(p) in WORKBOOK_SUFFIXES and not is_junk(p)]
    outside = [p for p in candidates if p.split("/", 1)[0] != EVIDENCE_DIR]
    at_root = [p for p in outside if "/" not in p]
    for group in (at_root, outside):
        if len(group) > 1:
            preferred = [p for p in group if _suffix(p) in PREFERRED_WORKBOOK_SUFFIXES]
            if len(preferred) == 1:
                return preferred[0]
            shown = sorted(preferred or group)
            raise PackageError("unreadable/many_workbooks", "、".join(shown), None,
                               count=len(shown), names="、".join(shown))
        if group:
            return group[0]
    raise PackageError("unreadable/no_workbook", "包中没有 .xlsx 工作簿")


# --- zip packages ------------------------------------------------------------------------------

class _ZipPackage:
    """A .zip package read in place: entries vetted once, names decoded, the one top folder stripped."""

    def __init__(self, path: Path):
        self.path = path
        self.is_bare_workbook = False
        self._fh: IO[bytes] | None = None
        self.zf: zipfile.ZipFile | None = None
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def __del__(self) -> None:
        self.close()

    def close(self) -> None:
        if self.zf is not None:
            self.zf.close()
            self.zf = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def _open(self) -> None:
        name = name_text(self.path.name)
        try:
            self._fh = open_regular(self.path)
        except OSError as error:
            raise PackageError("unreadable", f"文件{reason_for(error)}", name) from error
        size = os.fstat(self._fh.fileno()).st_size
        if size > MAX_TOTAL_BYTES:
            raise PackageError("package_unsafe/too_big", f"压缩包文件本身超过 {MAX_TOTAL_BYTES >> 30} GB", name)
        head = self._fh.read(8)
        kind = sniff(head)
        if kind == "empty":
            raise PackageError("unreadable/empty", "文件是空的（0 字节）", name)
        if kind != "zip":
            raise PackageError("unreadable", _not_a_zip_reason(head), name)
        count = zip_entry_count(self._fh)
        if count is None:
            raise PackageError("unreadable", "压缩包已损坏或不完整", name)
        if count > MAX_ENTRIES:
            raise PackageError("package_unsafe/too_big", f"共有 {count} 个文件，超过 {MAX_ENTRIES} 个", name)
        try:
            self._fh.seek(0)
            self.zf = zipfile.ZipFile(self._fh)
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, struct.error,
                NotImplementedError, UnicodeError) as error:
            raise PackageError("unreadable", "压缩包已损坏或不完整", name) from error
        if len(infos) > MAX_ENTRIES:
            raise PackageError("package_unsafe/too_big", f"共有 {len(infos)} 个文件，超过 {MAX_ENTRIES} 个", name)
        self._vet(infos)

    def _vet(self, infos: list[zipfile.ZipInfo]) -> None:
        names = _decode_zip_names(infos)
        total = 0
        files: dict[str, zipfile.ZipInfo] = {}
        dirs: set[str] = set()
        for info, name in zip(infos, names):
            reason = _unsafe_text(name)
            if reason is None and stat.S_ISLNK(info.external_attr >> 16):
                reason = "是链接文件"
            if reason:
                raise PackageError("package_unsafe", reason, name)
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise PackageError("package_unsafe/too_big", f"解压后超过 {MAX_TOTAL_BYTES >> 30} GB", name)
            if info.file_size > RATIO_CHECK_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                ratio = info.file_size // max(info.compress_size, 1)
                raise PackageError("package_unsafe/too_big", f"“{name}”的压缩比为 {ratio}:1，疑似压缩炸弹", name)
            clean = "/".join(_components(name))
            if name.endswith("/") or info.is_dir():
                dirs.add(clean)
                continue
            if not clean or is_junk(clean):
                continue
            if clean in files:
                raise PackageError("package_unsafe", "在压缩包中出现了两次", name)
            files[clean] = info
        if "[Content_Types].xml" in files and any(p.lower() == "xl/workbook.xml" for p in files):
            self.is_bare_workbook = True  # an .xlsx renamed to .zip
        self.root = _common_top_folder(list(files))
        cut = len(self.root) + 1 if self.root else 0
        self.files = {p[cut:]: info for p, info in files.items()}
        self.dirs = {d[cut:] for d in dirs if d.startswith(self.root)} if self.root else dirs
        self._folded: dict[str, list[str]] = {}
        self._verdicts: dict[str, tuple[str, str | None]] = {}  # entry -> verdict: each inflated at most once
        for p in self.files:
            self._folded.setdefault(p.casefold(), []).append(p)

    def workbook(self) -> tuple[str, bytes]:
        inner = _pick_workbook(sorted(self.files))
        return inner, self._read(inner, MAX_WORKBOOK_BYTES)

    def _read(self, inner: str, cap: int) -> bytes:
        info = self.files[inner]
        if info.flag_bits & 0x1:
            raise PackageError("unreadable/encrypted", "压缩包设置了密码", inner)
        if info.file_size > cap:
            raise PackageError("package_unsafe/too_big", f"“{inner}”解压后超过 {cap >> 20} MB", inner)
        try:
            with self.zf.open(info) as stream:
                data = stream.read(cap + 1)
        except _INFLATE_ERRORS as error:
            raise PackageError("unreadable", f"压缩包中的“{inner}”已损坏，无法解压", inner) from error
        if len(data) > cap:
            raise PackageError("package_unsafe/too_big", f"“{inner}”解压后超过 {cap >> 20} MB", inner)
        return data

    def _find(self, parts: list[str]) -> str | None:
        wanted = "/".join([EVIDENCE_DIR, *parts])
        if wanted in self.files:
            return wanted
        matches = self._folded.get(wanted.casefold(), [])
        return matches[0] if len(matches) == 1 else None  # Windows users do not see case

    def evidence(self, parts: list[str]) -> tuple[str, str | None]:
        if _suffix(parts[-1]) == ".lnk":
            return "unsafe", "是链接文件（快捷方式）"
        inner = self._find(parts)
        if inner is None:
            if "/".join([EVIDENCE_DIR, *parts]) in self.dirs:
                return "broken", "是文件夹，不是文件"
            return "not_found", None
        # However many spellings name it (big.bin, BIG.bin, 佐证材料/big.bin), an entry is inflated once.
        verdict = self._verdicts.get(inner)
        if verdict is None:
            verdict = self._verdicts[inner] = self._entry_verdict(inner)
        return verdict

    def _entry_verdict(self, inner: str) -> tuple[str, str | None]:
        info = self.files[inner]
        if info.flag_bits & 0x1:
            return "broken", "在压缩包中设置了密码，无法打开"
        if info.file_size == 0:
            return "broken", evidence_check.EMPTY
        try:
            if not evidence_check.needs_content(inner):  # only inflated (the CRC proves it), never kept
                with self.zf.open(info) as stream:
                    left = info.file_size
                    while left > 0 and (chunk := stream.read(min(1 << 20, left))):
                        left -= len(chunk)
                    if left or stream.read(1):
                        return "broken", "与压缩包记录的大小不符"
                return "ok", None
            with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
                with self.zf.open(info) as stream:
                    left = info.file_size
                    while left > 0 and (chunk := stream.read(min(1 << 20, left))):
                        spool.write(chunk)
                        left -= len(chunk)
                    if stream.read(1):
                        return "broken", "与压缩包记录的大小不符"
                size = spool.tell()
                problem = evidence_check.problem(inner, spool, size)
        except _INFLATE_ERRORS:
            return "broken", "在压缩包中已损坏，无法解压"
        return ("broken", problem) if problem else ("ok", None)

    def evidence_files(self) -> list[str]:
        prefix = EVIDENCE_DIR + "/"
        return sorted(p[len(prefix):] for p in self.files if p.startswith(prefix))

    def read_evidence(self, parts: list[str], cap: int) -> bytes | None:
        inner = self._find(parts)
        return None if inner is None else self._read(inner, cap)


def _common_top_folder(paths: list[str]) -> str:
    """The folder every entry sits under (what zipping a folder gives), repeatedly; never 佐证材料 itself."""
    root = ""
    for _ in range(3):
        rest = [p[len(root) + 1:] if root else p for p in paths]
        tops = {p.split("/", 1)[0] for p in rest}
        if len(tops) != 1 or any("/" not in p for p in rest):
            break
        top = tops.pop()
        if top == EVIDENCE_DIR:
            break
        root = f"{root}/{top}" if root else top
    return root


def _not_a_zip_reason(head: bytes) -> str:
    if head.startswith(b"Rar!"):
        return "这是 RAR 压缩包，请改用 zip 格式打包"
    if head.startswith(b"7z\xbc\xaf"):
        return "这是 7z 压缩包，请改用 zip 格式打包"
    if head.startswith(OLE2_MAGIC):
        return "这不是 zip 压缩包（像是旧版 Office 文件）"
    return "不是有效的 zip 压缩包"


# --- folder packages ---------------------------------------------------------------------------

class _FolderPackage:
    """A package folder on disk, read without following links."""

    def __init__(self, root: Path):
        self.root = root
        self.real_root = os.path.realpath(root)
        self._verdicts: dict[str, tuple[str, str | None]] = {}

    def workbook(self) -> tuple[str, bytes]:
        try:
            os.scandir(self.root).close()
        except OSError as error:
            raise PackageError("unreadable", f"文件夹{reason_for(error)}", name_text(self.root.name)) from error
        self._check_size()
        files = self._walk(self.root, "", skip_top=EVIDENCE_DIR)
        inner = _pick_workbook(sorted(files))
        path = files[inner]
        if os.path.islink(path):
            raise PackageError("package_unsafe", "是链接文件", inner)
        return inner, _read_file(Path(path), MAX_WORKBOOK_BYTES, inner)

    def _check_size(self) -> None:
        """A package folder holds no more than a zip package may (the store keeps it as one)."""
        total = 0
        for path in self._walk(self.root, "").values():
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                total += info.st_size
            if total > MAX_TOTAL_BYTES:
                raise PackageError("package_unsafe/too_big", f"文件夹中的文件合计超过 {MAX_TOTAL_BYTES >> 30} GB",
                                   name_text(self.root.name))

    def _walk(self, folder: Path, prefix: str, skip_top: str | None = None, depth: int = 0) -> dict[str, str]:
        """Relative path -> real path of regular files (and links, reported as such), no link followed."""
        found: dict[str, str] = {}
        if depth > MAX_FOLDER_DEPTH:
            return found
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return found
        for entry in entries:
            name = name_text(entry.name)
            rel = f"{prefix}{name}"
            if is_junk(name) or (skip_top and depth == 0 and name == skip_top):
                continue
            if entry.is_dir(follow_symlinks=False):
                found.update(self._walk(Path(entry.path), rel + "/", None, depth + 1))
            elif entry.is_file(follow_symlinks=False) or entry.is_symlink():
                found[rel] = entry.path
            if len(found) > MAX_ENTRIES:
                break
        return found

    def _locate(self, parts: list[str]) -> tuple[str, str | None, str | None]:
        """(status, reason, path on disk) of an evidence path; walks one component at a time."""
        folder = _evidence_dir(self.root)
        if folder is None:
            return "not_found", None, None
        if os.path.islink(folder):
            return "unsafe", "所在的“佐证材料”文件夹是链接", None
        current = str(folder)
        for i, part in enumerate(parts):
            entry = _find_entry(current, part)
            if entry is None:
                return "not_found", None, None
            if entry.is_symlink():
                return "unsafe", "是链接文件", None
            last = i == len(parts) - 1
            if not last:
                if not entry.is_dir(follow_symlinks=False):
                    return "not_found", None, None
            elif entry.is_dir(follow_symlinks=False):
                return "broken", "是文件夹，不是文件", None
            elif not entry.is_file(follow_symlinks=False):
                return "unsafe", "不是普通文件", None
            current = entry.path
        real = os.path.realpath(current)
        if not real.startswith(self.real_root + os.sep):
            return "unsafe", "指向包外", None
        return "ok", None, current

    def evidence(self, parts: list[str]) -> tuple[str, str | None]:
        if _suffix(parts[-1]) == ".lnk":
            return "unsafe", "是链接文件（快捷方式）"
        status, reason, path = self._locate(parts)
        if status != "ok":
            return status, reason
        key = os.path.realpath(path)  # however many spellings name it, a file is read once
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._verdicts[key] = self._file_verdict(path)
        return verdict

    def _file_verdict(self, path: str) -> tuple[str, str | None]:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return "broken", "无法打开"
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                return "unsafe", "不是普通文件"
            problem = evidence_check.problem(path, fh, info.st_size)
        return ("broken", problem) if problem else ("ok", None)

    def evidence_files(self) -> list[str]:
        folder = _evidence_dir(self.root)
        if folder is None or os.path.islink(folder):
            return []
        return sorted(rel for rel, path in self._walk(folder, "").items() if not os.path.islink(path))

    def read_evidence(self, parts: list[str], cap: int) -> bytes | None:
        status, _, path = self._locate(parts)
        if status != "ok" or path is None:
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            data = _read_capped(fh, cap)
        if len(data) > cap:
            raise PackageError("package_unsafe/too_big", f"文件超过 {cap >> 20} MB", "/".join(parts))
        return data


def _find_entry(folder: str, name: str) -> os.DirEntry | None:
    """The entry called `name` in a folder: NFC/NFD alike, and case-blind when that is unambiguous."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return None
    exact = [e for e in entries if name_text(e.name) == name]
    if exact:
        return exact[0]
    folded = [e for e in entries if name_text(e.name).casefold() == name.casefold()]
    return folded[0] if len(folded) == 1 else None


__all__ = ["EVIDENCE_DIR", "EvidenceStatus", "PackageError", "Submission", "WorkbookError", "discover", "is_junk",
           "iter_discover"]
