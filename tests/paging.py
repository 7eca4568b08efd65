"""What the printed 自评表 and 验收评分表 share: a unit cut by a page break is named on every page it reaches."""
from __future__ import annotations

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
