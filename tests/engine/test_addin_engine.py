"""The add-in on workbooks whose formulas LibreOffice computed (as WPS or Excel would before saving).

A filled template is recalculated by LibreOffice; its values and names become the payload Excel sends; the
add-in's 校验 must then list exactly the checker's findings for that file, and the template's own formulas
(the only scoring there is in WPS, where xlwings does not run) must give the core's scores.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import openpyxl
import pytest

pytest.importorskip("xlwings")

from excel_addin import labels, scripts  # noqa: E402
from excel_addin.payload import apply_actions, book_payload  # noqa: E402
from shared.batch import check_paths  # noqa: E402
from shared.demo import demo_cases  # noqa: E402
from shared.office import recalculate  # noqa: E402
from shared.rubric import RUBRIC  # noqa: E402
from shared.scoring import as_number  # noqa: E402
from shared.template import named_cell, write_named_values  # noqa: E402

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(not os.environ.get("XLWINGS_LICENSE_KEY"),
                       reason="xlwings' remote engine needs XLWINGS_LICENSE_KEY=noncommercial"),
]

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "自评表.xlsx"


@pytest.fixture(scope="module")
def recalculated(soffice, tmp_path_factory):
    """Two packages whose workbooks LibreOffice recalculated: one clean, one with claims to fix."""
    root = tmp_path_factory.mktemp("addin-engine")
    case = demo_cases()[0]
    variants = {
        "clean": {},
        "problems": {"score_2_2_5": 6, "score_3_1_1": "满分", "score_5_1_2": 1.5,
                     RUBRIC.rule("2.2.2").evidence_name: None, "headcount": 0},
    }
    filled = []
    for key, changes in variants.items():
        values = {**case.values, **changes}
        path = root / "filled" / key / f"{case.org}自评表.xlsx"
        path.parent.mkdir(parents=True)
        write_named_values(TEMPLATE, path, values)
        filled.append(path)
    outs = {}
    for key, path in zip(variants, filled):  # one output folder each: the file names are the same
        (out,) = recalculate([path], root / "calc" / key)
        package = root / key
        package.mkdir()
        shutil.move(out, package / out.name)
        for rel, data in case.evidence.items():
            target = package / "佐证材料" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        outs[key] = (package / out.name, {**case.values, **variants[key]})
    return outs


@pytest.mark.parametrize("key", ["clean", "problems"])
def test_validate_on_a_recalculated_book_lists_the_checkers_findings(recalculated, key, tmp_path):
    import xlwings as xw

    path, _ = recalculated[key]
    book = xw.Book(json=book_payload(path))
    report = scripts.validate(book, path.parent)
    out = tmp_path / "after.xlsx"
    apply_actions(path, book.json()["actions"], out)

    (checked,) = check_paths([path.parent])
    expected = [[n, labels.SEVERITY[f.severity], f.cell, f.rule or f.item, f.message.replace(checked.source, path.name)]
                for n, f in enumerate(checked.findings, start=1)]
    ws = openpyxl.load_workbook(out)[labels.RESULT_SHEET]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    if key == "clean":
        assert checked.findings == [] and rows[0][-1] == labels.NO_FINDINGS_ROW
    else:
        assert rows == expected
        codes = {f.code for f in report.result.findings}
        assert {"cap_exceeded", "invalid_value", "evidence_missing", "energy_data_invalid"} <= codes
    assert "total_mismatch" not in {f.code for f in report.result.findings}  # formulas were computed


@pytest.mark.parametrize("key", ["clean", "problems"])
def test_template_formulas_computed_by_libreoffice_give_the_cores_scores(recalculated, key):
    """What a unit sees in WPS (its own formulas) is what the checker re-scores."""
    path, _ = recalculated[key]
    (checked,) = check_paths([path.parent])
    wb = openpyxl.load_workbook(path, data_only=True)
    assert as_number(named_cell(wb, "total_score").value) == checked.rescored_total
    for item in RUBRIC.items:
        assert as_number(named_cell(wb, item.score_name).value) == checked.items[item.id], item.id
    for rule in RUBRIC.computed_rules:
        assert as_number(named_cell(wb, rule.score_name).value) == checked.rules[rule.id]["score"], rule.id
    if key == "problems":  # a zero headcount zeroes 1.1.1 and 1.1.2, and the capped claims count at their max
        assert checked.rules["1.1.1"]["score"] == 0 and checked.rules["2.2.5"]["score"] == 4
