"""The byte-scan fast path reads exactly what lxml reads, or steps aside (NotPlain)."""
from __future__ import annotations

import re
import zipfile
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brief import foreign_files
from shared.template import write_template
from bounded import ends_within
from shared.workbook import WHOLE_PARSE_BYTES, _cells_in_tree, _convert, _parse_small, _string_item_text, _unescape
from shared.xmlscan import _KEY_NAME, _KEY_SPACE, NotPlain, _trie_pattern, scan_cells, scan_strings

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def fast_cells(data: bytes, refs: set[str]) -> dict:
    return {ref: _convert(*cell) for ref, cell in scan_cells(data, refs).items()}


def careful_cells(data: bytes, refs: set[str], part: str = "sheet") -> dict:
    """What the lxml path reads, converted the same way (the two may write a blank <v> as None or "")."""
    return {ref: _convert(*cell) for ref, cell in _cells_in_tree(_parse_small(data, part), refs).items()}


def all_refs(data: bytes) -> set[str]:
    root = _parse_small(data, "sheet")
    return {el.get("r") for el in root.iter(f"{{{NS}}}c", "c") if el.get("r")}


def compare_book(path_or_bytes) -> tuple[int, int]:
    """(parts read by the fast path, parts it stepped aside for); asserts equal results."""
    fast = careful = 0
    with zipfile.ZipFile(path_or_bytes) as archive:
        for info in archive.infolist():
            name = info.filename.lower()
            if info.file_size > WHOLE_PARSE_BYTES:
                continue
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                data = archive.read(info)
                try:
                    refs = all_refs(data)
                except Exception:
                    continue  # lxml refuses it: nothing to compare
                try:
                    got = fast_cells(data, refs)
                except NotPlain:
                    careful += 1
                    continue
                assert got == careful_cells(data, refs, name), info.filename
                fast += 1
            elif name.endswith("sharedstrings.xml"):
                data = archive.read(info)
                try:
                    items = _parse_small(data, name).findall("{*}si")
                except Exception:
                    continue
                indexes = set(range(len(items) + 2))
                try:
                    got = {i: _unescape(t) for i, t in scan_strings(data, indexes).items()}
                except NotPlain:
                    careful += 1
                    continue
                assert got == {i: _string_item_text(si) for i, si in enumerate(items)}, info.filename
                fast += 1
    return fast, careful


@pytest.mark.parametrize("path", foreign_files(lambda p: p.suffix in (".xlsx", ".xlsm")),
                         ids=lambda p: p.name)
def test_foreign_workbooks_read_the_same_by_both_paths(path):
    try:
        compare_book(path)
    except zipfile.BadZipFile:
        pass


def test_the_template_and_a_filled_book_take_the_fast_path(tmp_path):
    from shared.demo import demo_cases, workbook_bytes

    template = write_template(tmp_path / "t.xlsx")
    fast, careful = compare_book(template)
    assert fast >= 2 and careful == 0
    case = next(c for c in demo_cases(1) if c.raw is None)
    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(workbook_bytes(case, template, tmp_path))
    fast, careful = compare_book(filled)
    assert fast >= 2 and careful == 0


def sheet(cells: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS}">'
            f'<sheetData><row r="1">{cells}</row></sheetData></worksheet>').encode()


@pytest.mark.parametrize("cells", [
    '<c r="A1" s="1"><v>1</v></c><c s="1" r="B1"><v>2</v></c>',  # r not first
    '<c><v>1</v></c>',  # no r
    "<c r='A1'><v>1</v></c>",  # single quotes
    '<x:c r="A1"><x:v>1</x:v></x:c>',  # prefixed
    '<!-- note --><c r="A1"><v>1</v></c>',  # comment
    '<c r="A1" t="inlineStr"><is><t><![CDATA[a<b]]></t></is></c>',  # CDATA
    '<c r="A1"><v>1</v></c><c r="A1"><v>2</v></c>',  # the same cell twice
    '<c r="a1"><v>1</v></c>',  # lower-case ref
    '<c r="A1"><v>1</v></c>',  # B1 is not written as <c r="B1": lxml looks by position
    '<c r="A1" t=\'s\'><v>1</v></c><c r="B1"/>',  # single-quoted type
    '<c r="A1"><x:v xmlns:x="urn:x">1</x:v></c><c r="B1"/>',  # prefixed child
])
def test_unusual_shapes_step_aside(cells):
    with pytest.raises(NotPlain):
        scan_cells(sheet(cells), {"A1", "B1"})


