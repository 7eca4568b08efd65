"""Submissions: discovering them, reading zips from every tool units use, and refusing hostile packages."""
from __future__ import annotations

import io
import os
import pickle
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter

from shared.submission import EvidenceStatus, PackageError, Submission, discover, is_junk
from shared.workbook import read_named_values

NFD = lambda text: __import__("unicodedata").normalize("NFD", text)  # noqa: E731


# --- inputs -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def workbook_bytes(tmp_path_factory) -> bytes:
    """A filled 自评表 (the real template when it is there, else a minimal one with the core names)."""
    folder = tmp_path_factory.mktemp("wb")
    try:
        from shared import template
    except ImportError:
        template = None
    if template is not None:
        blank = template.write_template(folder / "blank.xlsx")
        template.write_named_values(blank, folder / "filled.xlsx", {"org_name": "市委办公室", "score_2_2_5": 3})
        return (folder / "filled.xlsx").read_bytes()
    from openpyxl import Workbook
    from openpyxl.workbook.defined_name import DefinedName
    wb = Workbook()
    ws = wb.active
    ws.title = "自评表"
    ws["B2"], ws["F2"] = "市委办公室", 3
    for name, ref in {"org_name": "自评表!$B$2", "score_2_2_5": "自评表!$F$2", "total_score": "自评表!$F$3"}.items():
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
    wb.save(folder / "filled.xlsx")
    return (folder / "filled.xlsx").read_bytes()


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    return out.getvalue()


class RawNameInfo(zipfile.ZipInfo):
    """An entry whose name bytes and flags are written exactly as given (as other tools write them)."""

    def __init__(self, raw: bytes, flag_bits: int = 0, extra: bytes = b""):
        super().__init__(raw.decode("cp437"), date_time=(2020, 1, 1, 0, 0, 0))
        self._raw = raw
        self.flag_bits = flag_bits
        self.extra = extra
        self.compress_type = zipfile.ZIP_DEFLATED

    def _encodeFilenameFlags(self):
        return self._raw, self.flag_bits


def write_zip(path: Path, entries: dict[str, bytes], encoding: str = "utf-8-flag", unicode_extra: bool = False) -> Path:
    """A zip as a given tool writes it: 'utf-8-flag' (Explorer on new Windows, WPS), 'gbk' (Chinese
    Windows, no flag), 'utf-8-noflag' (macOS Finder), 'nfd' (Finder names are NFD, no flag)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            if encoding == "utf-8-flag":
                zf.writestr(name, data)
                continue
            text = NFD(name) if encoding == "nfd" else name
            raw = text.encode("gbk" if encoding == "gbk" else "utf-8")
            extra = b""
            if unicode_extra:
                payload = b"\x01" + struct.pack("<I", zlib.crc32(raw)) + name.encode("utf-8")
                extra = struct.pack("<HH", 0x7075, len(payload)) + payload
            zf.writestr(RawNameInfo(raw, 0, extra), data)
    return path


def package_entries(workbook: bytes, top: str = "") -> dict[str, bytes]:
    prefix = f"{top}/" if top else ""
    return {f"{prefix}自评表.xlsx": workbook,
            f"{prefix}佐证材料/制度/节水管理制度.pdf": pdf_bytes(),
            f"{prefix}佐证材料/照片1.png": png_bytes()}


def raw_deflate_zip(path: Path, name: str, sizes: list[int], declared: list[int] | None = None) -> Path:
    """A zip of entries of zeros, written without ever holding or compressing them whole: the deflate
    stream of 1 MiB of zeros (full-flushed, so it stands alone) repeated. `declared` may lie about sizes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    mib = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    central, offset = [], 0
    with open(path, "wb") as fh:
        for i, size in enumerate(sizes):
            entry = f"{name}{i}.bin".encode()
            stream_len = len(mib) * (size >> 20) + len(final)
            usize = declared[i] if declared else size
            header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0x800, 8, 0, 0x5021, 0, stream_len, usize, len(entry), 0)
            fh.write(header + entry)
            for _ in range(size >> 20):
                fh.write(mib)
            fh.write(final)
            central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0x800, 8, 0, 0x5021, 0, stream_len, usize,
                                       len(entry), 0, 0, 0, 0, 0, offset) + entry)
            offset += len(header) + len(entry) + stream_len
        cd = b"".join(central)
        fh.write(cd)
        fh.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(sizes), len(sizes), len(cd), offset, 0))
    return path


