"""The Excel add-in without Excel: its actions run on xlwings' remote engine (the payload Excel would send, built
from real filled templates), the returned actions are applied to a copy with openpyxl, and the result is
compared with what the checker itself finds in the same files. Also the xlwings-server custom scripts (through
its TestClient), the .xlam build, the VBA module and the template's WPS-compatibility.

Needs XLWINGS_LICENSE_KEY=noncommercial for xlwings' remote engine (PolyForm Noncommercial).
"""
from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree
from openpyxl.formula.tokenizer import Tokenizer

xw = pytest.importorskip("xlwings")

from excel_addin import SERVER_DIR, build_xlam, custom_scripts, labels, scripts  # noqa: E402
from excel_addin.payload import apply_actions, book_payload  # noqa: E402
from shared.batch import check_paths  # noqa: E402
from shared.demo import demo_cases, workbook_bytes  # noqa: E402
from shared.findings import ERROR  # noqa: E402
from shared.names import EVIDENCE_NAMES, edition_names  # noqa: E402
from shared.rubric import RUBRIC  # noqa: E402
from shared.template import SELF, build_template, named_cell  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "自评表.xlsx"
ADDIN = ROOT / "excel_addin"

pytestmark = pytest.mark.skipif(not os.environ.get("XLWINGS_LICENSE_KEY"),
                                reason="xlwings' remote engine needs XLWINGS_LICENSE_KEY=noncommercial")


# --- packages as units make them -------------------------------------------------------------------

@pytest.fixture(scope="session")
def clean_case():
    """A demo submission with nothing wrong (the first 附件4 unit), values and evidence files."""
    case = demo_cases()[0]
    return case


def make_package(folder: Path, case, values: dict | None = None, drop_files: tuple[str, ...] = (),
                 scratch: Path | None = None) -> Path:
    """A package folder: `<org>自评表.xlsx` saved as Excel saves it (formula results included) + 佐证材料/."""
    folder.mkdir(parents=True, exist_ok=True)
    case = dataclasses.replace(case, values={**case.values, **(values or {})})
    book = folder / f"{case.org}自评表.xlsx"
    book.write_bytes(workbook_bytes(case, TEMPLATE, scratch or folder.parent))
    for rel, data in case.evidence.items():
        if rel in drop_files:
            continue
        path = folder / "佐证材料" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return book


def problem_values(case) -> dict:
    missing = case.values[RUBRIC.rule("2.1.1").evidence_name]
    return {
        "score_2_2_5": 6,  # above the rule's maximum
        "score_3_1_1": "满分",  # text
        "score_5_1_2": 1.5,  # between steps
        RUBRIC.rule("2.2.2").evidence_name: None,  # scores but names no evidence
        "org_profile": "很长的单位简介。" * 60,  # over 300 characters (a warning)
        "_missing": missing,
    }


@pytest.fixture
def problem_book(tmp_path, clean_case) -> Path:
    values = problem_values(clean_case)
    missing = values.pop("_missing")
    return make_package(tmp_path / "pkg", clean_case, values, drop_files=(missing,))


@pytest.fixture
def clean_book(tmp_path, clean_case) -> Path:
    return make_package(tmp_path / "pkg", clean_case)


def open_book(path: Path, **kwargs) -> xw.Book:
    return xw.Book(json=book_payload(path, **kwargs))


def run_and_apply(book: xw.Book, src: Path, dst: Path) -> list[str]:
    return apply_actions(src, book.json()["actions"], dst)


def sheet_rows(path: Path, sheet: str) -> list[list]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [[c.value for c in row] for row in ws.iter_rows()]


def checker_rows(package: Path, where: str) -> list[list]:
    """What the checker says of the package, as 校验结果 rows (its `where` swapped for the book's name)."""
    (result,) = check_paths([package])
    return [[n, labels.SEVERITY[f.severity], f.cell, f.rule or f.item, f.message.replace(result.source, where)]
            for n, f in enumerate(result.findings, start=1)]