def test_wanted_refs_that_share_prefixes_are_told_apart():
    written = ["A1", "A10", "A11", "A100", "A101", "AB1", "AB10", "B2", "B20", "B200"]
    data = sheet("".join(f'<c r="{ref}"><v>{i}</v></c>' for i, ref in enumerate(written)))
    wanted = {"A1", "A10", "A100", "AB1", "B20"}
    assert {ref: cell[1] for ref, cell in scan_cells(data, wanted).items()} == {
        "A1": "0", "A10": "1", "A100": "3", "AB1": "5", "B20": "8"}
    pattern = re.compile(_trie_pattern([w.encode() for w in wanted]))
    assert all(pattern.fullmatch(w.encode()) for w in wanted)
    assert not any(pattern.fullmatch(w.encode()) for w in set(written) - wanted)


def test_a_slash_in_an_attribute_is_read_by_the_slower_scan_all_the_same():
    data = sheet('<c r="A1" x="a/b"><v>1</v></c><c r="B1" x="/" t="s"><v>0</v></c><c r="C1" x="1/2"/>')
    refs = {"A1", "B1", "C1"}
    assert fast_cells(data, refs) == careful_cells(data, refs) == {
        "A1": (None, 1, False), "B1": ("s", 0, False), "C1": (None, None, False)}


def test_truncated_foreign_encoding_and_doctype_step_aside():
    data = sheet('<c r="A1"><v>1</v></c>')
    for bad in (data[:-5], data.replace(b"UTF-8", b"GBK"), b"\xff\xfe" + data,
                data.replace(b"<worksheet", b'<!DOCTYPE x [<!ENTITY a "b">]><worksheet'),
                data.replace(b"<row", b"<!-- note --><row"),
                data.replace(b"<v>1</v>", b"<v>&#0;</v>"), data.replace(b"<v>1</v>", b"<v>\xff</v>")):
        with pytest.raises(NotPlain):
            scan_cells(bad, {"A1"})


text_values = st.lists(st.sampled_from(list("ab 1.-市委&<>\"'\n\t_x000D") + ["_x000D_", "\u00e9", "𠀀", "\r", "\r\n", "&#13;"]),
                       max_size=8).map("".join)


@st.composite
def cells(draw):
    out = []
    for col in "ABCDEF":
        shape = draw(st.sampled_from(["empty", "number", "shared", "inline", "rich", "str", "bool", "error",
                                      "self_v", "formula_only", "space_t"]))
        text = escape(draw(text_values), {'"': "&quot;"})
        ref = f"{col}1"
        out.append({
            "empty": f'<c r="{ref}" s="2"/>',
            "number": f'<c r="{ref}"><v>{draw(st.sampled_from(["0", "2.5", "1E+2", "-3", "4.0", "x"]))}</v></c>',
            "shared": f'<c r="{ref}" t="s"><v>{draw(st.integers(0, 3))}</v></c>',
            "inline": f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>',
            "rich": (f'<c r="{ref}" t="inlineStr"><is><r><rPr><b/></rPr><t xml:space="preserve">{text}</t></r>'
                     f'<r><t/></r><rPh sb="0" eb="1"><t>ヨミ</t></rPh><r><t>{text}</t></r></is></c>'),
            "str": f'<c r="{ref}" t="str"><f>A1&amp;"x"</f><v>{text}</v></c>',
            "bool": f'<c r="{ref}" t="b"><v>{draw(st.sampled_from(["0", "1"]))}</v></c>',
            "error": f'<c r="{ref}" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
            "self_v": f'<c r="{ref}" t="str"><f>""</f><v/></c>',
            "formula_only": f'<c r="{ref}"><f t="shared" si="0"/></c>',
            "space_t": f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve"/></is></c>',
        }[shape])
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(cells())
def test_random_cells_read_the_same_by_both_paths(row_cells):
    data = sheet(row_cells)
    refs = {f"{c}1" for c in "ABCDEF"}
    assert fast_cells(data, refs) == careful_cells(data, refs)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(text_values, st.sampled_from(["plain", "rich", "empty", "phonetic"])), max_size=6))