# --- discovering -------------------------------------------------------------------------------

def test_discover_files_packages_and_inboxes(tmp_path, workbook_bytes):
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    (inbox / "b单位.xlsx").write_bytes(workbook_bytes)
    write_zip(inbox / "a单位.zip", package_entries(workbook_bytes))
    folder = inbox / "c单位"
    (folder / "佐证材料").mkdir(parents=True)
    (folder / "自评表.xlsx").write_bytes(workbook_bytes)
    no_evidence = inbox / "d单位"
    no_evidence.mkdir()
    (no_evidence / "自评表.xlsx").write_bytes(workbook_bytes)
    (inbox / "e单位.rar").write_bytes(b"Rar!\x1a\x07\x00")
    (inbox / "说明.txt").write_text("not a submission")
    (inbox / "空文件夹").mkdir()
    for junk in (".DS_Store", "Thumbs.db", "desktop.ini", "~$b单位.xlsx", ".~lock.b单位.xlsx#", ".hidden.xlsx"):
        (inbox / junk).write_bytes(b"junk")
    (inbox / "__MACOSX").mkdir()

    found = discover([inbox])
    assert [(s.source, s.kind) for s in found] == [
        ("a单位.zip", "zip"), ("b单位.xlsx", "xlsx"), ("c单位", "folder"),
        ("d单位", "folder"), ("e单位.rar", "zip")]

    explicit = discover([str(inbox / "b单位.xlsx"), folder, inbox / "说明.txt"])
    assert [(s.source, s.kind) for s in explicit] == [
        (str(inbox / "b单位.xlsx"), "xlsx"), (str(folder), "folder"), (str(inbox / "说明.txt"), "xlsx")]
    assert len(discover([inbox, inbox / "b单位.xlsx"])) == 5  # the same file once
    with pytest.raises(FileNotFoundError):
        discover([tmp_path / "nope.xlsx"])


def test_package_folder_with_nfd_evidence_folder_is_a_package(tmp_path, workbook_bytes):
    folder = tmp_path / "单位"
    (folder / NFD("佐证材料")).mkdir(parents=True)
    (folder / "自评表.xlsx").write_bytes(workbook_bytes)
    (folder / NFD("佐证材料") / NFD("节能制度.pdf")).write_bytes(pdf_bytes())
    [sub] = discover([folder])
    assert sub.kind == "folder"
    assert sub.evidence_status("节能制度.pdf").status == "ok"
    assert sub.evidence_files() == ["节能制度.pdf"]


def test_junk_names():
    for junk in ("__MACOSX/佐证材料/._a.pdf", "a/.DS_Store", "Thumbs.db", "x/desktop.ini", "~$自评表.xlsx",
                 ".~lock.自评表.xlsx#", ".git/config", "佐证材料/._照片.jpg"):
        assert is_junk(junk), junk
    for real in ("自评表.xlsx", "佐证材料/制度/a.pdf", "a.~lock.txt", "v1.2/a.pdf"):
        assert not is_junk(real), real


# --- reading packages --------------------------------------------------------------------------

@pytest.mark.parametrize("encoding,unicode_extra", [
    ("utf-8-flag", False), ("gbk", False), ("utf-8-noflag", False), ("nfd", False), ("gbk", True)])
