"""The annual export and the 验收评分表 print on A4 through LibreOffice: right orientation, nothing lost.

The PNGs of the pages are kept in the pytest tmp dir (printed at the end with -s) for a human look.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from paging import lines_starting_with_closing_punctuation
from shared.export import write_annual_export
from shared.office import to_pdf
from shared.report import write_acceptance_report
from shared.rubric import ROSTER, RUBRIC
from shared.sampling import draw_sample
from year_fixtures import FAILED_2020, HYPERLINK, RECTIFICATION, build_scenario

pytestmark = pytest.mark.engine

A4 = (595.3, 841.9)


def is_a4(page, landscape: bool | None = None) -> bool:
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    sizes = {False: A4, True: A4[::-1]}
    wanted = sizes.values() if landscape is None else [sizes[landscape]]
    return any(abs(width - w) <= 2 and abs(height - h) <= 2 for w, h in wanted)


def text_of(pdf: Path) -> str:
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(pdf).pages))


@pytest.fixture(scope="module")
def printed(soffice, tmp_path_factory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("print")
    year = build_scenario(work / "store")
    try:
        draw_sample(year.store, 2020)
        export = write_annual_export(year.store, 2020, work / "export.xlsx")
        report = write_acceptance_report(year.store, FAILED_2020, 2020, work / "验收评分表.pdf")
    finally:
        year.close()
    export_pdf, = to_pdf([export], work / "pdf")
    return {"export": export_pdf, "report": report}


def test_export_prints_on_a4_with_each_sheet_oriented(printed):
    pages = PdfReader(printed["export"]).pages
    assert 4 <= len(pages) <= 16, len(pages)
    assert all(is_a4(p) for p in pages)
    assert is_a4(pages[0], landscape=True)  # 名单
    assert sum(is_a4(p, landscape=False) for p in pages) == 2  # 进度 and 抽查, one page each


def test_export_prints_every_roster_unit_and_the_typed_formula_as_text(printed):
    text = text_of(printed["export"])
    for unit in ROSTER:
        assert re.sub(r"\s+", "", unit.name) in text, unit.name
    assert re.sub(r"\s+", "", HYPERLINK) in text  # printed as typed, not evaluated to "y"
    for needed in ("益阳市2020年度节约型机关创建名单及评审情况", "益阳市2020年度节约型机关创建进度",
                   "益阳市2020年度节约型机关创建申报评分", "益阳市2020年度区县（市）节约型机关创建抽查", "第1页"):
        assert needed in text, needed


def test_report_pdf_is_a4_portrait_and_loses_no_rule(printed):
    pages = PdfReader(printed["report"]).pages
    assert 2 <= len(pages) <= 5 and all(is_a4(p, landscape=False) for p in pages)
    text = text_of(printed["report"])
    for rule in RUBRIC.rules:  # no rule's text lost to a cut-off row or a page break
        assert re.sub(r"\s+", "", rule.text)[-8:] in text, rule.id
    for needed in ("益阳市节约型机关创建验收评分表", "评价小组组长（签字）", "评价小组成员（签字）", "能耗数据核定",
                   re.sub(r"\s+", "", RECTIFICATION)):
        assert needed in text, needed


def test_pages_render_to_png(printed, tmp_path_factory):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    out = tmp_path_factory.mktemp("png")
    for which, pdf in printed.items():
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(out / which)], check=True, timeout=120)
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == sum(len(PdfReader(p).pages) for p in printed.values())
    print(f"\npage images: {out}")


@pytest.mark.parametrize("which", ["export", "report"])
def test_no_printed_line_starts_with_closing_punctuation(printed, which):
    assert lines_starting_with_closing_punctuation(printed[which]) == []