def test_random_shared_strings_read_the_same_by_both_paths(items):
    body = []
    for text, shape in items:
        t = escape(text, {'"': "&quot;"})
        body.append({"plain": f"<si><t>{t}</t></si>", "empty": "<si/>",
                     "rich": f'<si><r><t xml:space="preserve">{t}</t></r><r><rPr/><t>{t}</t></r></si>',
                     "phonetic": f'<si><t>{t}</t><rPh sb="0" eb="1"><t>ヨ</t></rPh><phoneticPr fontId="1"/></si>'}[shape])
    data = (f'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="{NS}" count="{len(items)}">'
            + "".join(body) + "</sst>").encode()
    items_el = _parse_small(data, "sst").findall("{*}si")
    indexes = set(range(len(items) + 1))
    got = {i: _unescape(t) for i, t in scan_strings(data, indexes).items()}
    assert got == {i: _string_item_text(si) for i, si in enumerate(items_el)}


def scan_or_step_aside(scan, data, wanted):
    try:
        scan(data, wanted)
    except NotPlain:
        pass


RUN = 60_000  # once took hours: every unclosed tag scanned to the end of the part


@pytest.mark.parametrize("scan, data, wanted", [
    (scan_cells, sheet('<c r="E10" ' * RUN + '</row><row r="2"><c r="A2"><v>1</v></c>'), {"E10", "A2"}),
    (scan_cells, sheet('<c r="E10" t="inlineStr">' + "<is " * RUN + "</c>"), {"E10"}),
    (scan_cells, sheet('<c r="E10"><x/>' + "<v " * RUN + "</c>"), {"E10"}),
    (scan_strings, (f'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="{NS}"><si><t>a</t>' + "<rPh " * RUN
                    + "</si></sst>").encode(), {0}),
    (scan_strings, (f'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="{NS}"><si>' + "<t " * RUN
                    + "</si></sst>").encode(), {0}),
], ids=["cell-tags", "inline-string", "value-tags", "phonetic-runs", "text-tags"])
def test_runs_of_unclosed_tags_are_scanned_in_one_pass(scan, data, wanted):
    assert ends_within(60, scan_or_step_aside, scan, data, wanted)


def test_phonetic_runs_are_cut_out_and_an_unclosed_one_steps_aside():
    data = (f'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="{NS}"><si><t>益</t><rPh sb="0"><t>ヨ</t></rPh>'
            f'<rPh/><t>阳</t></si><si><t>a</t><rPh sb="0"><t>b</t></si></sst>').encode()
    assert scan_strings(data, {0}) == {0: "益阳"}
    with pytest.raises(NotPlain):
        scan_strings(data, {1})  # an <rPh> never closed: lxml says what is wrong


def test_character_references_are_decoded_in_one_call_per_part(monkeypatch):
    """openpyxl writes every Chinese character as a reference (&#30410;): a part's texts go to libxml2
    together, never one Python call per reference."""
    import shared.xmlscan as xmlscan

    calls = []
    real = xmlscan.etree.fromstring
    monkeypatch.setattr(xmlscan.etree, "fromstring", lambda *a, **k: calls.append(1) or real(*a, **k))
    cells = "".join(f'<c r="A{i}" t="inlineStr"><is><t>{"".join(f"&#{30410 + j};" for j in range(20))}&amp;</t></is></c>'
                    for i in range(1, 51))
    got = scan_cells(sheet(cells), {f"A{i}" for i in range(1, 51)})
    assert len(calls) == 1
    assert got["A7"][3] == "".join(chr(30410 + j) for j in range(20)) + "&"