def fill_of(path: Path, address: str) -> str | None:
    sheet, ref = address.split("!")
    fill = openpyxl.load_workbook(path)[sheet][ref].fill
    return fill.fgColor.rgb[-6:].upper() if fill.fill_type == "solid" else None


# --- validate ------------------------------------------------------------------------------------------

def test_result_sheet_rows_are_the_checkers_findings_for_the_same_package(problem_book, tmp_path):
    book = open_book(problem_book)
    report = scripts.validate(book, problem_book.parent)
    out = tmp_path / "after.xlsx"
    alerts = run_and_apply(book, problem_book, out)

    rows = sheet_rows(out, labels.RESULT_SHEET)
    assert rows[0] == labels.RESULT_HEADERS
    expected = checker_rows(problem_book.parent, problem_book.name)
    assert rows[1:] == expected
    codes = {f.code for f in report.result.findings}
    assert {"cap_exceeded", "invalid_value", "evidence_missing", "evidence_not_found", "text_length"} <= codes
    errors, warnings = report.result.counts
    assert alerts == [report.message]
    assert f"{errors} 个错误" in alerts[0] and f"{warnings} 个提醒" in alerts[0]
    assert openpyxl.load_workbook(out).active.title == labels.RESULT_SHEET


def test_offending_cells_are_coloured_and_the_others_keep_the_template_fill(problem_book, tmp_path):
    book = open_book(problem_book)
    report = scripts.validate(book, problem_book.parent)
    out = tmp_path / "after.xlsx"
    run_and_apply(book, problem_book, out)

    wb = openpyxl.load_workbook(out)
    marked = {f.cell: f.severity for f in report.result.findings if f.cell}
    assert "自评表!E15" in marked  # score_2_2_5
    template = build_template()
    for name in edition_names(RUBRIC):  # the names of the book's own edition (ALL_NAMES holds every edition's)
        cell = named_cell(wb, name)
        address = f"{cell.parent.title}!{cell.coordinate}"
        fill = cell.fill.fgColor.rgb[-6:].upper() if cell.fill.fill_type == "solid" else None
        if address in marked:
            colour = labels.ERROR_COLOR if marked[address] == ERROR else labels.WARNING_COLOR
            assert fill == colour.lstrip("#"), name
        else:
            blank = named_cell(template, name).fill
            assert fill == blank.fgColor.rgb[-6:].upper(), name
    # the 300-character profile is only a warning: orange, not red
    assert fill_of(out, report.result.cells["org_profile"]) == labels.WARNING_COLOR.lstrip("#")


def test_validating_again_after_a_fix_replaces_the_rows_and_uncolours_the_fixed_cell(problem_book, tmp_path):
    from shared.template import write_named_values

    first = open_book(problem_book)
    scripts.validate(first, problem_book.parent)
    coloured = tmp_path / "coloured.xlsx"
    run_and_apply(first, problem_book, coloured)
    assert fill_of(coloured, "自评表!E15") == labels.ERROR_COLOR.lstrip("#")

    fixed = problem_book.parent / problem_book.name  # the unit fixes 2.2.5 in the coloured book and saves
    write_named_values(coloured, fixed, {"score_2_2_5": 4})
    second = open_book(fixed)
    report = scripts.validate(second, fixed.parent)
    out = tmp_path / "again.xlsx"
    run_and_apply(second, fixed, out)

    assert fill_of(out, "自评表!E15") == named_cell(build_template(), "score_2_2_5").fill.fgColor.rgb[-6:].upper()
    rows = sheet_rows(out, labels.RESULT_SHEET)
    assert rows[1:] == checker_rows(fixed.parent, fixed.name)
    assert not any(f.rule == "2.2.5" for f in report.result.findings)
    assert openpyxl.load_workbook(out).sheetnames == build_template().sheetnames + [labels.RESULT_SHEET]


