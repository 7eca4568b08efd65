"""The template prints as the forms do: A4 portrait pages, a few of them, every sheet's text on paper.

The PNGs of the pages are kept in the pytest tmp dir (printed at the end with -s) for a human look.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from paging import PrintedLine, lines_starting_with_closing_punctuation, printed_lines
from shared.office import to_pdf
from shared.rubric import RUBRIC
from shared.template import write_named_values, write_template

pytestmark = pytest.mark.engine

A4 = (595.3, 841.9)


def filled_values() -> dict:
    values = {"org_name": "益阳市机关事务管理局", "org_category": "市直党政机关", "org_address": "益阳市赫山区龙洲路市政府大院",
              "contact_name": "张三", "contact_phone": "13800000000", "assess_year": 2020,
              "base_floor_area_m2": 12000, "base_headcount": 150, "base_energy_tce": 320.5, "base_water_t": 15000,
              "floor_area_m2": 12000, "headcount": 152, "energy_tce": 308.2, "water_t": 14500,
              "org_profile": "本局是市人民政府工作部门，负责市直机关事务管理和公共机构节能工作。" * 9,
              "achievements": "成立节约能源资源工作领导小组，制定实施方案，开展节能宣传周和低碳日活动，推行无纸化办公。" * 18}
    for rule in RUBRIC.rules:
        if not rule.computed:
            values[rule.score_name] = float(rule.points) if rule.points % 1 else int(rule.points)
            values[rule.evidence_name] = f"{rule.item_id}/{rule.id} 证明材料.pdf"
    return values


@pytest.fixture(scope="module")
def printed(soffice, tmp_path_factory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("print")
    blank = write_template(work / "blank.xlsx")
    filled = write_named_values(blank, work / "filled.xlsx", filled_values())
    pdfs = to_pdf([blank, filled], work / "pdf")
    return dict(zip(("blank", "filled"), pdfs))


@pytest.mark.parametrize("which", ["blank", "filled"])
def test_pages_are_a4_portrait_and_few(printed, which):
    reader = PdfReader(printed[which])
    assert 2 <= len(reader.pages) <= 9, len(reader.pages)  # 能耗折算 is one page of them
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - A4[0]) <= 2 and abs(height - A4[1]) <= 2, (width, height)


def _text(pdf: Path) -> str:
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(pdf).pages))


@pytest.mark.parametrize("which", ["blank", "filled"])
def test_printed_forms_carry_their_titles_rules_and_stamp_boxes(printed, which):
    text = _text(printed[which])
    for needed in ("益阳市节约型机关创建备案表", "益阳市节约型机关创建自评表", "公共机构节能管理部门（章）",
                   "发展改革部门（章）", "财政部门（章）", "单位：", "序号", "评分规则", "佐证材料",
                   "能耗折算表", "折标准煤", "GB/T2589", "0.1229kgce/kWh", "液化石油气"):
        assert needed in text, needed
    for rule in RUBRIC.rules:  # no rule's text lost to a cut-off row
        assert re.sub(r"\s+", "", rule.text)[-8:] in text, rule.id
    assert "本年度适用目标" not in text  # the hidden 参数 sheet is not printed


def test_filled_form_prints_its_values_and_total(printed):
    text = _text(printed["filled"])
    assert "益阳市机关事务管理局" in text and "13800000000" in text
    assert "自评分达到80分" in text
    assert f"{RUBRIC.rules[-1].item_id}/{RUBRIC.rules[-1].id}证明材料.pdf" in text


def test_pages_render_to_png(printed, tmp_path_factory):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    out = tmp_path_factory.mktemp("png")
    for which, pdf in printed.items():
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(out / which)], check=True, timeout=120)
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == sum(len(PdfReader(p).pages) for p in printed.values())
    print(f"\npage images: {out}")


@pytest.mark.parametrize("which", ["blank", "filled"])
def test_every_printed_page_names_the_unit_of_each_rule_on_it(printed, which):
    pages = [re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(printed[which]).pages]
    for unit in RUBRIC.units:
        for rule in (r for item in unit.items for r in item.rules):
            on = [page for page in pages if re.sub(r"\s+", "", rule.text)[-8:] in page]
            assert on and all(unit.name in page for page in on), (unit.name, rule.id)


@pytest.mark.parametrize("which", ["blank", "filled"])
def test_no_printed_line_starts_with_closing_punctuation(printed, which):
    assert lines_starting_with_closing_punctuation(printed[which]) == []


BODY_TOP, BODY_BOTTOM = 0.75 * 72, A4[1] - 0.75 * 72  # the template's top and bottom margins


def self_assessment_pages(pdf: Path) -> dict[int, list[PrintedLine]]:
    """The 自评表's pages (each repeats the header 评分规则) by number, without their footers."""
    lines = printed_lines(pdf)
    pages = sorted({line.page for line in lines if line.text == "评分规则"})
    return {page: [line for line in lines if line.page == page and "页，共" not in line.text] for page in pages}


@pytest.mark.parametrize("which", ["blank", "filled"])
def test_self_assessment_prints_on_few_full_pages_without_cutting_an_item(printed, which):
    pages = self_assessment_pages(printed[which])
    assert len(pages) <= 3, len(pages)
    fill = [(max(line.bottom for line in page) - BODY_TOP) / (BODY_BOTTOM - BODY_TOP) for page in pages.values()]
    assert min(fill[:-1]) >= 0.75, fill
    reader = PdfReader(printed[which])
    texts = [re.sub(r"\s+", "", reader.pages[number - 1].extract_text()) for number in pages]
    items_on = []
    for item in RUBRIC.items:
        on = {n for n, text in enumerate(texts) for rule in item.rules if re.sub(r"\s+", "", rule.text)[-8:] in text}
        assert len(on) == 1, (item.id, on)  # no item cut by a page break
        items_on.append(on.pop())
    assert items_on.count(len(pages) - 1) >= 2  # the last page is not left with one item and the total
    assert "合计" in texts[-1]