def test_texts_are_decoded_together_and_a_nul_steps_aside():
    """Cell texts are decoded in one call, joined by NUL: a text holding a NUL itself (which no XML parser
    takes) steps aside, and lxml refuses the part, as it refuses it on its own."""
    from shared.workbook import WorkbookError

    cells = ('<c r="A1" t="inlineStr"><is><t>益阳\r\n市</t></is></c><c r="B1"><v>2.5</v></c>'
             '<c r="C1" t="inlineStr"><is><t>&#30410;&amp;</t></is></c><c r="D1" t="inlineStr"><is><t></t></is></c>')
    refs = {"A1", "B1", "C1", "D1"}
    assert fast_cells(sheet(cells), refs) == careful_cells(sheet(cells), refs)
    assert fast_cells(sheet(cells), refs)["A1"] == (None, "益阳\n市", False)
    with_nul = sheet(cells.replace("益阳", "益\x00阳"))
    with pytest.raises(NotPlain):
        scan_cells(with_nul, refs)
    with pytest.raises(WorkbookError):
        _parse_small(with_nul, "sheet")


def test_shared_string_items_met_before_are_not_worked_out_again(monkeypatch):
    """Every workbook from one template holds the same label items: each body's text is worked out once
    (it depends on the bytes alone), within a bounded memory."""
    import shared.xmlscan as xmlscan

    monkeypatch.setattr(xmlscan, "_KNOWN_ITEMS", xmlscan._Known())
    worked_out = []
    real = xmlscan._item_texts
    monkeypatch.setattr(xmlscan, "_item_texts", lambda bodies: worked_out.append(len(bodies)) or real(bodies))
    label = '<r><rPr><sz val="11"/></rPr><t xml:space="preserve">单位</t></r><r><t>名称</t></r>'

    def part(name: str) -> bytes:
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="{NS}"><si>{label}</si><si><t>{name}</t></si>'
                f'<si><t>{"长" * 1500}</t></si></sst>').encode()

    assert scan_strings(part("市委办"), {0, 1, 2}) == {0: "单位名称", 1: "市委办", 2: "长" * 1500}
    assert scan_strings(part("市财政局"), {0, 1, 2}) == {0: "单位名称", 1: "市财政局", 2: "长" * 1500}
    assert worked_out == [3, 2]  # the label again from memory; an item over 4 KB is not kept
    monkeypatch.setattr(xmlscan._KNOWN_ITEMS, "entries", 3)
    for i in range(10):
        assert scan_strings(part(f"单位{i}"), {1}) == {1: f"单位{i}"}
        assert len(xmlscan._KNOWN_ITEMS) <= 3


def test_texts_with_references_met_before_are_not_parsed_again(monkeypatch):
    """openpyxl writes every Chinese character as a reference: a text met before (a template's label, a usual
    answer) is taken from memory, bounded; a new one goes to libxml2 with the others of its part."""
    import shared.xmlscan as xmlscan

    monkeypatch.setattr(xmlscan, "_KNOWN_TEXTS", xmlscan._Known(entries=3))
    parsed = []
    real = xmlscan.etree.fromstring
    monkeypatch.setattr(xmlscan.etree, "fromstring", lambda document, *a: parsed.append(document) or real(document, *a))
    label, name = b"&#21333;&#20301;", b"&#24066;&#22996;&#21150;"  # 单位, 市委办
    assert xmlscan.xml_texts([label, b"plain", name]) == ["单位", "plain", "市委办"]
    assert xmlscan.xml_texts([name, label, b"&amp;\r\n"]) == ["市委办", "单位", "&\n"]
    assert len(parsed) == 2 and label not in parsed[1] and name not in parsed[1]
    for i in range(10):
        assert xmlscan.xml_texts([f"&#{30410 + i};".encode()]) == [chr(30410 + i)]
        assert len(xmlscan._KNOWN_TEXTS) <= 3
    with pytest.raises(NotPlain):
        xmlscan.xml_texts([b"&#0;"])  # refused as a parser refuses it, and not kept
    with pytest.raises(NotPlain):
        xmlscan.xml_texts([b"&#0;"])


def sst(items: bytes) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="{NS}">'.encode() + items + b"</sst>"