def test_a_clean_book_validates_with_one_no_problem_row(clean_book, tmp_path):
    book = open_book(clean_book)
    report = scripts.validate(book, clean_book.parent)
    out = tmp_path / "after.xlsx"
    alerts = run_and_apply(book, clean_book, out)
    assert report.result.findings == []
    assert sheet_rows(out, labels.RESULT_SHEET)[1][-1] == labels.NO_FINDINGS_ROW
    assert alerts == [labels.VALIDATE_OK]


def test_without_the_books_folder_files_are_not_judged_and_the_summary_says_so(problem_book, tmp_path):
    book = open_book(problem_book)
    report = scripts.validate(book)  # a payload's book has no folder on this PC, like Excel on the web
    codes = {f.code for f in report.result.findings}
    assert "evidence_not_found" not in codes and "evidence_missing" in codes
    assert labels.EVIDENCE_NOT_CHECKED in report.message
    local = scripts.validate(open_book(problem_book), problem_book.parent)
    assert len(local.result.findings) == len(report.result.findings) + 1  # just the missing file


# --- score ---------------------------------------------------------------------------------------------

def test_score_shows_the_checkers_three_totals_and_the_verdict(problem_book):
    (checked,) = check_paths([problem_book.parent])
    book = open_book(problem_book)
    scores = scripts.score(book, problem_book.parent)
    (alert,) = [a["args"][0] for a in book.json()["actions"] if a["func"] == "alert"]

    assert (scores.claimed, scores.rescored, scores.evidenced) == (
        checked.claimed_total, checked.rescored_total, checked.evidenced_total)
    assert scores.evidenced < scores.rescored
    for total in (checked.claimed_total, checked.rescored_total, checked.evidenced_total):
        assert f"{total.normalize():f} 分" in alert
    assert scores.qualifies == checked.qualifies
    verdict = labels.QUALIFIES.format(threshold=80) if checked.qualifies else "未达到 80 分"
    assert verdict in alert


def test_score_below_80_says_how_far(tmp_path, clean_case):
    zeros = {r.score_name: 0 for r in RUBRIC.rules if not r.computed and r.item_id.startswith(("2.", "3."))}
    book_path = make_package(tmp_path / "pkg", clean_case, zeros)
    scores = scripts.score(open_book(book_path), book_path.parent)
    assert not scores.qualifies
    assert labels.NOT_QUALIFIES.format(threshold=80, short=f"{(80 - scores.rescored).normalize():f}") in scores.message


# --- attach evidence -------------------------------------------------------------------------------------

def _selected_on(path: Path, name: str) -> dict:
    wb = openpyxl.load_workbook(path)
    cell = named_cell(wb, name)
    return dict(selection=cell.coordinate, active_sheet=cell.parent.title)


def test_attach_evidence_copies_files_and_appends_to_the_selected_rules_cell(clean_book, tmp_path):
    folder = clean_book.parent
    rule = RUBRIC.rule("2.2.5")
    before = openpyxl.load_workbook(clean_book)
    old_text = named_cell(before, rule.evidence_name).value
    picked = tmp_path / "picked"
    picked.mkdir()
    first = picked / "节水管理制度.pdf"
    first.write_bytes(next(v for k, v in sorted(_evidence_files(folder)) if k.endswith(".pdf")))
    second = picked / "垃圾分类制度 (修订).docx"
    second.write_bytes(next(v for k, v in sorted(d for d in _evidence_files(folder)) if k.endswith(".docx")))
    clash_dir = folder / "佐证材料" / "2.2.5"
    clash_dir.mkdir(parents=True)
    (clash_dir / first.name).write_bytes(b"%PDF-1.4 another file of the same name")

    # the unit selects the row's score cell (not the evidence cell) and picks two files
    book = open_book(clean_book, **_selected_on(clean_book, rule.score_name))
    added = scripts.attach_evidence(book, [first, second], folder=folder)
    out = folder / clean_book.name
    run_and_apply(book, clean_book, out)

    assert added == ["2.2.5/节水管理制度（2）.pdf", "2.2.5/垃圾分类制度 (修订).docx"]
    for rel, source in zip(added, (first, second)):
        assert (folder / "佐证材料" / rel).read_bytes() == source.read_bytes()
    text = named_cell(openpyxl.load_workbook(out), rule.evidence_name).value
    assert text.splitlines() == old_text.splitlines() + added
    (checked,) = check_paths([folder])
    statuses = checked.evidence["2.2.5"]
    assert [s["path"] for s in statuses][-2:] == added
    assert all(s["status"] == "ok" for s in statuses), statuses
    assert not [f for f in checked.findings if f.rule == "2.2.5"]


