"""The 申报列表: one row per submission, filtered, sorted, paged and drawn as a plain HTML table.

Pure Python over store values (no widgets), so it is fast with thousands of rows and testable alone.
Everything a unit typed (names, file names) is escaped; no row text ever becomes markup or a link.
"""
from __future__ import annotations

import html
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Iterable, Sequence

from shared.numbers import shown
from shared.rubric import CATEGORY_CITY, CATEGORY_COUNTY
from shared.store import AWAITING_REVIEW, NOT_SUBMITTED, STATES, StoredUnit, UnitState, Version

PAGE_SIZE = 50
ALL = "全部"
WITH_ERRORS = "有错误"
WITHOUT_ERRORS = "无错误"
ERROR_CHOICES = (ALL, WITH_ERRORS, WITHOUT_ERRORS)
UNKNOWN_UNIT = "（无法识别单位）"
CATEGORY_SHORT = {CATEGORY_CITY: "市直", CATEGORY_COUNTY: "区县"}

# (key, header); the order of the table's columns.
COLUMNS = (
    ("unit", "单位"),
    ("category", "类别"),
    ("group", "大院 / 区县"),
    ("claimed", "自评分"),
    ("rescored", "重算得分"),
    ("evidenced", "有佐证得分"),
    ("errors", "错误"),
    ("warnings", "警告"),
    ("state", "状态"),
)
COLUMN_LABELS = dict(COLUMNS)
NUMERIC = {"claimed", "rescored", "evidenced", "errors", "warnings"}
STATE_ORDER = {s: i for i, s in enumerate(STATES)}
STATE_CLASS = {"未申报": "none", "待初审": "wait", "退回补正": "back", "待验收": "site", "验收通过": "pass",
               "验收未通过": "fail"}


@dataclass(frozen=True)
class Row:
    version_id: int | None  # None: a unit of the year that has not submitted (未申报)
    unit: str
    category: str  # the full category name, or "" when unknown
    group: str  # 附件4's 大院 heading, or the 区县 for a district unit
    year: int | None
    number: int | None
    file: str
    claimed: Decimal | None
    rescored: Decimal | None
    evidenced: Decimal | None
    errors: int
    warnings: int
    state: str
    search_text: str  # folded name and file name, for search
    revision: int | None = None  # the version's revision as listed: a bulk decision is based on it


@dataclass(frozen=True)
class ListQuery:
    state: str = ALL
    category: str = ALL
    errors: str = ALL
    search: str = ""
    sort: str = "unit"
    descending: bool = False
    page: int = 0
    page_size: int = PAGE_SIZE

    def with_sort(self, key: str) -> "ListQuery":
        """Clicking a header sorts by it; clicking the same header again reverses the order."""
        if key not in COLUMN_LABELS:
            return self
        descending = not self.descending if key == self.sort else key in NUMERIC
        return replace(self, sort=key, descending=descending, page=0)


def fold(text: str) -> str:
    """Text for matching: full/half width, case and spaces folded."""
    return "".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def make_row(version: Version, unit: StoredUnit | None) -> Row:
    name = version.unit_name or version.org_name or UNKNOWN_UNIT
    category = unit.category if unit else (version.org_category or "")
    group = (unit.district or unit.group) if unit else ""
    return Row(
        version_id=version.id, unit=name, category=category, group=group or "", year=version.assess_year,
        number=version.number, file=version.original_name, claimed=version.claimed_total,
        rescored=version.rescored_total, evidenced=version.evidenced_total, errors=version.error_count,
        warnings=version.warning_count, state=version.status,
        search_text=fold(f"{name} {version.org_name or ''} {version.original_name}"), revision=version.revision,
    )


def unsubmitted_row(state: UnitState) -> Row:
    unit = state.unit
    return Row(version_id=None, unit=unit.name, category=unit.category, group=unit.district or unit.group or "",
               year=state.year, number=None, file="", claimed=None, rescored=None, evidenced=None, errors=0,
               warnings=0, state=NOT_SUBMITTED, search_text=fold(unit.name))


