"""Issue 15's done-when with LibreOffice in the loop: the made-up edition's workbooks, filled on its template
and calculated by LibreOffice (not stamped by our own code), go through the checker, the store and the
export, and come out as tests/test_made_up_edition.py shows for the stamped ones. One soffice run."""
from __future__ import annotations

import re

import openpyxl
import pytest
from pypdf import PdfReader

from made_up_year import (ALL_MET, CASES, EDITION, GATE_FOUND_NOT_MET, MADE_UP_CITY, SKIPPED, STAR_ZERO, YEAR, run_year,
                          write_workbooks)
from shared.batch import check_paths
from shared.export import build_annual_export
from shared.office import recalculate, to_pdf
from shared.report import build_acceptance_report
from shared.store import Store
from shared.template import named_cell

pytestmark = pytest.mark.engine


def sheet_values(wb) -> dict[str, list[tuple]]:
    """Every sheet's values, less the export time (the only thing meant to differ between two exports)."""
    return {ws.title: [tuple(v for v in row if not (isinstance(v, str) and "导出时间" in v))
                       for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


@pytest.fixture(scope="module")
def calculated(soffice, tmp_path_factory):
    base = tmp_path_factory.mktemp("made_up_engine")
    paths = recalculate(write_workbooks(base / "raw", stamp=False), base / "calculated")
    return base, paths


def test_libreoffice_saves_what_the_core_re_scores(calculated):
    _, paths = calculated
    results = {r.org_name: r for r in check_paths(paths, city=MADE_UP_CITY)}
    assert set(results) == set(CASES)
    for org, result in results.items():
        codes = {f.code for f in result.findings}
        assert not codes & {"total_mismatch", "energy_mismatch", "unreadable", "not_a_template"}, (org, codes)
        assert result.edition == EDITION.name
    assert (results[ALL_MET].claimed_total, results[SKIPPED].claimed_total, results[STAR_ZERO].claimed_total) == (105, 70, 85)
    grades = {}
    for path in paths:
        wb = openpyxl.load_workbook(path, data_only=True)
        org = named_cell(wb, "org_name").value
        assert bool(named_cell(wb, "qualifies").value) == results[org].qualifies, org
        grades[org] = named_cell(wb, "grade").value or None
    assert grades == {ALL_MET: "甲等", SKIPPED: "乙等", STAR_ZERO: None, GATE_FOUND_NOT_MET: "甲等"}


def test_the_store_and_export_from_libreoffice_workbooks_equal_the_stamped_ones(calculated):
    base, paths = calculated
    exports, printed = [], []
    for name, inbox in (("calculated", paths), ("stamped", write_workbooks(base / "stamped"))):
        with Store(f"sqlite:///{base / name}.db", data_dir=base / f"{name}-data", city=MADE_UP_CITY) as store:
            said = run_year(store, inbox)
            assert "★ 项 2.3.1 得 0 分" in said["review_refused"]
            export = build_annual_export(store, YEAR)
            exports.append(sheet_values(export))
            if name == "calculated":  # printed below, as the city would hand them out
                export.save(base / "汇总.xlsx")
                for org in (SKIPPED, GATE_FOUND_NOT_MET):
                    build_acceptance_report(store, org, YEAR).save(base / f"验收评分表-{org}.xlsx")
                    printed.append(base / f"验收评分表-{org}.xlsx")
    assert exports[0] == exports[1]
    assert any("甲等" in row for row in exports[0]["名单"])

    # On A4, with what the edition adds legible on paper (the PNGs of these pages are in the tmp dir).
    pdfs = to_pdf([base / "汇总.xlsx", *printed], base / "pdf")
    texts = [re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(pdf).pages)) for pdf in pdfs]
    assert all(abs(float(p.mediabox.width) - 595.3) <= 2 or abs(float(p.mediabox.height) - 595.3) <= 2
               for pdf in pdfs for p in PdfReader(pdf).pages)
    assert "不符合通过条件：★项2.3.1得0分" in texts[0] and "甲等" in texts[0]
    assert "不适用" in texts[1] and "核定结果符合通过条件（按适用项目折算87.5分，等级：乙等）" in texts[1] and "0.75倍" in texts[1]
    assert "核定结果不符合通过条件：必须完成项1.1.2未达到" in texts[2]