def _evidence_files(folder: Path):
    for path in (folder / "佐证材料").rglob("*"):
        if path.is_file():
            yield path.name, path.read_bytes()


def test_attaching_the_same_file_twice_adds_it_once(clean_book, tmp_path):
    source = tmp_path / "照片.png"
    source.write_bytes(next(v for k, v in _evidence_files(clean_book.parent) if k.endswith(".png")))
    book = open_book(clean_book, **_selected_on(clean_book, "evidence_4_2_1"))
    assert scripts.attach_evidence(book, [source], folder=clean_book.parent) == ["4.2.1/照片.png"]
    out = clean_book.parent / clean_book.name
    run_and_apply(book, clean_book, out)
    again = open_book(out, **_selected_on(out, "evidence_4_2_1"))
    assert scripts.attach_evidence(again, [source], folder=clean_book.parent) == ["4.2.1/照片.png"]
    (value,) = [a["values"][0][0] for a in again.json()["actions"] if a["func"] == "setValues"]
    assert value.splitlines().count("4.2.1/照片.png") == 1


@pytest.mark.parametrize("selection, message", [
    (dict(selection="A1", active_sheet="备案表"), labels.NEED_RULE),
    ("score_1_1_1", labels.COMPUTED_RULE.format(rule="1.1.1")),
])
def test_attach_evidence_needs_a_scored_rule_row(clean_book, tmp_path, selection, message):
    if isinstance(selection, str):
        selection = _selected_on(clean_book, selection)
    source = tmp_path / "a.pdf"
    source.write_bytes(b"%PDF-1.4")
    book = open_book(clean_book, **selection)
    with pytest.raises(scripts.AddinError, match=re.escape(message)):
        scripts.attach_evidence(book, [source], folder=clean_book.parent)
    assert not (clean_book.parent / "佐证材料" / "1.1.1").exists()


def test_attach_evidence_needs_a_saved_book(clean_book, tmp_path):
    book = open_book(clean_book, **_selected_on(clean_book, "score_2_2_5"))
    with pytest.raises(scripts.AddinError, match="请先把工作簿保存到本机文件夹"):
        scripts.attach_evidence(book, [clean_book])


# --- pack ------------------------------------------------------------------------------------------------

def test_pack_writes_the_named_zip_that_the_checker_accepts_without_evidence_findings(clean_book, clean_case):
    book = open_book(clean_book)
    target = scripts.pack(book, clean_book.parent)

    assert target == clean_book.parent / f"{clean_case.org}_节约型机关申报_2020.zip"
    with zipfile.ZipFile(target) as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names[0] == clean_book.name
    assert sorted(n.removeprefix("佐证材料/") for n in names[1:]) == sorted(clean_case.evidence)
    assert all(i.flag_bits & 0x800 for i in infos)  # UTF-8 names
    (checked,) = check_paths([target])
    assert not [f for f in checked.findings if f.code.startswith("evidence")]
    assert checked.findings == [] and checked.evidenced_total == checked.rescored_total
    alerts = [a["args"][0] for a in book.json()["actions"] if a["func"] == "alert"]
    assert str(target) in alerts[-1]