@pytest.mark.parametrize("items", [
    b'<?pi <si><t>x</t></si>?><si><t>y</t></si>',  # an instruction whose text looks like an item
    b'<extLst><si><t>x</t></si></extLst><si><t>y</t></si>',  # items held by another element
    b'<si><t>y</t></si><extLst><si/></extLst>',
    b'<si><t>a</t><si><t>b</t></si></si><si><t>c</t></si>',  # an item inside an item
    b'<si><t a=">x">y</t></si>',  # ">" inside an attribute value
    b'<si><?pi <t>x</t>?><t>y</t></si>',
    b'<si><r><rPr><t>x</t></rPr></r></si>',  # a <t> where Excel does not read one
    b'<si><t>a<b/>c</t></si>',  # an element inside a run
    b'<si><t>a</t><t\x00/><rPh><t>z</t></rPh></si>',  # a NUL: no parser takes it
    b'<si><x:t xmlns:x="urn:x">a</x:t><t>b</t></si>',
])
def test_shared_strings_a_careful_reader_reads_otherwise_step_aside(items, monkeypatch):
    """Hostile or unusual shapes: the fast path reads what lxml reads, or steps aside; never another text."""
    import shared.xmlscan as xmlscan

    monkeypatch.setattr(xmlscan, "_KNOWN_ITEMS", xmlscan._Known())
    data = sst(items)
    try:
        elements = _parse_small(data, "sst").findall("{*}si")
    except Exception:
        with pytest.raises(NotPlain):
            scan_strings(data, {0, 1, 2})
        return
    careful = {i: _string_item_text(si) for i, si in enumerate(elements) if i <= 2}
    try:
        fast = {i: _unescape(t) for i, t in scan_strings(data, {0, 1, 2}).items()}
    except NotPlain:
        return
    assert fast == careful


@pytest.mark.parametrize("cells", [
    '<c r="A1" x=">" t="s"><v>0</v></c><c r="B1"/>',  # ">" inside an attribute value
    '<c r="A1" t="inlineStr"><is><t a=">x">y</t></is></c><c r="B1"/>',
    '<c r="A1" t="inlineStr"><is><t>a<b/>c</t></is></c><c r="B1"/>',
    '<?pi <c r="A1"><v>1</v></c>?><c r="A1"><v>2</v></c><c r="B1"/>',
])
def test_cells_a_careful_reader_reads_otherwise_step_aside(cells):
    data = sheet(cells)
    try:
        got = fast_cells(data, {"A1", "B1"})
    except NotPlain:
        return
    assert got == careful_cells(data, {"A1", "B1"})


# --- workbook.xml: one read plan for a template, whatever window each user saved it with -------------

EXCEL_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x15 xr" '
    'xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main" '
    'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision">'
    '<fileVersion appName="xl" lastEdited="7" lowestEdited="7" rupBuild="{build}"/>'
    '<workbookPr defaultThemeVersion="166925"/>'
    '<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
    '<mc:Choice Requires="x15"><x15ac:absPath xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac" '
    'url="{folder}"/></mc:Choice></mc:AlternateContent>'
    '<xr:revisionPtr revIDLastSave="0" documentId="{document}"/>'
    '<bookViews><workbookView xWindow="{x}" yWindow="-120" windowWidth="{width}" windowHeight="15840" activeTab="2"/>'
    '</bookViews><sheets><sheet name="备案表" sheetId="1" r:id="rId1"/><sheet name="自评表" sheetId="2" r:id="rId2"/>'
    '</sheets><definedNames><definedName name="org_name">备案表!$B$3</definedName>'
    '<definedName name="total_score">自评表!$F$44</definedName></definedNames><calcPr calcId="{calc}"/><extLst>{note}</extLst></workbook>')


def excel_workbook(**fields: str) -> bytes:
    values = {"build": "27425", "folder": "C:\\Users\\张三\\Desktop\\", "document": "8_{5A1B}", "x": "-120",
              "width": "29040", "calc": "191029", "note": "", **fields}
    return EXCEL_WORKBOOK.format(**values).encode("utf-8")