@pytest.mark.parametrize("top", ["", "市委办公室"])
def test_zip_names_from_every_tool(tmp_path, workbook_bytes, encoding, unicode_extra, top):
    path = write_zip(tmp_path / "包.zip", package_entries(workbook_bytes, top), encoding, unicode_extra)
    sub = Submission("包.zip", path, "zip")
    inner, data = sub.workbook()
    assert inner == "自评表.xlsx"
    assert read_named_values(data).value("org_name") == "市委办公室"
    assert sub.evidence_files() == ["制度/节水管理制度.pdf", "照片1.png"]
    assert sub.evidence_status("制度/节水管理制度.pdf") == EvidenceStatus("制度/节水管理制度.pdf", "ok", None)
    assert sub.evidence_status("制度\\节水管理制度.pdf").status == "ok"
    assert sub.evidence_status(NFD("照片1.png")).status == "ok"
    assert sub.evidence_status("佐证材料/照片1.png").status == "ok"
    assert sub.evidence_status("照片2.png").status == "not_found"
    assert sub.open_evidence("照片1.png") == png_bytes()
    sub.close()


def test_gbk_names_that_happen_to_be_valid_utf8_are_still_read_as_gbk(tmp_path, workbook_bytes):
    # Many GBK words are also valid UTF-8 ("一些" -> "һЩ"); a decoding that gives Chinese must win.
    name = "一些.xlsx"
    name.encode("gbk").decode("utf-8")  # the premise: valid as both
    path = write_zip(tmp_path / "p.zip", {name: workbook_bytes, "readme.txt": b"x"}, "gbk")
    assert Submission("p.zip", path, "zip").workbook()[0] == name
    # And the reverse: Finder's UTF-8 without the flag that also decodes as GBK (to rare characters).
    utf8_name = "佐证材料/会议纪要.pdf"
    utf8_name.encode("utf-8").decode("gb18030")  # the premise
    path = write_zip(tmp_path / "q.zip", {"wb.xlsx": workbook_bytes, utf8_name: pdf_bytes()}, "utf-8-noflag")
    assert Submission("q.zip", path, "zip").evidence_files() == ["会议纪要.pdf"]


def test_macosx_junk_and_lock_files_are_ignored(tmp_path, workbook_bytes):
    entries = {**package_entries(workbook_bytes, "单位"),
               "__MACOSX/单位/._自评表.xlsx": b"\x00\x05\x16\x07", "单位/.DS_Store": b"x",
               "单位/~$自评表.xlsx": b"lock", "单位/佐证材料/Thumbs.db": b"x"}
    sub = Submission("p.zip", write_zip(tmp_path / "p.zip", entries), "zip")
    assert sub.workbook()[0] == "自评表.xlsx"
    assert sub.evidence_files() == ["制度/节水管理制度.pdf", "照片1.png"]


def test_workbook_choice(tmp_path, workbook_bytes):
    def workbook_of(entries):
        return Submission("p.zip", write_zip(tmp_path / "p.zip", entries), "zip").workbook()[0]

    assert workbook_of({"sub/自评表.xlsx": workbook_bytes, "佐证材料/台账.xlsx": b"x"}) == "sub/自评表.xlsx"
    assert workbook_of({"自评表.xlsx": workbook_bytes, "旧版.xls": b"x"}) == "自评表.xlsx"
    assert workbook_of({"自评表.xls": b"old"}) == "自评表.xls"  # read_named_values then says: old .xls
    with pytest.raises(PackageError) as caught:
        workbook_of({"a.xlsx": workbook_bytes, "b.xlsx": workbook_bytes, "佐证材料/x.pdf": b"x"})
    assert caught.value.kind == "unreadable/many_workbooks" and caught.value.fields["count"] == 2
    assert "a.xlsx" in caught.value.fields["names"]
    with pytest.raises(PackageError) as caught:
        workbook_of({"佐证材料/台账.xlsx": workbook_bytes, "说明.docx": b"x"})
    assert caught.value.kind == "unreadable/no_workbook"


