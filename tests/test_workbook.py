"""Reading a 自评表 by defined name: cell types, name forms, odd writers and hostile files."""
from __future__ import annotations

import io
import os
import resource
import tracemalloc
import zipfile

import pytest

from brief import FOREIGN, foreign_files, needs_foreign
from shared import names
from shared.workbook import (
    CellError,
    WorkbookError,
    read_named_values,
    workbook_names,
)

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_MAIN_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_REL_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"


# --- building workbooks part by part, so every byte is under the test's control -----------------

def xlsx(sheets: dict[str, str], defined: dict[str, str], shared: list[str] | None = None,
         strict: bool = False, sheet_target_style: str = "relative", prolog: str = "") -> bytes:
    """A minimal .xlsx: sheet name -> <sheetData> inner XML; name -> formula text; raw <si> bodies."""
    main, rel = (STRICT_MAIN_NS, STRICT_REL_NS) if strict else (MAIN_NS, REL_NS)
    rel_type = rel if strict else "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    sheet_entries, rels, parts = [], [], {}
    for i, (sheet, data) in enumerate(sheets.items(), 1):
        sheet_entries.append(f'<sheet name="{_attr(sheet)}" sheetId="{i}" r:id="rId{i}"/>')
        target = {"relative": f"worksheets/sheet{i}.xml", "absolute": f"/xl/worksheets/sheet{i}.xml"}[sheet_target_style]
        rels.append(f'<Relationship Id="rId{i}" Type="{rel_type}/worksheet" Target="{target}"/>')
        parts[f"xl/worksheets/sheet{i}.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{main}"><sheetData>{data}</sheetData></worksheet>')
    if shared is not None:
        rels.append(f'<Relationship Id="rIdS" Type="{rel_type}/sharedStrings" Target="sharedStrings.xml"/>')
        parts["xl/sharedStrings.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}" count="{len(shared)}">'
            + "".join(f"<si>{s}</si>" for s in shared) + "</sst>")
    names_xml = "".join(f'<definedName name="{n}">{_text(f)}</definedName>' for n, f in defined.items())
    parts["xl/workbook.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}">'
        f'<sheets>{"".join(sheet_entries)}</sheets><definedNames>{names_xml}</definedNames></workbook>')
    parts["xl/_rels/workbook.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(rels) + "</Relationships>")
    parts["_rels/.rels"] = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel_type}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    parts["[Content_Types].xml"] = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
    return zip_bytes(parts)


def zip_bytes(parts: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return out.getvalue()


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


def row(number: int, *cells: str) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


CORE = {"total_score": "自评表!$F$2"}


def simple(cells: str, **defined: str) -> bytes:
    return xlsx({"自评表": row(2, cells)}, {**CORE, **defined})


# --- values -------------------------------------------------------------------------------------

def test_numbers_are_int_when_integral_else_float():
    data = simple('<c r="A2"><v>3</v></c><c r="B2"><v>2.5</v></c><c r="C2"><v>4.0</v></c><c r="D2"><v>1E+2</v></c>',
                  a="自评表!$A$2", b="自评表!$B$2", c="自评表!$C$2", d="自评表!$D$2")
    values = read_named_values(data, ["a", "b", "c", "d"])
    assert [values.value(n) for n in "abcd"] == [3, 2.5, 4, 100]
    assert type(values.value("a")) is int and type(values.value("b")) is float and type(values.value("c")) is int


def test_shared_strings_rich_text_and_phonetic_runs():
    shared = ["<t>市委办公室</t>",
              "<r><rPr><b/></rPr><t>节约</t></r><r><t xml:space=\"preserve\"> 型机关</t></r>"
              "<rPh sb=\"0\" eb=\"2\"><t>ジエヤク</t></rPh>",
              "<t>第一行_x000D_\n第二行</t>",
              "<t>literal _x005F_x000D_ stays</t>"]
    data = xlsx({"自评表": row(2, '<c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c>'
                                  '<c r="C2" t="s"><v>2</v></c><c r="D2" t="s"><v>3</v></c>')},
                {**CORE, "a": "自评表!$A$2", "b": "自评表!$B$2", "c": "自评表!$C$2", "d": "自评表!$D$2"}, shared=shared)
    values = read_named_values(data, ["a", "b", "c", "d"])
    assert values.value("a") == "市委办公室"
    assert values.value("b") == "节约 型机关"
    assert values.value("c") == "第一行\r\n第二行"
    assert values.value("d") == "literal _x000D_ stays"


def test_shared_strings_of_every_sheet_are_read_in_one_pass(monkeypatch):
    """Excel and LibreOffice keep every text as a shared string: named cells on three sheets still inflate and
    scan the strings part once, and each gets its own string."""
    import shared.workbook as workbook

    scans = []
    real = workbook.scan_strings
    monkeypatch.setattr(workbook, "scan_strings", lambda data, indexes: scans.append(set(indexes)) or real(data, indexes))
    data = xlsx({"备案表": row(2, '<c r="A2" t="s"><v>2</v></c>'), "自评表": row(2, '<c r="A2" t="s"><v>0</v></c>'),
                 "能耗折算": row(2, '<c r="A2" t="s"><v>1</v></c><c r="B2" t="s"><v>2</v></c>')},
                {**CORE, "a": "备案表!$A$2", "b": "自评表!$A$2", "c": "能耗折算!$A$2", "d": "能耗折算!$B$2"},
                shared=["<t>甲</t>", "<t>乙</t>", "<t>丙</t>"])
    values = read_named_values(data, ["a", "b", "c", "d"])
    assert [values.value(n) for n in "abcd"] == ["丙", "甲", "乙", "丙"]
    assert scans == [{0, 1, 2}]


def test_inline_strings_booleans_errors_and_text_numbers():
    data = simple('<c r="A2" t="inlineStr"><is><t>制度/节水.pdf</t></is></c>'
                  '<c r="B2" t="inlineStr"><is><r><t>甲</t></r><r><t>乙</t></r></is></c>'
                  '<c r="C2" t="b"><v>1</v></c><c r="D2" t="b"><v>0</v></c>'
                  '<c r="E2" t="e"><v>#DIV/0!</v></c>',
                  a="自评表!$A$2", b="自评表!$B$2", c="自评表!$C$2", d="自评表!$D$2", e="自评表!$E$2")
    shared_text_number = xlsx({"自评表": row(2, '<c r="A2" t="s"><v>0</v></c>')}, {**CORE, "n": "自评表!$A$2"},
                              shared=["<t>4</t>"])
    values = read_named_values(data, list("abcde"))
    assert values.value("a") == "制度/节水.pdf"
    assert values.value("b") == "甲乙"
    assert values.value("c") is True and values.value("d") is False
    error = values.value("e")
    assert isinstance(error, CellError) and error == "#DIV/0!"
    assert read_named_values(shared_text_number, ["n"]).value("n") == "4"  # text stays text


def test_formulas_with_and_without_cached_values():
    data = simple('<c r="F2"><f>SUM(A1:A9)</f><v>86.5</v></c>'
                  '<c r="G2"><f>SUM(A1:A9)</f></c>'
                  '<c r="H2" t="str"><f>A1&amp;"x"</f><v>abc</v></c>'
                  '<c r="I2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
                  '<c r="J2"><f>A1</f><v></v></c>',
                  g="自评表!$G$2", h="自评表!$H$2", i="自评表!$I$2", j="自评表!$J$2")
    values = read_named_values(data, ["total_score", "g", "h", "i", "j"])
    assert values.cells["total_score"].value == 86.5 and values.cells["total_score"].has_formula
    assert values.cells["g"].value is None and values.cells["g"].has_formula
    assert values.value("h") == "abc"
    assert values.value("i") == "#DIV/0!" and isinstance(values.value("i"), CellError)
    assert values.cells["j"].value is None and values.cells["j"].has_formula


def test_blank_named_cell_is_present_with_none_and_an_address():
    data = simple('<c r="A2" s="3"/>', a="自评表!$A$2", b="自评表!$B$2")
    values = read_named_values(data, ["a", "b", "missing"])
    assert values.value("a") is None and "a" in values and values.address("a") == "自评表!A2"
    assert "b" in values and values.value("b") is None  # no <c> at all: still a named, empty cell
    assert "missing" not in values and values.value("missing") is None and values.address("missing") is None


def test_what_a_result_keeps_is_every_name_asked_for_in_order_whichever_way_it_is_copied():
    data = simple('<c r="A2" t="inlineStr"><is><t>甲</t></is></c><c r="B2"><v>2</v></c><c r="F2"><v>90</v></c>',
                  b="自评表!$B$2", a="自评表!$A$2", elsewhere="Nowhere!$A$1")
    asked = ("missing", "b", "a", "total_score", "elsewhere", "a")
    values = read_named_values(data, asked)
    by_name = ({name: values.value(name) for name in asked},
               {name: found for name in asked if (found := values.address(name))})
    for names in (asked, tuple(asked), ("a", "missing"), ()):  # the names read for (copied whole), or others
        kept, cells = values.as_dicts(names)
        expected = ({name: values.value(name) for name in names},
                    {name: found for name in names if (found := values.address(name))})
        assert (list(kept.items()), list(cells.items())) == (list(expected[0].items()), list(expected[1].items()))
    kept, cells = values.as_dicts(asked)
    assert list(kept) == ["missing", "b", "a", "total_score", "elsewhere"] and kept["missing"] is None
    assert (kept, cells) == by_name and list(cells) == ["b", "a", "total_score"]
    kept["a"] = "changed"  # a result's copy is its own
    cells["a"] = "changed"
    assert values.value("a") == "甲" and values.address("a") == "自评表!A2"


def test_error_value_is_never_a_blank():
    data = simple('<c r="A2" t="e"><v>#N/A</v></c>', a="自评表!$A$2")
    value = read_named_values(data, ["a"]).value("a")
    assert value is not None and value == "#N/A" and repr(value) == "CellError('#N/A')"


# --- names --------------------------------------------------------------------------------------

def test_quoted_chinese_sheet_names_with_doubled_quotes_and_relative_refs():
    data = xlsx({"自评表": row(2, '<c r="F2"><v>1</v></c>'),
                 "单位's 表": row(3, '<c r="A3" t="inlineStr"><is><t>市委办公室</t></is></c>'),
                 "备案表": row(5, '<c r="B5"><v>2020</v></c>')},
                {**CORE, "org_name": "'单位''s 表'!$A$3", "assess_year": "'备案表'!B5"})
    values = read_named_values(data)
    assert values.value("org_name") == "市委办公室"
    assert values.cells["org_name"].sheet == "单位's 表" and values.cells["org_name"].ref == "A3"
    assert values.address("org_name") == "单位's 表!A3"
    assert values.value("assess_year") == 2020
    assert workbook_names(data)["assess_year"] == "备案表!B5"


def test_names_that_are_not_one_cell_are_ignored():
    data = xlsx({"自评表": row(2, '<c r="A2"><v>1</v></c><c r="B2"><v>2</v></c>')},
                {**CORE, "rng": "自评表!$A$2:$B$2", "one": "自评表!$B$2:$B$2", "gone": "#REF!",
                 "gone2": "自评表!#REF!", "ext": "[1]自评表!$A$2", "const": "0.5", "multi": "自评表!$A$2,自评表!$B$2",
                 "col": "自评表!$A:$A"})
    found = workbook_names(data)
    assert found == {"total_score": "自评表!F2", "one": "自评表!B2"}
    values = read_named_values(data, ["rng", "one", "gone", "ext", "const", "multi", "col"])
    assert list(values.cells) == ["one"] and values.value("one") == 2


def test_sheet_scoped_names_are_ignored():
    main = f'xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"'
    parts = {
        "xl/workbook.xml": f'<workbook {main}><sheets><sheet name="自评表" sheetId="1" r:id="rId1"/></sheets>'
                           '<definedNames><definedName name="total_score" localSheetId="0">自评表!$A$1</definedName>'
                           '</definedNames></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                                      f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/s.xml"/></Relationships>',
        "xl/worksheets/s.xml": f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>',
    }
    with pytest.raises(WorkbookError) as caught:
        read_named_values(zip_bytes(parts))
    assert caught.value.kind == "not_a_template"


def test_names_match_case_insensitively_like_excel():
    data = xlsx({"自评表": row(2, '<c r="F2"><v>90</v></c>')}, {"Total_Score": "自评表!$F$2"})
    assert read_named_values(data, ["total_score"]).value("total_score") == 90


def test_strict_ooxml_absolute_targets_and_nonstandard_prefixes():
    strict = xlsx({"自评表": row(2, '<c r="F2"><v>77</v></c>')}, CORE, strict=True, sheet_target_style="absolute")
    assert read_named_values(strict, ["total_score"]).value("total_score") == 77
    prefixed = (f'<x:worksheet xmlns:x="{MAIN_NS}"><x:sheetData><x:row r="2"><x:c r="F2" t="inlineStr">'
                '<x:is><x:t>前缀</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>')
    parts = {
        "xl/workbook.xml": f'<ns0:workbook xmlns:ns0="{MAIN_NS}" xmlns:q="{REL_NS}"><ns0:sheets>'
                           '<ns0:sheet name="自评表" sheetId="1" q:id="rId7"/></ns0:sheets><ns0:definedNames>'
                           '<ns0:definedName name="total_score">自评表!$F$2</ns0:definedName></ns0:definedNames></ns0:workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                                      f'<Relationship Id="rId7" Type="{REL_NS}/worksheet" Target="/xl/worksheets/s1.xml"/>'
                                      '</Relationships>',
        "xl/worksheets/s1.xml": prefixed,
    }
    assert read_named_values(zip_bytes(parts), ["total_score"]).value("total_score") == "前缀"


def test_cells_without_r_attributes_are_placed_by_position():
    sheet = '<row><c><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c><c><v>4</v></c><c><v>5</v></c></row>'
    data = xlsx({"自评表": sheet}, {"total_score": "自评表!$C$2", "b1": "自评表!$B$1"})
    values = read_named_values(data, ["total_score", "b1"])
    assert values.value("total_score") == 5 and values.value("b1") == 2


def test_big_sheet_is_streamed_and_still_found(monkeypatch):
    import shared.workbook as workbook
    monkeypatch.setattr(workbook, "WHOLE_PARSE_BYTES", 100)
    rows = "".join(row(r, f'<c r="A{r}"><v>{r}</v></c>') for r in range(1, 300))
    data = xlsx({"自评表": rows}, {"total_score": "自评表!$A$250", "a7": "自评表!A7"}, shared=["<t>x</t>"])
    values = read_named_values(data, ["total_score", "a7"])
    assert values.value("total_score") == 250 and values.value("a7") == 7


def test_the_real_template_reads_every_contract_name(tmp_path):
    template = pytest.importorskip("shared.template")
    blank = template.write_template(tmp_path / "blank.xlsx")
    filled = template.write_named_values(blank, tmp_path / "filled.xlsx",
                                         {"org_name": "市委办公室", "score_2_2_5": 3, "evidence_2_2_5": "制度/甲.pdf\n乙.jpg"})
    values = read_named_values(filled)
    assert set(values.cells) == set(names.edition_names(names.RUBRIC))
    assert values.value("org_name") == "市委办公室"
    assert values.value("score_2_2_5") == 3
    assert values.value("evidence_2_2_5") == "制度/甲.pdf\n乙.jpg"
    assert values.cells["total_score"].has_formula


def test_sources_may_be_path_str_bytes_or_stream(tmp_path):
    data = simple('<c r="F2"><v>5</v></c>')
    path = tmp_path / "自评表.xlsx"
    path.write_bytes(data)
    for source in (path, str(path), data, io.BytesIO(data)):
        assert read_named_values(source, ["total_score"]).value("total_score") == 5


# --- refusing what is not a 自评表 ------------------------------------------------------------

def kind_of(source) -> str:
    with pytest.raises(WorkbookError) as caught:
        read_named_values(source)
    assert caught.value.reason and any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.reason)
    return caught.value.kind


def test_empty_random_truncated_and_wrong_formats(tmp_path):
    assert kind_of(b"") == "unreadable/empty"
    assert kind_of(os.urandom(4096)) == "unreadable"
    good = simple('<c r="F2"><v>5</v></c>')
    assert kind_of(good[: len(good) // 2]) == "unreadable"
    assert kind_of(good[:-10]) == "unreadable"
    assert kind_of(b"%PDF-1.4 fake") == "unreadable"
    assert kind_of(b"<html><table><tr><td>1</td></tr></table></html>") == "unreadable"
    docx = zip_bytes({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
    assert kind_of(docx) == "unreadable"
    ods = zip_bytes({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"})
    assert kind_of(ods) == "unreadable"
    xlsb = zip_bytes({"[Content_Types].xml": "<Types/>", "xl/workbook.bin": b"\x83\x01\x00"})
    assert kind_of(xlsb) == "unreadable/xls"
    (tmp_path / "folder.xlsx").mkdir()
    assert kind_of(tmp_path / "folder.xlsx") == "unreadable"


def test_ole2_files_are_old_xls_or_encrypted():
    magic = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    assert kind_of(magic + b"\x00" * 1000 + "Workbook".encode("utf-16-le")) == "unreadable/xls"
    encrypted = magic + b"\x00" * 3000 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 10
    assert kind_of(encrypted) == "unreadable/encrypted"


@needs_foreign
def test_a_real_password_protected_workbook_is_encrypted():
    assert kind_of(FOREIGN / "pass_protected.xlsx") == "unreadable/encrypted"


def test_workbook_without_contract_names_is_not_a_template():
    data = xlsx({"Sheet1": row(1, '<c r="A1"><v>1</v></c>')}, {"something": "Sheet1!$A$1"})
    assert kind_of(data) == "not_a_template"
    # An evidence name alone is not enough: the score names and the total make a 自评表.
    data = xlsx({"Sheet1": row(1, '<c r="A1"><v>1</v></c>')}, {"org_name": "Sheet1!$A$1"})
    assert kind_of(data) == "not_a_template"


def test_broken_xml_in_a_part_is_unreadable():
    data = xlsx({"自评表": '<row r="2"><c r="F2"><v>5</v></row>'}, CORE)
    assert kind_of(data) == "unreadable"


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>"""


def _with_doctype_workbook(doctype: str, name_text: str) -> bytes:
    good = xlsx({"自评表": row(2, '<c r="F2"><v>5</v></c>')}, CORE)
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["xl/workbook.xml"] = (
        doctype + f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets><sheet name="自评表" sheetId="1" r:id="rId1"/>'
        f'</sheets><definedNames><definedName name="total_score">{name_text}</definedName></definedNames></workbook>')
    return zip_bytes(parts)


def test_billion_laughs_and_xxe_in_workbook_xml_are_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("自评表!$F$2")
    xxe = f'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file://{secret}">]>'
    for data in (_with_doctype_workbook(BILLION_LAUGHS, "&lol9;"), _with_doctype_workbook(xxe, "&x;")):
        with pytest.raises(WorkbookError) as caught:
            read_named_values(data)
        assert caught.value.kind == "unreadable"
        with pytest.raises(WorkbookError):
            workbook_names(data)


def test_billion_laughs_and_xxe_in_a_sheet_are_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("99")
    bomb = xlsx({"自评表": row(2, '<c r="F2" t="inlineStr"><is><t>&lol9;</t></is></c>')}, CORE,
                prolog=BILLION_LAUGHS.split("?>", 1)[1])
    xxe = xlsx({"自评表": row(2, '<c r="F2"><v>&x;</v></c>')}, CORE,
               prolog=f'<!DOCTYPE w [<!ENTITY x SYSTEM "file://{secret}">]>')
    for data in (bomb, xxe):
        assert kind_of(data) == "unreadable"


def test_oversized_and_absurdly_compressed_parts_are_refused_before_reading(monkeypatch):
    import shared.workbook as workbook
    rows = "".join(row(r, f'<c r="A{r}"><v>0</v></c>') for r in range(1, 60000))  # ~1.6 MB, compresses well
    data = xlsx({"自评表": rows}, {"total_score": "自评表!$A$1"})
    assert read_named_values(data, ["total_score"]).value("total_score") == 0
    monkeypatch.setattr(workbook, "MAX_PART_RATIO", 5)
    assert kind_of(data) == "unreadable"
    monkeypatch.setattr(workbook, "MAX_PART_RATIO", 10_000)
    monkeypatch.setattr(workbook, "MAX_PART_BYTES", 100_000)
    assert kind_of(data) == "unreadable"


def test_a_part_larger_than_its_header_says_is_never_read_past_the_cap(monkeypatch):
    import shared.workbook as workbook
    rows = "".join(row(r, f'<c r="A{r}"><v>{r}</v></c>') for r in range(1, 5000))
    data = xlsx({"自评表": rows}, {"total_score": "自评表!$A$4999"})
    monkeypatch.setattr(workbook, "RATIO_CHECK_FROM", 10**12)
    monkeypatch.setattr(workbook, "WHOLE_PARSE_BYTES", 0)
    original = workbook._Package._open_part

    def open_part(self, part):
        stream = original(self, part)
        if part.endswith("sheet1.xml"):  # as if the header had understated the size
            stream._left = 1000
        return stream
    monkeypatch.setattr(workbook._Package, "_open_part", open_part)
    assert kind_of(data) == "unreadable"


def _understate(data: bytes, part: str, size: int) -> bytes:
    """The zip with `part`'s declared uncompressed size set to `size` in both of its headers."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        offset = zf.getinfo(part).header_offset
    out[offset + 22:offset + 26] = size.to_bytes(4, "little")  # local header
    central = data.index(b"PK\x01\x02")  # its central directory entry: the one naming `part`
    while data[central + 46:central + 46 + len(part.encode())] != part.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    out[central + 24:central + 28] = size.to_bytes(4, "little")
    return bytes(out)


def test_a_small_part_that_holds_more_than_declared_is_read_only_to_its_declared_size():
    padding = " " * (8 << 20)  # 8 MB of spaces inside the XML, declared as 2 KB
    data = xlsx({"自评表": row(2, '<c r="F2"><v>5</v></c>') + padding}, CORE)
    lying = _understate(data, "xl/worksheets/sheet1.xml", 2048)
    tracemalloc.start()
    try:
        with pytest.raises(WorkbookError) as caught:
            read_named_values(lying, ["total_score"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.kind == "unreadable" and "损坏" in caught.value.reason  # its CRC fails
    assert peak < 2 * len(lying) + (1 << 20)  # the 8 MB were never inflated


def test_too_many_zip_entries_are_refused_before_the_directory_is_parsed(monkeypatch):
    import shared.workbook as workbook
    monkeypatch.setattr(workbook, "MAX_ZIP_ENTRIES", 5)
    data = xlsx({"自评表": row(2, '<c r="F2"><v>5</v></c>'), "b": "", "c": ""}, CORE)
    assert kind_of(data) == "unreadable"


def test_backslash_part_names_are_read():
    good = xlsx({"自评表": row(2, '<c r="F2"><v>5</v></c>')}, CORE)
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        parts = {n.replace("/", "\\"): zf.read(n) for n in zf.namelist()}
    assert read_named_values(zip_bytes(parts), ["total_score"]).value("total_score") == 5


@pytest.mark.parametrize("path", foreign_files(), ids=lambda p: p.name)
def test_every_foreign_workbook_is_refused_cleanly(path):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(WorkbookError) as caught:
        read_named_values(path)
    assert caught.value.kind.split("/")[0] in ("unreadable", "not_a_template")
    assert caught.value.reason
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 200_000


@needs_foreign
def test_foreign_workbooks_count():
    assert len(foreign_files()) == 117


def test_cell_refs_written_oddly_still_match():
    data = simple('<c r="a2"><v>1</v></c><c r="$B$2"><v>2</v></c>', a="自评表!$A$2", b="自评表!b2")
    values = read_named_values(data, ["a", "b"])
    assert values.value("a") == 1 and values.value("b") == 2


def with_window(data: bytes, width: int) -> bytes:
    """The workbook as saved with another window size (what Excel writes per user into workbook.xml)."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b"<sheets>", b'<bookViews><workbookView xWindow="-120" windowWidth="%d"/></bookViews><sheets>' % width)
    return zip_bytes(parts)


def test_workbooks_from_one_template_saved_with_other_windows_are_read_with_one_plan():
    import shared.workbook as workbook
    workbook._PLANS.clear()
    defined = {**CORE, "org_name": "自评表!$A$2"}
    mine = with_window(xlsx({"自评表": row(2, '<c r="A2" t="inlineStr"><is><t>甲</t></is></c><c r="F2"><v>5</v></c>')},
                            defined), 28800)
    theirs = with_window(xlsx({"自评表": row(2, '<c r="A2" t="inlineStr"><is><t>乙</t></is></c><c r="F2"><v>7</v></c>')},
                              defined), 14400)
    assert read_named_values(mine, ["org_name", "total_score"]).value("org_name") == "甲"
    values = read_named_values(theirs, ["org_name", "total_score"])
    assert (values.value("org_name"), values.value("total_score")) == ("乙", 7)
    assert (workbook._PLANS.hits, workbook._PLANS.misses) == (1, 1)
    moved = with_window(xlsx({"自评表": row(2, '<c r="B2"><v>9</v></c>')}, {**CORE, "org_name": "自评表!$B$2"}), 14400)
    assert read_named_values(moved, ["org_name"]).value("org_name") == 9  # its names point elsewhere: its own plan
    assert workbook._PLANS.misses == 2


def test_unexpected_errors_inside_the_reader_become_unreadable(monkeypatch):
    import shared.workbook as workbook

    def explode(*args, **kwargs):
        raise TypeError("a reader bug")
    monkeypatch.setattr(workbook, "_convert", explode)
    assert kind_of(simple('<c r="F2"><v>5</v></c>')) == "unreadable"


def test_what_is_worked_out_per_template_is_remembered_for_small_parts_only(monkeypatch):
    import shared.workbook as workbook
    workbook._PLANS.clear()
    data = xlsx({"自评表": row(2, '<c r="F2"><v>5</v></c>')}, {**CORE, "org_name": "自评表!$A$3"})
    read_named_values(data, ["total_score"])
    assert (workbook._PLANS.hits, workbook._PLANS.misses, len(workbook._PLANS)) == (0, 1, 1)
    read_named_values(data, ["total_score"])
    assert (workbook._PLANS.hits, workbook._PLANS.misses, len(workbook._PLANS)) == (1, 1, 1)
    monkeypatch.setattr(workbook, "CACHED_PART_BYTES", 100)  # as if this workbook.xml were huge
    other = xlsx({"自评表": row(2, '<c r="F2"><v>6</v></c>')}, {**CORE, "contact_name": "自评表!$A$4"})
    assert read_named_values(other, ["total_score"]).value("total_score") == 6
    assert (workbook._PLANS.hits, workbook._PLANS.misses, len(workbook._PLANS)) == (1, 1, 1)
