"""Whether an evidence file (佐证材料) opens as what its extension says, with bounded work.

Used by submission.py for every file an `evidence_*` cell names. The answer is `None` when the file
is fine, else a short Chinese phrase for the evidence_broken message (“是空文件（0 字节）”).

Decisions:
- A PDF that opens without a password (including “owner password only” PDFs that forbid
  printing or editing, common for official documents) is fine; one that needs a password to
  open is broken, because the reviewers cannot read it.
- Images are checked with Pillow's verify(), then (except PNG, whose verify reads everything)
  decoded, JPEGs at 1/8 scale, which catches truncated files cheaply. Images above Pillow's decompression-bomb limit are broken (the
  limit is Pillow's own global, left as it is).
- Video, audio and unknown types only need to be non-empty.
"""
from __future__ import annotations

import codecs
import io
import logging
import warnings
import zipfile
from contextlib import contextmanager
from typing import IO, Iterator

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
RTF_MAGIC = b"{\\rtf"
TEXT_SAMPLE_BYTES = 1024 * 1024
FULL_DECODE_PIXELS = 30_000_000  # above this, verify() alone (decoding would cost too much)
MAX_ZIP_ENTRIES = 10_000

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp"}
OOXML_EXTENSIONS = {".docx", ".xlsx", ".pptx", ".docm", ".xlsm", ".pptm"}
OLE2_EXTENSIONS = {".doc", ".xls", ".ppt", ".wps", ".et", ".dps"}
ZIP_EXTENSIONS = {".ofd", ".zip"}
TEXT_EXTENSIONS = {".txt", ".csv"}

EMPTY = "是空文件（0 字节）"
_CONTENT_CHECKED = frozenset({".pdf", *IMAGE_EXTENSIONS, *OOXML_EXTENSIONS, *OLE2_EXTENSIONS, *ZIP_EXTENSIONS,
                              *TEXT_EXTENSIONS})


def problem(name: str, stream: IO[bytes], size: int) -> str | None:
    """None when the file opens as its type; else why not, in Chinese. `stream` must be seekable."""
    if size <= 0:
        return EMPTY
    suffix = _suffix(name)
    stream.seek(0)
    try:
        if suffix == ".pdf":
            return _pdf_problem(stream)
        if suffix in IMAGE_EXTENSIONS:
            return _image_problem(stream)
        if suffix in OOXML_EXTENSIONS:
            return _ooxml_problem(stream)
        if suffix in OLE2_EXTENSIONS:
            return _ole2_problem(stream)
        if suffix in ZIP_EXTENSIONS:
            return _zip_problem(stream, suffix)
        if suffix in TEXT_EXTENSIONS:
            return _text_problem(stream)
    except MemoryError:
        return "过大，无法打开"
    return None


def needs_content(name: str) -> bool:
    """Whether problem() opens the file as its type; for any other, being non-empty (and inflating
    without error, inside a zip) is all there is to check, so it need not be kept while checked."""
    suffix = _suffix(name)
    return suffix in _CONTENT_CHECKED


def problem_in_bytes(name: str, data: bytes) -> str | None:
    return problem(name, io.BytesIO(data), len(data))


def _suffix(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[-1].lower() if "." in base else ""


# --- by type ------------------------------------------------------------------------------------

@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """pypdf logs every repair it makes on a sloppy PDF; the verdict is all we need."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _pdf_problem(stream: IO[bytes]) -> str | None:
    if b"%PDF-" not in stream.read(1024):
        return "无法作为 PDF 打开（不是 PDF 文件）"
    stream.seek(0)
    from pypdf import PdfReader  # imported here: only runs that meet a PDF pay for it

    try:
        with _quiet("pypdf"):
            reader = PdfReader(stream, strict=False)
            if reader.is_encrypted:
                try:
                    opened = reader.decrypt("")
                except Exception:  # e.g. AES without the optional crypto library: cannot tell
                    return None
                if not opened:
                    return "设置了打开密码，无法查看"
            if len(reader.pages) < 1:
                return "无法作为 PDF 打开（没有页面）"
    except RecursionError:
        return "无法作为 PDF 打开（文件结构异常）"
    except Exception:
        return "无法作为 PDF 打开"
    return None


def _image_problem(stream: IO[bytes]) -> str | None:
    from PIL import Image

    try:  # Pillow refuses images above twice Image.MAX_IMAGE_PIXELS (about 179 megapixels) on open
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(stream) as image:
                width, height = image.size
                if width < 1 or height < 1:
                    return "无法作为图片打开（尺寸为 0）"
                image.verify()
                checked_whole = image.format == "PNG"  # verify() already read every PNG chunk and CRC
            if not checked_whole and width * height <= FULL_DECODE_PIXELS:
                stream.seek(0)
                with Image.open(stream) as image:
                    if image.format == "JPEG":  # decoding at 1/8 scale still reads every byte, cheaply
                        image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                    image.load()  # a truncated file fails here
    except Image.DecompressionBombError:
        return "图片尺寸过大，无法打开"
    except Exception:
        return "无法作为图片打开"
    return None


def _open_zip(stream: IO[bytes]) -> zipfile.ZipFile | None:
    from .workbook import zip_entry_count

    count = zip_entry_count(stream)
    if count is None or count > MAX_ZIP_ENTRIES:
        return None
    stream.seek(0)
    try:
        return zipfile.ZipFile(stream)
    except Exception:
        return None


def _ooxml_problem(stream: IO[bytes]) -> str | None:
    head = stream.read(8)
    if head.startswith(OLE2_MAGIC):
        return None  # an old-format or password-protected Office file saved with a new extension opens fine
    zf = _open_zip(stream)
    if zf is None:
        return "无法作为 Office 文档打开（文件已损坏）"
    with zf:
        if not any(n.lstrip("/").lower() == "[content_types].xml" for n in zf.namelist()):
            return "无法作为 Office 文档打开（缺少文档内容）"
    return None


def _ole2_problem(stream: IO[bytes]) -> str | None:
    head = stream.read(8)
    if head.startswith(OLE2_MAGIC) or head.startswith(RTF_MAGIC):
        return None
    if head.startswith(b"PK\x03\x04"):  # a .docx saved as .doc: Word and WPS open it
        return _ooxml_problem(stream)
    return "无法作为 Office 文档打开（不是 Word/Excel/PowerPoint 文件）"


def _zip_problem(stream: IO[bytes], suffix: str) -> str | None:
    zf = _open_zip(stream)
    if zf is None:
        return "无法作为 OFD 文档打开" if suffix == ".ofd" else "无法作为压缩包打开"
    zf.close()
    return None


def _text_problem(stream: IO[bytes]) -> str | None:
    sample = stream.read(TEXT_SAMPLE_BYTES)
    encodings = ("utf-16",) if sample[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "gb18030")
    for encoding in encodings:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            decoder.decode(sample, final=False)  # a sample may end inside a character
            return None
        except UnicodeDecodeError:
            continue
    return "无法作为文本打开（编码无法识别）"