def test_workbooks_saved_by_different_users_share_one_template_key():
    from shared.xmlscan import workbook_template_key
    mine = excel_workbook()
    theirs = excel_workbook(build="28000", folder="D:\\各单位材料\\2024\\", document="8_{FFFF}", x="300", width="14000",
                            calc="181029")
    assert workbook_template_key(mine) == workbook_template_key(theirs)
    # what says where names point keeps the keys apart
    assert workbook_template_key(mine) != workbook_template_key(mine.replace(b"$F$44", b"$F$45"))
    assert workbook_template_key(mine) != workbook_template_key(mine.replace("备案表\"".encode(), "封面\"".encode()))
    assert workbook_template_key(mine) != workbook_template_key(mine.replace(b'encoding="UTF-8"', b'encoding="GBK"'))
    assert workbook_template_key(mine) != workbook_template_key(mine.replace(b'r:id="rId2"', b'r:id="rId3"'))
    # a name or sheet outside <sheets>…</definedNames>, a comment: the part is its own key
    hidden = mine.replace(b"<calcPr", '<extLst><definedName name="total_score">备案表!$A$1</definedName></extLst><calcPr'
                          .encode())
    assert workbook_template_key(hidden) == (False, hidden)
    commented = mine.replace(b"<calcPr", b"<!-- x --><calcPr")
    assert workbook_template_key(commented) == (False, commented)


def entries_or_refusal(data: bytes):
    from shared.workbook import WorkbookError, _workbook_entries
    try:
        return _workbook_entries(data, "xl/workbook.xml")
    except WorkbookError as error:
        return "refused", error.kind


def assert_one_key_one_reading(first: bytes, second: bytes) -> None:
    """Parts that share a template key are read alike: both refused, or the same names and sheets."""
    from shared.xmlscan import workbook_template_key
    if workbook_template_key(first) == workbook_template_key(second):
        assert entries_or_refusal(first) == entries_or_refusal(second), (first, second)


MINIMAL = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
           '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"{root}>{head}'
           '<sheets><sheet name="自评表" sheetId="1" r:id="rId1"/></sheets><definedNames>'
           '<definedName name="total_score">自评表!$F$2</definedName>{stretch}</definedNames>{tail}</workbook>')


def minimal(root: str = "", head: str = "", stretch: str = "", tail: str = "") -> bytes:
    return MINIMAL.format(root=root, head=head, stretch=stretch, tail=tail).encode("utf-8", "surrogatepass")


def utf7_names(window: str) -> bytes:
    """A UTF-7 workbook.xml (declared with spaces around "="), its window value written in UTF-7's base64."""
    import base64
    if not window.lstrip("-").isdigit():
        window = "+" + base64.b64encode(window.encode("utf-16-be")).decode().rstrip("=") + "-"
    return ('<?xml version="1.0" encoding = "UTF-7"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
            '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><bookViews>'
            f'<workbookView xWindow="{window}"/></bookViews><sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
            '<sheet name="Other" sheetId="2" r:id="rId2"/></sheets><definedNames><definedName name="total_score">'
            'S!$F$2</definedName></definedNames></workbook>').encode()