def test_xlsx_renamed_to_zip_is_read_as_the_workbook(tmp_path, workbook_bytes):
    path = tmp_path / "市委办.zip"
    path.write_bytes(workbook_bytes)
    name, data = Submission("市委办.zip", path, "zip").workbook()
    assert data == workbook_bytes and name == "市委办.zip"


def test_bare_workbook_has_no_evidence(tmp_path, workbook_bytes):
    path = tmp_path / "自评表.xlsx"
    path.write_bytes(workbook_bytes)
    [sub] = discover([path])
    assert sub.workbook() == ("自评表.xlsx", workbook_bytes)
    assert sub.evidence_status("a.pdf").status == "not_found"
    assert sub.evidence_status("../a.pdf").status == "unsafe"
    assert sub.evidence_status("C:\\材料\\a.pdf") == ("C:\\材料\\a.pdf", "unsafe", "是绝对路径")
    assert sub.evidence_status("制度/快捷方式.LNK").reason == "是链接文件（快捷方式）"
    assert sub.evidence_files() == []
    [again] = discover([path])  # another bare workbook naming the same texts gets the same answers
    assert again.evidence_status(" a.pdf ") == ("a.pdf", "not_found", None)
    assert again.evidence_status("../a.pdf").status == "unsafe"


def test_not_a_zip_empty_and_rar(tmp_path):
    for name, data, kind in (("a.zip", b"", "unreadable/empty"), ("b.zip", b"Rar!\x1a\x07\x00xxxx", "unreadable"),
                             ("c.zip", os.urandom(500), "unreadable"), ("d.zip", b"PK\x03\x04truncated", "unreadable")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(PackageError) as caught:
            Submission(name, tmp_path / name, "zip").workbook()
        assert caught.value.kind == kind
        assert caught.value.reason


# --- hostile zips ------------------------------------------------------------------------------

@pytest.mark.parametrize("bad_name,reason", [
    ("../../etc/evil.txt", "含有 ..，指向包外"), ("佐证材料/../../x.pdf", "含有 ..，指向包外"),
    ("/etc/passwd", "是绝对路径"), ("C:/Windows/x.dll", "是绝对路径"), ("..\\..\\x.txt", "含有 ..，指向包外")])
def test_zip_slip_and_absolute_entries_refuse_the_whole_package(tmp_path, workbook_bytes, bad_name, reason):
    path = tmp_path / "p.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("自评表.xlsx", workbook_bytes)
        zf.writestr(zipfile.ZipInfo(bad_name), b"evil")
    sub = Submission("p.zip", path, "zip")
    with pytest.raises(PackageError) as caught:
        sub.workbook()
    assert caught.value.kind == "package_unsafe" and caught.value.reason == reason
    assert caught.value.entry == bad_name.replace("\\", "/")
    assert not (tmp_path.parent / "etc").exists()


def test_symlink_entry_refuses_the_package(tmp_path, workbook_bytes):
    path = tmp_path / "p.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("自评表.xlsx", workbook_bytes)
        link = zipfile.ZipInfo("佐证材料/passwd.pdf")
        link.create_system = 3
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/passwd")
    with pytest.raises(PackageError) as caught:
        Submission("p.zip", path, "zip").workbook()
    assert caught.value.kind == "package_unsafe" and caught.value.reason == "是链接文件"


def test_too_many_entries(tmp_path, workbook_bytes, monkeypatch):
    import shared.submission as submission
    monkeypatch.setattr(submission, "MAX_ENTRIES", 20)
    path = write_zip(tmp_path / "p.zip", {**package_entries(workbook_bytes), **{f"佐证材料/{i}.txt": b"x" for i in range(30)}})
    with pytest.raises(PackageError) as caught:
        Submission("p.zip", path, "zip").workbook()
    assert caught.value.kind == "package_unsafe/too_big"


def test_a_3_gib_zip_bomb_is_refused_from_its_directory(tmp_path):
    path = raw_deflate_zip(tmp_path / "bomb.zip", "佐证材料/zeros", [3 << 30])
    assert path.stat().st_size < 8 << 20
    with pytest.raises(PackageError) as caught:
        Submission("bomb.zip", path, "zip").workbook()
    assert caught.value.kind == "package_unsafe/too_big"


def test_many_small_bombs_add_up(tmp_path, monkeypatch):
    path = raw_deflate_zip(tmp_path / "bombs.zip", "佐证材料/zeros", [8 << 20] * 130)  # 1.04 GB declared
    with pytest.raises(PackageError) as caught:
        Submission("bombs.zip", path, "zip").workbook()
    assert caught.value.kind == "package_unsafe/too_big"


def test_high_ratio_entry_is_refused(tmp_path):
    path = raw_deflate_zip(tmp_path / "ratio.zip", "佐证材料/zeros", [64 << 20])
    with pytest.raises(PackageError) as caught:
        Submission("ratio.zip", path, "zip").workbook()
    assert caught.value.kind == "package_unsafe/too_big" and "压缩比" in caught.value.reason


def test_an_entry_that_lies_about_its_size_is_never_expanded(tmp_path):
    # Declares 2 KB, holds 2 GiB of zeros: reading must stop at the declared size and call it broken.
    bomb = raw_deflate_zip(tmp_path / "lie.zip", "佐证材料/报告", [2 << 30], declared=[2048])
    sub = Submission("lie.zip", bomb, "zip")
    assert sub.evidence_files() == ["报告0.bin"]
    status = sub.evidence_status("报告0.bin")
    assert status.status == "broken" and status.reason


def test_encrypted_entries(tmp_path, workbook_bytes):
    path = write_zip(tmp_path / "p.zip", package_entries(workbook_bytes))
    data = bytearray(path.read_bytes())
    # Set the "encrypted" flag bit on every entry (local and central headers).
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (at := data.find(signature, start)) != -1:
            data[at + flag_offset] |= 0x01
            start = at + 4
    path.write_bytes(bytes(data))
    with pytest.raises(PackageError) as caught:
        Submission("p.zip", path, "zip").workbook()
    assert caught.value.kind == "unreadable/encrypted"
    assert Submission("p.zip", path, "zip").evidence_status("照片1.png").status == "broken"


# --- evidence in packages ----------------------------------------------------------------------

def test_evidence_statuses_in_a_zip(tmp_path, workbook_bytes):
    entries = {**package_entries(workbook_bytes), "佐证材料/空.pdf": b"", "佐证材料/坏.pdf": b"%PDF-1.4 garbage",
               "佐证材料/坏.png": png_bytes()[:30], "佐证材料/子目录/": b"", "佐证材料/Plan.PDF": pdf_bytes(),
               "佐证材料/快捷方式.lnk": b"L\x00\x00\x00"}
    sub = Submission("p.zip", write_zip(tmp_path / "p.zip", entries), "zip")
    assert sub.evidence_status("空.pdf") == EvidenceStatus("空.pdf", "broken", "是空文件（0 字节）")
    assert sub.evidence_status("坏.pdf").status == "broken"
    assert "PDF" in sub.evidence_status("坏.pdf").reason
    assert sub.evidence_status("坏.png").reason == "无法作为图片打开"
    assert sub.evidence_status("子目录").status == "broken"
    assert sub.evidence_status("plan.pdf").status == "ok"  # case as Windows users see it
    assert sub.evidence_status("快捷方式.lnk").status == "unsafe"
    assert sub.evidence_status("/etc/passwd") == EvidenceStatus("/etc/passwd", "unsafe", "是绝对路径")
    assert sub.evidence_status("D:\\材料\\a.pdf").reason == "是绝对路径"
    assert sub.evidence_status("../自评表.xlsx").reason == "含有 ..，指向包外"
    assert sub.evidence_status("制度/../../x.pdf").status == "unsafe"
    assert sub.evidence_status("https://example.com/a.pdf").status == "unsafe"
    assert sub.evidence_status("  “照片1.png” ").status == "ok"
    with pytest.raises(PackageError):
        sub.open_evidence("../自评表.xlsx")
    with pytest.raises(PackageError):
        sub.open_evidence("没有.pdf")


def test_evidence_is_found_as_written_and_streamed_from_the_package(tmp_path, workbook_bytes):
    """What the server's file route serves: a path as the unit wrote it → the package's own file →
    its bytes in chunks; anything that would leave the package names nothing."""
    big = bytes(range(256)) * 8192  # 2 MiB
    entries = {**package_entries(workbook_bytes, top="包"), "包/佐证材料/扫描/大文件.pdf": big}
    sub = Submission("p.zip", write_zip(tmp_path / "p.zip", entries), "zip")
    assert sub.evidence_member("佐证材料\\扫描\\大文件.pdf") == "扫描/大文件.pdf"
    assert sub.evidence_member(" “制度/节水管理制度.PDF” ") == "制度/节水管理制度.pdf"  # case as Windows shows it
    for hostile in ("../自评表.xlsx", "/etc/passwd", "扫描/../../自评表.xlsx", "C:\\a.pdf", "没有.pdf", ""):
        assert sub.evidence_member(hostile) is None
    assert sub.evidence_member("扫描/大文件.pdf") in sub.evidence_files()
    with sub.evidence_stream("扫描/大文件.pdf") as (size, stream):
        chunks = iter(lambda: stream.read(1 << 16), b"")
        assert size == len(big) and b"".join(chunks) == big
    for missing in ("../自评表.xlsx", "没有.pdf", "自评表.xlsx"):
        with pytest.raises(PackageError):
            with sub.evidence_stream(missing):
                pass
    bare = Submission("a.xlsx", write_zip(tmp_path / "a.xlsx", {"自评表.xlsx": workbook_bytes}), "xlsx")
    assert bare.evidence_member("制度/节水管理制度.pdf") is None


def test_folder_package_does_not_follow_links(tmp_path, workbook_bytes):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.pdf").write_bytes(pdf_bytes())
    folder = tmp_path / "单位"
    evidence = folder / "佐证材料"
    (evidence / "制度").mkdir(parents=True)
    (folder / "自评表.xlsx").write_bytes(workbook_bytes)
    (evidence / "制度" / "a.pdf").write_bytes(pdf_bytes())
    (evidence / "空.jpg").write_bytes(b"")
    os.symlink(outside / "secret.pdf", evidence / "link.pdf")
    os.symlink(outside, evidence / "linkdir")
    os.mkfifo(evidence / "pipe.pdf")
    [sub] = discover([folder])
    assert sub.evidence_status("制度/a.pdf").status == "ok"
    assert sub.evidence_status("link.pdf") == EvidenceStatus("link.pdf", "unsafe", "是链接文件")
    assert sub.evidence_status("linkdir/secret.pdf").status == "unsafe"
    assert sub.evidence_status("pipe.pdf").status == "unsafe"
    assert sub.evidence_status("../自评表.xlsx").status == "unsafe"
    assert sub.evidence_status(str(outside / "secret.pdf")).status == "unsafe"
    assert sub.evidence_status("空.jpg") == EvidenceStatus("空.jpg", "broken", "是空文件（0 字节）")
    assert sub.evidence_status("制度").status == "broken"
    assert sub.evidence_files() == ["制度/a.pdf", "空.jpg"]
    assert sub.open_evidence("制度/a.pdf") == (evidence / "制度" / "a.pdf").read_bytes()
    with pytest.raises(PackageError):
        sub.open_evidence("link.pdf")


def test_folder_whose_evidence_folder_is_a_link(tmp_path, workbook_bytes):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.pdf").write_bytes(pdf_bytes())
    folder = tmp_path / "单位"
    folder.mkdir()
    (folder / "自评表.xlsx").write_bytes(workbook_bytes)
    os.symlink(outside, folder / "佐证材料")
    [sub] = discover([folder])
    assert sub.kind == "folder"
    assert sub.evidence_status("a.pdf").status == "unsafe"
    assert sub.evidence_files() == []


def test_folder_workbook_that_is_a_link_is_refused(tmp_path, workbook_bytes):
    (tmp_path / "real.xlsx").write_bytes(workbook_bytes)
    folder = tmp_path / "单位"
    (folder / "佐证材料").mkdir(parents=True)
    os.symlink(tmp_path / "real.xlsx", folder / "自评表.xlsx")
    with pytest.raises(PackageError) as caught:
        discover([folder])[0].workbook()
    assert caught.value.kind == "package_unsafe"


def test_submissions_pickle_without_open_files(tmp_path, workbook_bytes):
    path = write_zip(tmp_path / "p.zip", package_entries(workbook_bytes))
    sub = Submission("p.zip", path, "zip")
    sub.workbook()
    copy = pickle.loads(pickle.dumps(sub))
    assert copy.workbook()[1] == sub.workbook()[1]
    assert copy.evidence_status("照片1.png").status == "ok"


def test_unicode_path_extra_field_wins_over_the_legacy_name(tmp_path, workbook_bytes):
    # 7-Zip/WinRAR write a legacy (code page) name plus the real name in the 0x7075 extra field.
    def entry(legacy: bytes, real: str, crc_of: bytes | None = None) -> RawNameInfo:
        payload = b"\x01" + struct.pack("<I", zlib.crc32(crc_of or legacy)) + real.encode("utf-8")
        return RawNameInfo(legacy, 0, struct.pack("<HH", 0x7075, len(payload)) + payload)

    path = tmp_path / "p.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("自评表.xlsx", workbook_bytes)
        zf.writestr(entry(b"????/????.pdf", "佐证材料/制度汇编.pdf"), pdf_bytes())
        zf.writestr(entry(b"stale.pdf", "佐证材料/旧名.pdf", crc_of=b"other"), pdf_bytes())  # stale: ignored
    sub = Submission("p.zip", path, "zip")
    assert sub.evidence_files() == ["制度汇编.pdf"]
    assert sub.evidence_status("制度汇编.pdf").status == "ok"


def test_a_batch_of_zips_does_not_keep_every_file_open(tmp_path, workbook_bytes):
    for i in range(40):
        write_zip(tmp_path / f"{i:02d}.zip", package_entries(workbook_bytes))
    before = len(os.listdir("/proc/self/fd"))
    subs = discover([tmp_path])
    for sub in subs:
        sub.workbook()
        assert sub.evidence_status("照片1.png").status == "ok"
    assert len(subs) == 40
    assert len(os.listdir("/proc/self/fd")) - before <= 8 + 2
    subs[0].close()
    assert subs[0].evidence_files() == ["制度/节水管理制度.pdf", "照片1.png"]  # reopens on demand


def test_full_width_slashes_typed_with_a_chinese_ime(tmp_path, workbook_bytes):
    sub = Submission("p.zip", write_zip(tmp_path / "p.zip", package_entries(workbook_bytes)), "zip")
    assert sub.evidence_status("制度／节水管理制度.pdf").status == "ok"
    assert sub.evidence_status("制度＼..＼..＼x.pdf").status == "unsafe"


# --- hostile inputs (issue 18) ----------------------------------------------------------------

def check_in_child(path: str):
    """The contract record of a file given directly (run in a forked child: on a reader that blocks,
    the bound, not the test run, ends it)."""
    from shared.batch import check_submission

    (sub,) = discover([path])
    return check_submission(sub).as_contract()


@pytest.mark.parametrize("name", ["申报.xlsx", "申报.zip"])
def test_a_fifo_is_never_read_whether_given_or_in_an_inbox(tmp_path, name):
    from bounded import within

    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    os.mkfifo(inbox / name)
    (inbox / "到零设备.xlsx").symlink_to("/dev/zero")
    for path in (inbox / name, inbox / "到零设备.xlsx"):
        record = within(30, check_in_child, str(path))
        assert [f["code"] for f in record["findings"]] == ["unreadable"]
        assert "不是普通文件" in record["findings"][0]["message"] and path.name in record["findings"][0]["message"]
    assert [s.source for s in discover([inbox])] == ["到零设备.xlsx", name] or [s.source for s in discover([inbox])] == sorted(
        ["到零设备.xlsx", name])


def test_a_link_loop_and_an_unreadable_subfolder_become_findings(tmp_path, workbook_bytes):
    from shared.batch import check_submission

    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    (inbox / "循环.xlsx").symlink_to(inbox / "循环.xlsx")
    (inbox / "好.xlsx").write_bytes(workbook_bytes)
    records = {s.source: check_submission(s) for s in discover([inbox])}
    assert set(records) == {"循环.xlsx", "好.xlsx"}
    (loop,) = records["循环.xlsx"].findings
    assert loop.code == "unreadable" and "是循环的链接" in loop.message


def lzma_zip(path: Path, workbook: bytes, corrupt: bool) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("自评表.xlsx", workbook, zipfile.ZIP_DEFLATED)
        zf.writestr("佐证材料/照片.png", png_bytes(), zipfile.ZIP_LZMA)
        zf.writestr("佐证材料/说明.txt", "节约用水".encode() * 1000, zipfile.ZIP_LZMA)
    if corrupt:  # scramble the LZMA stream of the text file, keeping its headers
        data = bytearray(path.read_bytes())
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("佐证材料/说明.txt")
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 12
        data[start:start + 40] = bytes(range(200, 240))
        path.write_bytes(bytes(data))
    return path


def test_a_corrupt_lzma_evidence_file_is_that_files_evidence_broken(tmp_path, workbook_bytes):
    from shared.batch import check_submission

    good = Submission("好.zip", lzma_zip(tmp_path / "好.zip", workbook_bytes, corrupt=False), "zip")
    assert good.evidence_status("说明.txt").status == "ok" and good.evidence_status("照片.png").status == "ok"
    bad = Submission("坏.zip", lzma_zip(tmp_path / "坏.zip", workbook_bytes, corrupt=True), "zip")
    assert bad.evidence_status("照片.png").status == "ok"
    assert bad.evidence_status("说明.txt") == EvidenceStatus("说明.txt", "broken", "在压缩包中已损坏，无法解压")
    assert check_submission(bad).rescored_total is not None  # the package is read; one file is broken


def test_an_entry_is_inflated_once_whatever_spelling_names_it(tmp_path, workbook_bytes, monkeypatch):
    big = os.urandom(1 << 20) * 12  # 12 MB that deflate cannot shrink past the ratio limit
    path = write_zip(tmp_path / "包.zip", {"自评表.xlsx": workbook_bytes, "佐证材料/big.bin": big,
                                          "佐证材料/图.png": png_bytes()})
    opened = []
    real_open = zipfile.ZipFile.open

    def counting_open(self, name, *args, **kwargs):
        opened.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", counting_open)
    sub = Submission("包.zip", path, "zip")
    spellings = ["big.bin", "BIG.bin", "Big.BIN", "佐证材料/big.bin", "佐证材料\\BIG.BIN", "./big.bin", "big.bin ",
                 "“big.bin”", "图.png", "佐证材料/图.PNG"]
    assert {sub.evidence_status(s).status for s in spellings} == {"ok"}
    assert opened.count("佐证材料/big.bin") == 1 and opened.count("佐证材料/图.png") == 1
