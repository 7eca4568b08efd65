"""Names the system offers for files it generates: safe on every desktop, never a path.

No path the system reads or writes is built from what a submission contains. Generated files are
written in memory or under a name of the system's own choosing; the name a person is *offered*
(a download's name, a packed zip's name) may mention the unit, and this module makes it safe:
no folder separators, no control characters, no Windows reserved names, bounded length.
"""
from __future__ import annotations

import re
import unicodedata

# Windows refuses these as a file's stem whatever the extension (CON.xlsx, com1.zip).
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
# Separators, Windows' forbidden characters; control and format characters are handled by category.
_FORBIDDEN = re.compile(r'[\\/:*?"<>|]')
_RUNS = re.compile(r"_{2,}|\s{2,}")
# Bytes, not characters: Linux file systems allow 255 bytes per name, and Chinese takes 3 in UTF-8.
MAX_NAME_BYTES = 180


def _visible(ch: str) -> str:
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return "_"
    return ch


def safe_file_name(name: object, fallback: str = "文件") -> str:
    """`name` as a single file name: safe to offer for download or to write inside a folder of ours.

    Whatever `name` holds (../, C:\\, NUL bytes, RTL marks, CON, 10,000 characters), the result is one
    plain name: no separator, no control character, not reserved, at most MAX_NAME_BYTES in UTF-8, the
    extension kept when there is room. An empty result becomes `fallback`.
    """
    text = unicodedata.normalize("NFC", "" if name is None else str(name))
    text = "".join(_visible(ch) for ch in text)
    text = _FORBIDDEN.sub("_", text)
    text = _RUNS.sub(lambda m: m.group(0)[0], text)
    text = text.strip(" ._")  # Windows drops trailing dots and spaces; a leading dot hides a file
    if not text:
        text = fallback
    stem, dot, suffix = text.rpartition(".")
    if not dot or not (0 < len(suffix) <= 10 and suffix.isalnum()):
        stem, suffix = text, ""
    if stem.split(".")[0].strip().upper() in _RESERVED:
        stem = "_" + stem
    ending = f".{suffix}" if suffix else ""
    room = MAX_NAME_BYTES - len(ending.encode("utf-8"))
    encoded = stem.encode("utf-8")
    if len(encoded) > room:
        stem = encoded[:room].decode("utf-8", errors="ignore").rstrip(" ._") or fallback
    return stem + ending