@pytest.mark.parametrize("first, second", [
    # an element with a prefix \w does not match names a sheet or a name, whose values would be blanked
    (minimal(root=' xmlns:名="urn:x"', tail='<名:sheet name="其他" r:id="rId1"/>'),
     minimal(root=' xmlns:名="urn:x"', tail='<名:sheet name="自评表" r:id="rId9"/>')),
    (minimal(root=' xmlns:名="urn:x"', tail='<名:definedName name="unused">自评表!$A$1</名:definedName>'),
     minimal(root=' xmlns:名="urn:x"', tail='<名:definedName name="org_name">自评表!$A$1</名:definedName>')),
    (minimal(root=' xmlns:x="urn:x"', tail='<x:sheet name="其他" r:id="rId1"/>'),
     minimal(root=' xmlns:x="urn:x"', tail='<x:sheet name="自评表" r:id="rId9"/>')),
    (minimal(head='<sheet name="其他" r:id="rId1"/>'), minimal(head='<sheet name="自评表" r:id="rId9"/>')),
    # a match starting inside a value would swallow the next attribute's name
    (minimal(root=" a=' b=\"' c=\"v\""), minimal(root=" a=' b=\"Q\"v\"")),
    (minimal(root=' a="&amp; b=" c="v"'), minimal(root=' a="&amp; b="Q"v"')),
    (minimal(root=" c=' b=\"' d=\"v\""), minimal(root=" c=' b=\"' c=\"v\"")),
    # a comment, CDATA section or instruction opened in the stretch runs on into what follows
    (minimal(stretch="<!-- ", tail=' <x a="a"/> --></definedNames>'),
     minimal(stretch="<!-- ", tail=' <x a="a--b"/> --></definedNames>')),
    (minimal(stretch="<![CDATA[", tail=' <x a="a"/>]]>'), minimal(stretch="<![CDATA[", tail=' <x a="]]>"/>]]>')),
    (minimal(head='<?pi a="x"?>'), minimal(head='<?pi a="?>]]>"?>')),
    # namespace declarations, xml:* and the encoding are never blanked; bad UTF-8 is not blanked away
    (minimal(root=' xmlns:x="urn:x"'), minimal(root=' xmlns:x=""')),
    (minimal(head='<x xml:space="preserve"/>'), minimal(head='<x xml:space="bogus"/>')),
    (minimal(head='<x a="名"/>'), minimal(head='<x a="\udced"/>')),
    (minimal(head='<x a="b"/>'), minimal(head='<x a="\uffff"/>')),
    (minimal(head='<x a="b" c="d"/>'), minimal(head='<x a="b" a="d"/>')),
    # a declared encoding other than UTF-8, however spelled, is the parser's: UTF-7 turns "+...-" into markup
    (utf7_names("-120"),
     utf7_names('"/><definedNames><definedName name="total_score">Other!$A$1</definedName></definedNames><x a="')),
    (minimal(head='<x a="1"/>').replace(b'encoding="UTF-8"', b"encoding='US-ASCII'"),
     minimal(head='<x a="名"/>').replace(b'encoding="UTF-8"', b"encoding='US-ASCII'")),
])
def test_parts_a_parser_reads_otherwise_never_share_a_template_key(first, second):
    assert_one_key_one_reading(first, second)
    assert_one_key_one_reading(second, first)


def test_a_template_key_is_never_another_parts_own_bytes():
    from shared.xmlscan import workbook_template_key
    keyed = minimal(head='<bookViews><workbookView xWindow="1"/></bookViews>')
    flag, key = workbook_template_key(keyed)
    assert flag and workbook_template_key(key) != workbook_template_key(keyed)  # the key's bytes as a part
    assert_one_key_one_reading(keyed, key)


@pytest.mark.parametrize("part", [
    minimal(root=" " * 40 + "x"),  # a tag that does not fit after a long run of whitespace
    minimal(head="\n  <x/>" * 20_000 + "\n<!-- c -->"),  # pretty-printed, one comment late
    minimal(head="<x" + " " * 200_000 + "/>"),
    minimal(head=" " * 200_000 + "<x a=\"1\"/>"),
])
def test_a_template_key_is_worked_out_in_one_pass_whatever_the_part(part):
    """Whitespace that a pattern could cut many ways must not make it backtrack (40 spaces once took hours)."""
    from shared.xmlscan import workbook_template_key
    assert ends_within(30, workbook_template_key, part)


KEY_TOKENS = [" ", "a", "b", "xmlns:r", "xml:space", "=", '"', "'", "<x", "<y:x", "/>", ">", "</x>", "<名:sheet",
              "<sheet", "&amp;", "]]>", "--", "<!--", "-->", "<?pi", "?>", "\t", "v", "名", "<![CDATA["]
VALUE_LIKE = ["v", "a", "--", "]]>", "&amp;", "名", "\t", " ", "'", '"', "=", ">"]