def test_pack_refuses_while_there_are_errors(problem_book):
    book = open_book(problem_book)
    assert scripts.pack(book, problem_book.parent) is None
    assert not list(problem_book.parent.glob("*.zip"))
    alerts = [a["args"][0] for a in book.json()["actions"] if a["func"] == "alert"]
    assert alerts[-1].startswith("还有") and labels.RESULT_SHEET in alerts[-1]


def test_pack_leaves_out_tool_litter(clean_book):
    litter = clean_book.parent / "佐证材料" / ".DS_Store"
    litter.write_bytes(b"\0")
    (clean_book.parent / "佐证材料" / "~$草稿.docx").write_bytes(b"\0")
    target = scripts.pack(open_book(clean_book), clean_book.parent)
    with zipfile.ZipFile(target) as archive:
        assert not [n for n in archive.namelist() if ".DS_Store" in n or "~$" in n]


def test_zip_name_keeps_chinese_and_drops_characters_windows_refuses():
    result = scripts.SubmissionResult(source="x", org_name="市委/办公室:*", assess_year=2021)
    assert scripts.zip_name(result) == "市委_办公室_节约型机关申报_2021.zip"
    with pytest.raises(scripts.AddinError):
        scripts.zip_name(scripts.SubmissionResult(source="x", org_name="市委办公室"))


# --- the RunPython entry points (desktop ribbon) ------------------------------------------------------

def vba_to_hex(text: str) -> str:
    """What JyjgAddin.bas's ToHex does: each UTF-16 code unit as 4 upper-case hex digits."""
    units = text.encode("utf-16-le")
    return "".join(f"{int.from_bytes(units[i:i + 2], 'little'):04X}" for i in range(0, len(units), 2))


def test_decode_vba_text_reverses_the_vba_encoding():
    text = "D:\\申报\\佐证材料 2020\\会议纪要（一）.pdf\n/Users/王芳/照片😀.jpg"
    assert scripts.decode_vba_text(vba_to_hex(text)) == text
    assert scripts.decode_vba_text("") == ""


@pytest.fixture
def mock_caller():
    def set_caller(book):
        book.set_mock_caller()
        return book
    yield set_caller
    if hasattr(xw.Book, "_mock_caller"):
        del xw.Book._mock_caller


def test_runpython_entry_points_act_on_the_calling_book_and_its_folder(clean_book, tmp_path, mock_caller):
    # Desktop Excel's FullName is the saved path; the payload's name stands in for it here.
    mock_caller(open_book(clean_book, name=str(clean_book)))
    report = scripts.run_validate()
    assert report.evidence_checked and report.result.findings == []

    picked = tmp_path / "讲座签到表.pdf"
    picked.write_bytes(b"%PDF-1.4\n%%EOF\n" * 10)
    mock_caller(open_book(clean_book, name=str(clean_book), **_selected_on(clean_book, "score_5_2_2")))
    assert scripts.run_attach_evidence(vba_to_hex(str(picked))) == ["5.2.2/讲座签到表.pdf"]

    mock_caller(open_book(clean_book, name=str(clean_book)))
    target = scripts.run_pack()
    assert target is not None and target.parent == clean_book.parent


def test_entry_points_show_what_the_user_must_do_first(clean_book, mock_caller):
    book = mock_caller(open_book(clean_book))  # no saved path: nothing can be packed
    assert scripts.run_pack() is None
    alerts = [a["args"][0] for a in book.json()["actions"] if a["func"] == "alert"]
    assert alerts == [labels.NEED_SAVED.format(action=labels.ACTION_PACK)]


# --- xlwings-server custom scripts --------------------------------------------------------------------

SERVER_CALLS = """
import json, sys
from fastapi.testclient import TestClient
from xlwings_server.main import app
client = TestClient(app)
payload = json.load(open(sys.argv[1], encoding="utf-8"))
out = {"meta": client.get("/xlwings/custom-scripts-meta.json").json(),
       "taskpane": client.get("/taskpane.html").text}
for name in ("validate", "score", "attach_evidence", "pack"):
    response = client.post(f"/xlwings/custom-scripts-call/{name}", json=payload)
    out[name] = [response.status_code, response.json()]
json.dump(out, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
"""


