"""Reading one small zip entry whole, fast: the local header checked, then inflated in one call.

zipfile's ZipExtFile streams through Python-level buffers, and zlib inflates at about half the speed
of ISA-L (the `isal` package, when installed). For the parts of a workbook, which are read whole
anyway, this reads the compressed bytes, inflates them to at most the size the central directory
declares and checks the CRC. Anything unusual (another compression method, encryption, a local
header that does not match, a compressed size no deflate stream needs) returns None, and the caller
reads the entry with zipfile, which raises the right error or handles the case.
"""
from __future__ import annotations

import struct
import zipfile
from typing import IO

try:  # ISA-L inflates ~2x faster than zlib, with the same API
    from isal import isal_zlib as _zlib
except ImportError:  # pragma: no cover - a platform without isal wheels
    import zlib as _zlib

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile.structFileHeader
_LOCAL_SIGNATURE = b"PK\x03\x04"


# Parts that every workbook filled from one template shares (its rels; workbook.xml as one program writes
# it) are inflated once: remembered by exactly what decides the result (method, declared size and CRC, the
# compressed bytes). Only small ones, and at most REMEMBERED of them.
REMEMBERED, REMEMBERED_COMPRESSED, REMEMBERED_SIZE = 64, 16 * 1024, 256 * 1024
_INFLATED: dict[tuple[int, int, int, bytes], bytes] = {}


def read_entry(fp: IO[bytes], info: zipfile.ZipInfo, remember: bool = False) -> bytes | None:
    """The entry's bytes, or None when it is not a plain stored or deflated entry (use zipfile then).
    `remember`: a part shared by the workbooks of one template (see _INFLATED).

    Raises zipfile.BadZipFile when the data is corrupt: shorter or longer than declared, or a bad CRC."""
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    if info.file_size == 0:
        return None  # (a max_length of 0 would mean "no limit" to the inflater)
    if info.compress_size > info.file_size + info.file_size // 100 + 1024:
        return None  # more than any deflate stream of this size needs: let zipfile stream it
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        return None
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != _LOCAL_SIGNATURE:
        return None
    name_length, extra_length = fields[10], fields[11]
    fp.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
    raw = fp.read(info.compress_size)
    if len(raw) != info.compress_size:
        raise zipfile.BadZipFile(f"truncated entry {info.filename!r}")
    key = None
    if remember and info.compress_size <= REMEMBERED_COMPRESSED and info.file_size <= REMEMBERED_SIZE:
        key = (info.compress_type, info.file_size, info.CRC, raw)
        known = _INFLATED.get(key)
        if known is not None:
            return known  # the same bytes inflated and passed the same CRC check before
    if info.compress_type == zipfile.ZIP_STORED:
        data = raw
    else:
        inflater = _zlib.decompressobj(-15)
        try:
            data = inflater.decompress(raw, info.file_size)  # never more than declared
        except _zlib.error as error:
            raise zipfile.BadZipFile(f"bad deflate data in {info.filename!r}: {error}") from None
    if len(data) != info.file_size or _zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
    if key is not None:
        if len(_INFLATED) >= REMEMBERED:
            _INFLATED.clear()
        _INFLATED[key] = data
    return data