def make_rows(versions: Iterable[Version], units: Iterable[StoredUnit], year: int | None,
              states: Iterable[UnitState] = ()) -> list[Row]:
    """Rows of a 创建年度: its current versions, plus current ones whose year could not be read, plus
    the year's units that have not submitted (from `states`, the store's unit_states of the year).

    year None lists every current version."""
    by_id = {u.id: u for u in units}
    rows = [make_row(v, by_id.get(v.unit_id)) for v in versions
            if v.current and (year is None or v.assess_year in (year, None))]
    return rows + [unsubmitted_row(s) for s in states if s.state == NOT_SUBMITTED and s.version_id is None]


def filter_rows(rows: Sequence[Row], query: ListQuery) -> list[Row]:
    needle = fold(query.search)
    return [r for r in rows
            if (query.state == ALL or r.state == query.state)
            and (query.category == ALL or r.category == query.category)
            and (query.errors == ALL or (r.errors > 0) == (query.errors == WITH_ERRORS))
            and (not needle or needle in r.search_text)]


def _sort_key(key: str):
    if key == "state":
        return lambda r: STATE_ORDER.get(r.state, len(STATE_ORDER))
    if key in NUMERIC:
        return lambda r: getattr(r, key)
    return lambda r: getattr(r, key) or ""


def sort_rows(rows: Sequence[Row], key: str, descending: bool = False) -> list[Row]:
    """Sorted by one column, ties by unit name; blanks (no score) always last."""
    if key not in COLUMN_LABELS:
        key = "unit"
    by_name = sorted(rows, key=lambda r: (r.unit, r.version_id))
    present = [r for r in by_name if getattr(r, key) is not None]
    blank = [r for r in by_name if getattr(r, key) is None]
    return sorted(present, key=_sort_key(key), reverse=descending) + blank


def query_rows(rows: Sequence[Row], query: ListQuery) -> tuple[list[Row], int]:
    """(the rows of the query's page, how many rows match in all)."""
    matched = sort_rows(filter_rows(rows, query), query.sort, query.descending)
    start = page_start(query, len(matched))
    return matched[start:start + query.page_size], len(matched)