@pytest.fixture
def server_answers(problem_book, tmp_path):
    """xlwings-server (its own TestClient, in a child process so its settings stay out of this one)."""
    pytest.importorskip("xlwings_server")
    request, answer = tmp_path / "payload.json", tmp_path / "answer.json"
    request.write_text(json.dumps(book_payload(problem_book), ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "XLWINGS_PROJECT_DIR": str(SERVER_DIR), "XLWINGS_ENABLE_EXAMPLES": "false"}
    done = subprocess.run([sys.executable, "-c", SERVER_CALLS, str(request), str(answer)], env=env,
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(answer.read_text(encoding="utf-8"))


def test_custom_scripts_give_the_same_rows_as_the_desktop_action(server_answers, problem_book, tmp_path):
    status, answer = server_answers["validate"]
    assert status == 200
    out = tmp_path / "web.xlsx"
    apply_actions(problem_book, answer["actions"], out)
    web_rows = sheet_rows(out, labels.RESULT_SHEET)[1:]
    local = [r for r in checker_rows(problem_book.parent, problem_book.name)
             if not r[4].startswith(problem_book.name) or "找不到" not in r[4]]
    assert [r[1:] for r in web_rows] == [r[1:] for r in local]
    assert len(web_rows) == len(checker_rows(problem_book.parent, problem_book.name)) - 1

    status, answer = server_answers["score"]
    (alert,) = [a["args"][0] for a in answer["actions"] if a["func"] == "alert"]
    assert status == 200 and labels.EVIDENCE_UNKNOWN in alert
    for name in ("attach_evidence", "pack"):
        status, answer = server_answers[name]
        assert status == 200 and [a["args"][0] for a in answer["actions"]] == [labels.WEB_NEEDS_DESKTOP]


def test_task_pane_has_a_button_per_custom_script_with_the_ribbons_labels(server_answers):
    registered = {m["function_name"] for m in server_answers["meta"]}
    assert registered == set(labels.BUTTONS)
    page = etree.HTML(server_answers["taskpane"])
    buttons = {b.get("xw-click"): b.text.strip() for b in page.iter("button") if b.get("xw-click")}
    assert buttons == labels.BUTTONS
    assert {n for n in dir(custom_scripts) if hasattr(getattr(custom_scripts, n), "__xlscript__")} == registered


# --- the desktop .xlam -------------------------------------------------------------------------------

CUI = "{http://schemas.microsoft.com/office/2009/07/customui}"
# customUI 2009/07: the attributes this ribbon may use on each element, and which are required.
ALLOWED_ATTRIBUTES = {
    "customUI": ({"onLoad", "loadImage"}, set()),
    "ribbon": ({"startFromScratch"}, set()),
    "tabs": (set(), set()),
    "tab": ({"id", "label", "insertAfterMso", "insertBeforeMso", "keytip", "visible"}, {"id", "label"}),
    "group": ({"id", "label", "imageMso", "keytip"}, {"id", "label"}),
    "button": ({"id", "label", "size", "imageMso", "screentip", "supertip", "onAction", "keytip", "enabled"},
               {"id", "label", "onAction"}),
}
CHILDREN = {"customUI": {"ribbon"}, "ribbon": {"tabs"}, "tabs": {"tab"}, "tab": {"group"}, "group": {"button"},
            "button": set()}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_xlam.build(tmp_path_factory.mktemp("dist"))


def vba_text() -> str:
    return (ADDIN / "vba" / "JyjgAddin.bas").read_text(encoding="ascii")


def test_xlam_is_an_addin_package_with_the_ribbon_part(built):
    xlam, module = built
    with zipfile.ZipFile(xlam) as archive:
        assert archive.testzip() is None
        types = etree.fromstring(archive.read("[Content_Types].xml"))
        rels = etree.fromstring(archive.read("_rels/.rels"))
        ribbon = archive.read(build_xlam.CUSTOMUI_PART)
        workbook = archive.read("xl/workbook.xml")
    overrides = {o.get("PartName"): o.get("ContentType") for o in types}
    assert overrides["/xl/workbook.xml"] == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
    targets = {r.get("Type"): r.get("Target") for r in rels}
    assert targets[build_xlam.CUSTOMUI_REL] == "customUI/customUI14.xml"
    assert targets["http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"] == "xl/workbook.xml"
    assert ribbon == (ADDIN / "ribbon" / "customUI14.xml").read_bytes()
    assert b"<sheet " in workbook
    with zipfile.ZipFile(xlam) as archive:  # every XML part is well-formed
        for name in archive.namelist():
            etree.fromstring(archive.read(name))
    assert module.read_bytes() == vba_text().replace("\n", "\r\n").encode("ascii")


def test_builds_are_byte_identical(built, tmp_path):
    again, _ = build_xlam.build(tmp_path)
    assert again.read_bytes() == built[0].read_bytes()


def test_ribbon_has_the_chinese_tab_and_four_buttons_whose_macros_exist(built):
    root = etree.fromstring((ADDIN / "ribbon" / "customUI14.xml").read_bytes())
    ids = []
    for element in root.iter(etree.Element):
        assert element.tag.startswith(CUI), element.tag
        local = element.tag[len(CUI):]
        allowed, required = ALLOWED_ATTRIBUTES[local]
        assert required <= set(element.attrib) <= allowed, (local, element.attrib)
        assert {c.tag[len(CUI):] for c in element} <= CHILDREN[local]
        ids += [element.get("id")] if element.get("id") else []
    assert len(ids) == len(set(ids))
    (tab,) = root.iter(f"{CUI}tab")
    assert tab.get("label") == labels.RIBBON_TAB
    buttons = list(tab.iter(f"{CUI}button"))
    assert [b.get("label") for b in buttons] == list(labels.BUTTONS.values())
    text = vba_text()
    assert re.search(r'^Attribute VB_Name = "JyjgAddin"', text, re.M)
    for button in buttons:
        module, macro = button.get("onAction").split(".")
        assert module == "JyjgAddin"
        assert re.search(rf"^Public Sub {macro}\(control As IRibbonControl\)$", text, re.M), macro


def test_vba_calls_python_functions_that_exist_and_holds_no_chinese(built):
    text = vba_text()
    assert text.isascii()
    called = re.findall(r'CallPython "(\w+)\(', text)
    assert sorted(called) == ["run_attach_evidence", "run_pack", "run_score", "run_validate"]
    assert all(callable(getattr(scripts, name)) for name in called)
    assert 'PY_MODULE As String = "excel_addin.scripts"' in text
    (title,) = re.findall(r'PICKER_TITLE_HEX As String = "([0-9A-F]+)"', text)
    assert scripts.decode_vba_text(title) == labels.PICKER_TITLE


def test_actions_hold_no_user_text_of_their_own():
    """Chinese that users see lives in labels.py (and findings.py): none in the actions' code."""
    for module in (ADDIN / "scripts.py", ADDIN / "custom_scripts.py", ADDIN / "payload.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                      and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                assert not re.search(r"[\u4e00-\u9fff]", node.value), (module, node.value)


# --- WPS: the template alone ---------------------------------------------------------------------------

# Functions WPS 表格 (WPS Office 2019+) computes as Excel does, from its function reference; the template
# may use no other. (xlwings does not run in WPS, so there the template's own formulas are what scores.)
WPS_FUNCTIONS = frozenset({
    "ABS", "AND", "AVERAGE", "CHOOSE", "COUNT", "COUNTA", "COUNTIF", "DATE", "HLOOKUP", "IF", "IFERROR",
    "INDEX", "INT", "ISBLANK", "ISERROR", "ISLOGICAL", "ISNUMBER", "ISTEXT", "LEFT", "LEN", "LOOKUP", "MATCH",
    "MAX", "MID", "MIN", "MOD", "NOT", "OR", "RIGHT", "ROUND", "ROUNDDOWN", "ROUNDUP", "SUM", "SUMIF",
    "SUMPRODUCT", "TEXT", "TRIM", "TRUNC", "VALUE", "VLOOKUP", "YEAR",
})


def template_functions(wb) -> dict[str, set[str]]:
    """Every function name in the template's cell formulas, conditional formats and validations -> where."""
    found: dict[str, set[str]] = {}

    def scan(formula: str, where: str) -> None:
        for token in Tokenizer(formula if formula.startswith("=") else "=" + formula).items:
            if token.type == "FUNC" and token.subtype == "OPEN":
                found.setdefault(token.value[:-1].upper().removeprefix("_XLFN."), set()).add(where)

    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    scan(str(cell.value), f"{ws.title}!{cell.coordinate}")
        for rng in ws.conditional_formatting:
            for rule in rng.rules:
                for formula in rule.formula:
                    scan(formula, f"{ws.title}!{rng.sqref} (条件格式)")
        for dv in ws.data_validations.dataValidation:
            for formula in (dv.formula1, dv.formula2):
                if formula and not formula.startswith('"'):
                    scan(formula, f"{ws.title}!{dv.sqref} (数据验证)")
    return found


def test_template_uses_only_functions_wps_computes():
    wb = openpyxl.load_workbook(TEMPLATE)
    used = template_functions(wb)
    assert {"IF", "LOOKUP", "SUM"} <= set(used)  # the scan sees the scoring formulas
    assert set(used) <= WPS_FUNCTIONS, {f: used[f] for f in set(used) - WPS_FUNCTIONS}


def test_every_score_input_has_list_validation_of_its_allowed_values():
    wb = openpyxl.load_workbook(TEMPLATE)
    ws = wb[SELF]
    for rule in RUBRIC.rules:
        if rule.computed:
            continue
        cell = named_cell(wb, rule.score_name)
        validations = [dv for dv in ws.data_validations.dataValidation if cell.coordinate in dv.sqref]
        assert len(validations) == 1, rule.id
        (dv,) = validations
        listed = [v for v in dv.formula1.strip('"').split(",")]
        assert dv.type == "list" and [float(v) for v in listed] == [float(a) for a in rule.allowed], rule.id
        assert dv.showErrorMessage, rule.id
    assert set(EVIDENCE_NAMES) and all(rule.evidence_name in EVIDENCE_NAMES for rule in RUBRIC.rules)


def test_score_under_an_edition_with_stars_and_grades_gives_its_verdict_not_a_shortfall():
    """The 示范单位 example: a ★ rule at 0 fails a unit above the pass mark, and a unit that passes hears its
    grade (on main: “未达到 85 分，还差 -10 分”)."""
    from decimal import Decimal

    from shared.checks import SubmissionResult
    from shared.rubric import CITY
    edition = CITY.edition("model-unit-example")
    full = {r.id: {"claimed": r.points, "score": r.points} for r in edition.rules}
    star = {**full, "1.2.1": {"claimed": 0, "score": 0}}

    def summary(rules, total, qualifies):
        result = SubmissionResult(source="示范.xlsx", claimed_total=total, rescored_total=total, evidenced_total=total,
                                  qualifies=qualifies, rules=rules, edition=edition.name)
        return scripts.score_summary(result, evidence_checked=True).message

    failed = summary(star, Decimal(102), False)
    assert "重新计算结果：不符合通过条件：★ 项 1.2.1 得 0 分。" in failed and "还差" not in failed
    assert "通过条件：得分达到 85 分（含）以上、★ 项均不得 0 分。" in failed
    assert "重新计算结果：符合通过条件（等级：优秀）。" in summary(full, Decimal(110), True)
