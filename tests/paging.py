"""What the printed 自评表 and 验收评分表 share: a unit cut by a page break is named on every page it reaches;
and reading printed pages back (their lines, where they sit), for the print tests."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from shared.rubric import RUBRIC


def assert_units_named_on_every_page(ws, rule_row: dict[str, int]) -> int:
    """`rule_row`: rule id -> its row. Returns how many units the page breaks cut (so a test can ask for some)."""
    starts = [brk.id + 1 for brk in ws.row_breaks.brk]
    merged = {(r.min_col, r.min_row): r.max_row for r in ws.merged_cells.ranges}
    cut = 0
    for unit in RUBRIC.units:
        rows = [rule_row[rule.id] for item in unit.items for rule in item.rules]
        first, last = min(rows), max(rows)
        edges = [first] + [s for s in starts if first < s <= last] + [last + 1]
        cut += len(edges) > 2
        for top, next_top in zip(edges, edges[1:]):
            for col in (1, 2):  # 序号 and 单元
                assert ws.cell(top, col).value == ws.cell(first, col).value, (unit.id, top, col)
                if next_top - 1 > top:
                    assert merged.get((col, top)) == next_top - 1, (unit.id, top, col)
    return cut


# --- reading printed pages back (pdftotext -bbox-layout, from poppler-utils) --------------------------

CLOSING_PUNCTUATION = "。，、；：？！）」』》〉】〕”’"  # never at the start of a line in Chinese typesetting


@dataclass(frozen=True)
class PrintedLine:
    page: int  # 1-based
    text: str
    top: float  # points from the top of the page
    bottom: float


def printed_lines(pdf: Path) -> list[PrintedLine]:
    """Every line of text on every page, as the PDF lays it out."""
    import subprocess

    import pytest
    from lxml import etree

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    html = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, check=True,
                          timeout=120).stdout
    root = etree.fromstring(html, etree.XMLParser(recover=True, huge_tree=True))
    ns = "{http://www.w3.org/1999/xhtml}"
    lines = []
    for number, page in enumerate(root.iter(f"{ns}page"), start=1):
        for line in page.iter(f"{ns}line"):
            text = "".join(word.text or "" for word in line.iter(f"{ns}word"))
            lines.append(PrintedLine(number, text, float(line.get("yMin")), float(line.get("yMax"))))
    return lines


def lines_starting_with_closing_punctuation(pdf: Path) -> list[str]:
    return [f"page {line.page}: {line.text}" for line in printed_lines(pdf) if line.text[:1] in CLOSING_PUNCTUATION]
