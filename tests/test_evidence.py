"""Whether an evidence file opens as its type."""
from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image
from pypdf import PdfWriter

from shared.evidence import EMPTY, problem, problem_in_bytes


def pdf(pages: int = 1, password: str | None = None, owner_only: bool = False) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    if password is not None:
        writer.encrypt(user_password="" if owner_only else password, owner_password=password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image(fmt: str, size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def zipped(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_empty_files_are_broken_whatever_the_type():
    for name in ("a.pdf", "b.jpg", "c.mp4", "d", "e.docx"):
        assert problem_in_bytes(name, b"") == EMPTY


def test_pdfs():
    assert problem_in_bytes("制度.pdf", pdf()) is None
    assert problem_in_bytes("制度.PDF", pdf(3)) is None
    assert problem_in_bytes("坏.pdf", b"%PDF-1.4\n garbage without objects") is not None
    assert problem_in_bytes("坏.pdf", pdf()[:60]) is not None
    assert problem_in_bytes("假.pdf", image("PNG")) == "无法作为 PDF 打开（不是 PDF 文件）"
    assert problem_in_bytes("空白.pdf", pdf(0)) is not None  # no page to show


def test_encrypted_pdfs_open_only_without_a_user_password():
    assert problem_in_bytes("只读.pdf", pdf(password="owner", owner_only=True)) is None
    assert problem_in_bytes("加密.pdf", pdf(password="secret")) == "设置了打开密码，无法查看"


@pytest.mark.parametrize("fmt,suffix", [("PNG", ".png"), ("JPEG", ".jpg"), ("JPEG", ".jpeg"), ("GIF", ".gif"),
                                        ("BMP", ".bmp"), ("TIFF", ".tif"), ("WEBP", ".webp")])
def test_images(fmt, suffix):
    data = image(fmt)
    assert problem_in_bytes("照片" + suffix, data) is None
    assert problem_in_bytes("照片" + suffix, data[: len(data) // 3]) == "无法作为图片打开"


def test_truncated_jpeg_is_caught_by_decoding():
    data = image("JPEG", (640, 480))
    assert problem_in_bytes("a.jpg", data[: int(len(data) * 0.8)]) == "无法作为图片打开"


def test_image_decompression_bomb_is_refused_without_decoding():
    # A PNG header claiming 100000 x 100000 pixels (10 gigapixels): refused on open.
    import struct
    import zlib
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    chunk = lambda kind, body: struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))  # noqa: E731
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")
    assert problem_in_bytes("炸弹.png", data) == "图片尺寸过大，无法打开"


def test_office_files():
    docx = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
    assert problem_in_bytes("方案.docx", docx) is None
    assert problem_in_bytes("方案.docx", zipped({"word/document.xml": b"<w/>"})) is not None
    assert problem_in_bytes("方案.docx", b"not a zip at all") is not None
    assert problem_in_bytes("方案.docx", docx[:40]) is not None
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    assert problem_in_bytes("旧方案.doc", ole2) is None
    assert problem_in_bytes("旧方案.doc", b"{\\rtf1 hello}") is None
    assert problem_in_bytes("旧方案.doc", docx) is None
    assert problem_in_bytes("旧方案.doc", b"plain text") is not None
    assert problem_in_bytes("台账.xls", b"<html>") is not None


def test_ofd_and_zip():
    assert problem_in_bytes("公文.ofd", zipped({"OFD.xml": b"<ofd/>"})) is None
    assert problem_in_bytes("公文.ofd", b"garbage") == "无法作为 OFD 文档打开"
    assert problem_in_bytes("照片.zip", b"garbage") == "无法作为压缩包打开"


def test_text_files():
    assert problem_in_bytes("说明.txt", "节约用水".encode("utf-8")) is None
    assert problem_in_bytes("说明.txt", "节约用水".encode("gbk")) is None
    assert problem_in_bytes("说明.txt", "\ufeff台账".encode("utf-16")) is None
    assert problem_in_bytes("台账.csv", "a,b\n1,2".encode("utf-8-sig")) is None
    assert problem_in_bytes("说明.txt", b"\x81\xff\xfe\x80\x81\xff" * 10) is not None


def test_text_sample_cut_inside_a_character_is_fine(monkeypatch):
    import shared.evidence as evidence
    monkeypatch.setattr(evidence, "TEXT_SAMPLE_BYTES", 4)
    assert problem_in_bytes("说明.txt", "节约用水".encode("utf-8")) is None  # 4 bytes ends mid-character


def test_other_types_only_need_content():
    assert problem_in_bytes("视频.mp4", b"\x00\x00\x00\x18ftypmp42") is None
    assert problem_in_bytes("无扩展名", b"x") is None


def test_problem_reads_a_stream_from_its_start():
    stream = io.BytesIO(pdf())
    stream.seek(50)
    assert problem("a.pdf", stream, len(stream.getvalue())) is None