@settings(max_examples=500, deadline=None)
@given(tokens=st.lists(st.sampled_from(KEY_TOKENS), max_size=14), where=st.sampled_from(["root", "head", "tail"]),
       changes=st.lists(st.tuples(st.integers(0, 13), st.sampled_from(VALUE_LIKE)), min_size=1, max_size=3))
def test_random_markup_around_the_names_never_shares_a_key_with_markup_read_otherwise(tokens, where, changes):
    """Markup of any shape before and after the names, and the same with a few pieces changed: one key only
    when a parser reads both alike."""
    changed = list(tokens)
    for at, piece in changes:
        if at < len(changed):
            changed[at] = piece
    assert_one_key_one_reading(minimal(**{where: "".join(tokens)}), minimal(**{where: "".join(changed)}))


@settings(max_examples=300, deadline=None)
@given(value=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
       | st.sampled_from(["&amp;", "&bogus;", "a<b", "\x01", "\uffff", "\ufffe", "\t", "'", "é\u0300", "]]>"]),
       where=st.sampled_from(["build", "folder", "document", "x", "calc", "note"]))
def test_a_workbook_sharing_a_key_with_a_well_formed_one_is_well_formed_and_names_the_same_cells(value, where):
    """A key hit skips parsing: it must never let through a part a parser refuses, nor other names."""
    other = excel_workbook(**{where: f' x="{value}"' if where == "note" else value})  # text that looks like one
    assert_one_key_one_reading(excel_workbook(), other)


# The regular expression workbook_template_key blanked values with before _values_blanked (which is 5x faster):
# kept here as the reference the faster cut is held to.
REFERENCE_BLANKING = re.compile(rb"(?<![ \t\r\n])(?:(" + _KEY_SPACE + rb"+(?!xmlns[:=]|xml:)" + _KEY_NAME
                                + rb'=")[^"]*(")|(' + _KEY_SPACE + rb"+" + _KEY_NAME + rb'="[^"]*"))')
ATTRIBUTE_NAMES = ["a", "xmlns", "xmlns:r", "xml:space", "xmlnsfoo", "xmlx:a", "r:id", "url", "xWindow"]
ATTRIBUTE_VALUES = ["", "1", "urn:m", "C:\\Users\\名\\", "a b=c", " xmlns:z", "xml:", "-->", "=", "'", ">"]
SPACES = [" ", "\t", "\r\n", "  "]
attribute = st.builds(lambda space, name, value: f'{space}{name}="{value}"', st.sampled_from(SPACES),
                      st.sampled_from(ATTRIBUTE_NAMES), st.sampled_from(ATTRIBUTE_VALUES))
tag = (st.builds(lambda name, attributes, space, end: f"<{name}{''.join(attributes)}{space}{end}",
                 st.sampled_from(["x", "mc:Choice", "xmlnsx", "bookViews"]), st.lists(attribute, max_size=4),
                 st.sampled_from(["", " ", "\n"]), st.sampled_from([">", "/>"]))
       | st.sampled_from(["</x>", "</mc:Choice >"]))


@settings(max_examples=500, deadline=None)
@given(tags=st.lists(st.tuples(tag, st.sampled_from(["", " ", "\n"])), max_size=8))
def test_values_are_blanked_as_the_reference_pattern_blanks_them(tags):
    from shared.xmlscan import _TAGS_ONLY, _values_blanked
    markup = "".join(t + space for t, space in tags).encode()
    assert _TAGS_ONLY.fullmatch(markup)
    assert _values_blanked(markup) == REFERENCE_BLANKING.sub(rb"\1\2\3", markup)


def test_values_are_blanked_but_namespaces_and_xml_attributes():
    from shared.xmlscan import _values_blanked
    tags = ('<workbook xmlns="urn:m" xmlns:r="urn:r" a="1"><x xml:space="preserve" url="C:\\名\\" xmlnsx="v"/>'
            '<y\txWindow="-120"\r\nyWindow="0"/>').encode()
    assert _values_blanked(tags) == ('<workbook xmlns="urn:m" xmlns:r="urn:r" a=""><x xml:space="preserve" url="" '
                                     'xmlnsx=""/><y\txWindow=""\r\nyWindow=""/>').encode()