def page_count(matched: int, page_size: int = PAGE_SIZE) -> int:
    return max(1, -(-matched // page_size))


def page_start(query: ListQuery, matched: int) -> int:
    page = min(max(query.page, 0), page_count(matched, query.page_size) - 1)
    return page * query.page_size


# --- HTML ------------------------------------------------------------------------------------

def text(value: object) -> str:
    """Escaped text for HTML; never markup."""
    return html.escape("" if value is None else str(value), quote=True)


# Excel reads pasted HTML cells that start with = + - @ as formulas unless marked as text.
TEXT_CELL = " style=\"mso-number-format:'\\@'\""


def typed_cell(value: object, css: str = "") -> str:
    """A cell holding text a unit typed: escaped, and marked as text for a paste into Excel."""
    cls = f' class="{css}"' if css else ""
    return f"<td{cls}{TEXT_CELL}>{text(value)}</td>"


def score(value: Decimal | None) -> str:
    return "—" if value is None else shown(value)


def action_js(command: str, scroll_to: str = "") -> str:
    """An onclick that hands `command` (ours, never unit text) to the page's hidden action box,
    optionally scrolling to the element (a CSS class of ours) where the answer will show."""
    scroll = (f"var t=document.querySelector('.{scroll_to}');if(t){{t.scrollIntoView({{block:'start'}});}}"
              if scroll_to else "")
    return ("var b=document.querySelector('.jyjg-action input,.jyjg-action textarea');"
            f"if(b){{b.value='{command}:'+Date.now();b.dispatchEvent(new Event('input',{{bubbles:true}}));}}"
            f"{scroll}return false;")


def action_link(command: str, label_html: str, css: str = "", scroll_to: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f'<a href="#"{cls} onclick="{action_js(command, scroll_to)}">{label_html}</a>'


def state_badge(state: str) -> str:
    return f'<span class="jyjg-state jyjg-state-{STATE_CLASS.get(state, "none")}">{text(state)}</span>'


def pickable(row: Row) -> bool:
    """Rows that can take part in a bulk 初审: submissions waiting for it."""
    return row.version_id is not None and row.state == AWAITING_REVIEW


def render_table(rows: Sequence[Row], query: ListQuery, matched: int, total: int,
                 picked: frozenset[int] | set[int] | None = None, all_rows: Sequence[Row] | None = None,
                 can_pick: frozenset[int] | set[int] | None = None) -> str:
    """The page of rows as an HTML table, with clickable headers and unit names.

    With `can_pick` (the ids the reader may select for a bulk 初审) a first column of boxes is drawn,
    ticked for those in `picked`; `all_rows` (every row of the year) lets the caption count the units
    that have not submitted."""
    picked = picked or set()
    heads = []
    if can_pick is not None:
        heads.append(f'<th class="jyjg-pick-head">{action_link("pickpage:1", "本页全选", "jyjg-pick-page")}</th>')
    for key, label in COLUMNS:
        arrow = (" ▼" if query.descending else " ▲") if key == query.sort else ""
        css = "num" if key in NUMERIC else ""
        heads.append(f'<th class="{css}">{action_link(f"sort:{key}", text(label) + arrow)}</th>')
    body = []
    for r in rows:
        version = f'<span class="jyjg-muted">第 {r.number} 版</span>' if r.number and r.number > 1 else ""
        if r.version_id is None:
            name = f'<span class="jyjg-unsubmitted">{text(r.unit)}</span>'
        else:
            name = action_link(f"open:{r.version_id}", text(r.unit), "jyjg-open-link")
        pick = ""
        if can_pick is not None:
            box = ""
            if r.version_id in can_pick:
                mark = "☑" if r.version_id in picked else "☐"
                box = action_link(f"pick:{r.version_id}", mark, "jyjg-pick jyjg-picked" if r.version_id in picked
                                  else "jyjg-pick")
            pick = f'<td class="jyjg-pick-cell">{box}</td>'
        file = f'<div class="jyjg-file">{text(r.file)}</div>' if r.file else ""
        errors = f'<td class="num jyjg-err">{r.errors}</td>' if r.errors else '<td class="num">0</td>'
        warnings = f'<td class="num jyjg-warn">{r.warnings}</td>' if r.warnings else '<td class="num">0</td>'
        body.append(
            f'<tr data-version="{r.version_id or ""}">{pick}'
            f'<td{TEXT_CELL}>{name} {version}{file}</td>'
            f"<td>{text(CATEGORY_SHORT.get(r.category, r.category or '—'))}</td>"
            f"{typed_cell(r.group or '—')}"
            f'<td class="num">{score(r.claimed)}</td><td class="num">{score(r.rescored)}</td>'
            f'<td class="num">{score(r.evidenced)}</td>{errors}{warnings}'
            f"<td>{state_badge(r.state)}</td></tr>")
    if not body:
        columns = len(COLUMNS) + (can_pick is not None)
        body.append(f'<tr><td colspan="{columns}" class="jyjg-empty">没有符合条件的申报。</td></tr>')
    pages = page_count(matched, query.page_size)
    page = page_start(query, matched) // query.page_size + 1
    unsubmitted = sum(1 for r in all_rows if r.version_id is None) if all_rows is not None else 0
    caption = (f"共 {total - unsubmitted} 份申报" + (f"、{unsubmitted} 家未申报单位" if unsubmitted else "")
               + f"，符合条件 {matched} 条；第 {page} / {pages} 页")
    return (f'<table class="jyjg-table jyjg-list"><caption>{text(caption)}</caption>'
            f'<thead><tr>{"".join(heads)}</tr></thead><tbody>{"".join(body)}</tbody></table>')
