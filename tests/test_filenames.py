"""Offered file names: whatever a unit typed as its name, the result is one harmless file name."""
from __future__ import annotations

import pytest

from shared.filenames import MAX_NAME_BYTES, safe_file_name

HOSTILE = [
    "../../../../tmp/x/y",
    "/tmp/x/y",
    "..\\..\\Windows\\System32\\x",
    "C:\\Users\\a\\市委办公室.xlsx",
    "a\x00b\x1fc\x7f.xlsx",
    "市委\u202e办公室.xlsx",  # right-to-left override: a name that reads backwards
    "CON.xlsx",
    "com1",
    "lpt9.tar.gz",
    ".hidden",
    "...",
    "",
    "   ",
    "名" * 500 + ".xlsx",
    'a<b>c:d"e|f?g*h.docx',
    "line\nbreak\r.pdf",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_becomes_one_plain_file_name(name):
    safe = safe_file_name(name)
    assert safe and "/" not in safe and "\\" not in safe
    assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in safe)
    assert "\u202e" not in safe
    assert not safe.startswith(".") and not safe.endswith((".", " "))
    assert safe not in (".", "..")
    assert safe.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT9"}
    assert len(safe.encode("utf-8")) <= MAX_NAME_BYTES


def test_ordinary_names_are_kept_as_they_are():
    assert safe_file_name("市委办公室_2020年度验收评分表.xlsx") == "市委办公室_2020年度验收评分表.xlsx"
    assert safe_file_name("2020年度节约型机关创建情况通报（草稿）.docx") == "2020年度节约型机关创建情况通报（草稿）.docx"


def test_a_long_name_keeps_its_extension():
    safe = safe_file_name("名" * 500 + ".xlsx")
    assert safe.endswith(".xlsx") and safe.startswith("名名")


def test_reserved_and_empty_names_get_a_usable_name():
    assert safe_file_name("CON.xlsx") == "_CON.xlsx"
    assert safe_file_name("", fallback="验收评分表.xlsx") == "验收评分表.xlsx"
    assert safe_file_name("../..") == "文件"


# --- the rule for every file the product writes ------------------------------------------------------

HOSTILE_UNITS = ["../../../../escaped/x/y", "/escaped/x/y", '=HYPERLINK("http://x.invalid","点击")', "CON",
                 "市委\u202e办公室\r\n第二行"]
HOSTILE_EVIDENCE = "../../../escaped/佐证.pdf；/etc/passwd；C:\\Windows\\a.pdf"


def test_hostile_unit_and_evidence_names_write_nothing_but_the_files_asked_for(tmp_path, monkeypatch):
    """验收评分表, the annual export, the 通报 and the kept originals, from a store whose units are named
    as paths, formulas and control characters and whose evidence paths climb out: each writes exactly
    its own file under a name of the system's (or the operator's) choosing, and the names are data."""
    import zipfile

    import openpyxl
    from docx import Document

    from shared.checks import check_values
    from shared.export import write_annual_export
    from shared.notice import write_notice
    from shared.report import write_acceptance_report
    from shared.rubric import RUBRIC
    from shared.store import Store
    from workbench.synthetic import PlainValues, full_values

    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    store = Store(f"sqlite:///{tmp_path / 'jyjg.db'}", data_dir=tmp_path / "data")
    originals = tmp_path / "in"
    originals.mkdir()
    for i, unit in enumerate(HOSTILE_UNITS):
        values = full_values(unit) | {rule.evidence_name: HOSTILE_EVIDENCE for rule in RUBRIC.rules[:3]}
        result = check_values(PlainValues(values), where="x.xlsx", source="x.xlsx")
        original = originals / f"{i}.zip"
        with zipfile.ZipFile(original, "w") as zf:
            zf.writestr(f"{i}/自评表.xlsx", b"x")
            zf.writestr(f"{i}/佐证材料/../../../escaped/z.pdf", b"%PDF")
        store.record(result, original)
    out = tmp_path / "out"
    written = [write_annual_export(store, 2020, out / "汇总.xlsx"), write_notice(store, 2020, out / "通报.docx")]
    for unit in HOSTILE_UNITS:
        version = next(v for v in store.versions() if v.org_name == unit)
        written.append(write_acceptance_report(store, version.unit_name, 2020, out / f"评分表{version.id}.xlsx"))
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)
    assert not any(cwd.iterdir()) and not list(tmp_path.rglob("escaped")) and not (tmp_path.parent / "escaped").exists()
    kept = [p for p in (tmp_path / "data" / "originals").rglob("*") if p.is_file()]
    assert len(kept) == len(HOSTILE_UNITS) and all(p.suffix == ".zip" and len(p.stem) >= 32 and all(c in "0123456789abcdef" for c in p.stem)
                        for p in kept)  # kept under their content hash, never their unit's name
    export = openpyxl.load_workbook(out / "汇总.xlsx")
    cells = [c for ws in export.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    formula = [c for c in cells if "HYPERLINK" in c.value]
    assert formula and all(c.data_type == "s" for c in formula)  # shown as text, never run as a formula
    report = openpyxl.load_workbook(written[2 + 2])  # the 验收评分表 of HOSTILE_UNITS[2], the formula
    named = [c for row in report.active.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert named and all(c.data_type == "s" for c in named)
    Document(str(out / "通报.docx"))  # opens
    store.close()
