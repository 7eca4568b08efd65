"""The fast whole-entry reader gives exactly what zipfile gives, or steps aside, or fails as zipfile would."""
from __future__ import annotations

import io
import tracemalloc
import zipfile
import zlib

import pytest

from brief import foreign_files, needs_foreign
from shared import zipentry
from shared.template import write_template
from shared.zipentry import read_entry



def entries_agree(source) -> int:
    """Asserts every entry reads the same both ways (or the fast path steps aside); returns how many it read."""
    fast = 0
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            try:
                expected = archive.read(info)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error):
                expected = None
            try:
                got = read_entry(archive.fp, info)
            except zipfile.BadZipFile:
                assert expected is None, info.filename  # zipfile could read what we called corrupt
                continue
            if got is not None:
                assert got == expected, info.filename
                fast += 1
    return fast


@needs_foreign
def test_every_part_of_the_template_and_the_foreign_zips_reads_as_zipfile_reads_it(tmp_path):
    assert entries_agree(write_template(tmp_path / "t.xlsx")) > 5
    zips = foreign_files(lambda p: p.read_bytes()[:4] == b"PK\x03\x04")
    assert len(zips) > 20
    read = 0
    for path in zips:
        try:
            read += entries_agree(path)
        except zipfile.BadZipFile:
            continue  # no central directory: zipfile refuses the file before any entry is read
    assert read > 100


def one_entry(data: bytes, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("xl/a.xml", data)
    return buffer.getvalue()


def read_only_entry(blob: bytes) -> bytes | None:
    archive = zipfile.ZipFile(io.BytesIO(blob))
    return read_entry(archive.fp, archive.infolist()[0])


def test_stored_and_deflated_entries():
    text = "<工作表>".encode() * 1000
    assert read_only_entry(one_entry(text)) == text
    assert read_only_entry(one_entry(text, zipfile.ZIP_STORED)) == text


def test_a_flipped_byte_or_a_lie_about_the_size_is_corrupt():
    text = bytes(range(256)) * 200
    blob = bytearray(one_entry(text, zipfile.ZIP_STORED))
    blob[40] ^= 0xFF  # inside the data
    with pytest.raises(zipfile.BadZipFile):
        read_only_entry(bytes(blob))
    archive = zipfile.ZipFile(io.BytesIO(one_entry(b"x" * 100_000)))
    info = archive.infolist()[0]
    info.file_size = 1000  # the stream holds more than declared: read to 1000 bytes, then the CRC fails
    with pytest.raises(zipfile.BadZipFile):
        read_entry(archive.fp, info)
    info.file_size = 200_000  # less than declared
    with pytest.raises(zipfile.BadZipFile):
        read_entry(archive.fp, info)


def test_a_shared_part_is_inflated_once_and_a_lie_about_it_still_fails(monkeypatch):
    monkeypatch.setattr(zipentry, "_INFLATED", {})
    text = '<Relationships><Relationship Id="rId1" Target="工作表.xml"/></Relationships>'.encode()
    archive = zipfile.ZipFile(io.BytesIO(one_entry(text)))
    info = archive.infolist()[0]
    first = read_entry(archive.fp, info, remember=True)
    assert first == text and len(zipentry._INFLATED) == 1
    assert read_entry(archive.fp, info, remember=True) is first  # not inflated again
    assert read_entry(archive.fp, info) == text and len(zipentry._INFLATED) == 1  # only parts said to be shared
    info.CRC ^= 1  # the same bytes, another CRC declared: refused as before
    with pytest.raises(zipfile.BadZipFile):
        read_entry(archive.fp, info, remember=True)
    info.CRC ^= 1
    info.file_size -= 1  # another size declared
    with pytest.raises(zipfile.BadZipFile):
        read_entry(archive.fp, info, remember=True)
    for i in range(zipentry.REMEMBERED + 5):  # bounded
        other = zipfile.ZipFile(io.BytesIO(one_entry(text + str(i).encode())))
        assert read_entry(other.fp, other.infolist()[0], remember=True) == text + str(i).encode()
    assert len(zipentry._INFLATED) <= zipentry.REMEMBERED
    big = zipfile.ZipFile(io.BytesIO(one_entry(bytes(range(256)) * 200, zipfile.ZIP_STORED)))
    zipentry._INFLATED.clear()
    read_entry(big.fp, big.infolist()[0], remember=True)
    assert not zipentry._INFLATED  # larger than a shared part may be


def test_unusual_entries_are_left_to_zipfile():
    archive = zipfile.ZipFile(io.BytesIO(one_entry(b"x" * 1000)))
    info = archive.infolist()[0]
    for change in ({"flag_bits": info.flag_bits | 0x1}, {"compress_type": zipfile.ZIP_BZIP2}, {"file_size": 0},
                   {"compress_size": 10**7}, {"header_offset": 1}):
        odd = zipfile.ZipInfo(info.filename)
        for key in ("flag_bits", "compress_type", "file_size", "compress_size", "header_offset", "CRC"):
            setattr(odd, key, change.get(key, getattr(info, key)))
        assert read_entry(archive.fp, odd) is None, change


def test_plain_zlib_gives_the_same_when_isal_is_not_installed(monkeypatch, tmp_path):
    template = write_template(tmp_path / "t.xlsx")
    monkeypatch.setattr(zipentry, "_zlib", zlib)
    assert entries_agree(template) > 5


def test_a_small_bomb_is_never_inflated_past_its_declared_size():
    archive = zipfile.ZipFile(io.BytesIO(one_entry(bytes(8 << 20))))  # 8 MiB of zeros in ~8 KB
    info = archive.infolist()[0]
    info.file_size = info.compress_size  # declared tiny, so the fast path takes it
    tracemalloc.start()
    try:
        with pytest.raises(zipfile.BadZipFile):
            read_entry(archive.fp, info)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
