"""xlwings' remote engine without Excel: a saved .xlsx as the JSON payload Excel sends, and the actions sent back
applied to a copy of the file with openpyxl.

Tests and demos use it to run the add-in's actions: `xw.Book(json=book_payload(path))`, then
`apply_actions(path, book.json()["actions"], out)`.
The shape follows xlwings-server's custom-scripts client (static/js/custom-scripts/index.js and
named-items.js): per sheet the cached values from A1 to the last used cell, empty cells as "", dates as
ISO text; every defined name with its formula, sheet position and unqualified address.
Formulas are not sent (Excel sends values only), so the book should be recalculated before it is read.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import xlwings as xw

CLIENT = "Office.js"


def _cell_json(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat() + ".000Z"
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return value


def _sheet_values(ws) -> list[list[Any]]:
    """Cached values from A1 to the last cell holding a value (a 1×1 [[""]] for an empty sheet)."""
    last_row = last_col = 1
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None:
                last_row, last_col = max(last_row, cell.row), max(last_col, cell.column)
    return [[_cell_json(ws.cell(r, c).value) for c in range(1, last_col + 1)] for r in range(1, last_row + 1)]


def _name_entries(wb: openpyxl.Workbook) -> list[dict[str, Any]]:
    positions = {ws.title: i for i, ws in enumerate(wb.worksheets)}
    entries = []
    for name, defined in wb.defined_names.items():
        destinations = list(defined.destinations) if defined.type == "RANGE" else []
        single = len(destinations) == 1
        sheet, ref = destinations[0] if single else (None, None)
        entries.append({
            "name": name,
            "refers_to": "=" + str(defined.attr_text),
            "type": "Range" if single else "Error",
            "sheet_index": positions.get(sheet) if single else None,
            "address": ref,  # '$E$15', as Office.js gives it
            "scope_sheet_name": None,
            "scope_sheet_index": None,
            "book_scope": True,
        })
    return entries


def book_payload(path: str | Path, name: str | None = None, selection: str = "A1",
                 active_sheet: str | None = None) -> dict[str, Any]:
    """The payload Excel would send for the saved workbook at `path` (its cached values)."""
    path = Path(path)
    wb = openpyxl.load_workbook(path, data_only=True)
    sheets = wb.worksheets
    active = [ws.title for ws in sheets].index(active_sheet) if active_sheet else 0
    payload = {
        "client": CLIENT,
        "version": xw.__version__,
        "book": {"name": name or path.name, "active_sheet_index": active, "selection": selection,
                 "calculation": "Automatic"},
        "sheets": [],
        "names": _name_entries(wb),
    }
    for ws in sheets:
        values = _sheet_values(ws)
        payload["sheets"].append({
            "name": ws.title,
            "visibility": "Visible" if ws.sheet_state == "visible" else "Hidden",
            "show_gridlines": True,
            "print_area": None,
            "notes": [],
            "notes_supported": True,
            "used_range_address": f"A1:{openpyxl.utils.get_column_letter(len(values[0]))}{len(values)}",
            "used_range_row_count": len(values),
            "used_range_column_count": len(values[0]),
            "values": values,
            "pictures": [],
            "shapes": [],
            "charts": [],
            "tables": [],
            "pivot_tables": [],
        })
    return payload



# --- the actions sent back, applied with openpyxl ------------------------------------------------------

class UnsupportedAction(ValueError):
    pass


def apply_actions(src: str | Path, actions: list[dict[str, Any]], dst: str | Path) -> list[str]:
    """Apply the remote engine's actions (book.json()["actions"]) to a copy of `src` saved as `dst`.

    Covers what the add-in sends: sheets added/cleared/activated, values, fills, bold, column widths,
    wrapping; `save` is a no-op here. Returns the alert texts, in order. Any other action raises."""
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = openpyxl.load_workbook(src)
    alerts: list[str] = []

    def cells(action):
        ws = wb.worksheets[action["sheet_position"]]
        r0, c0 = action["start_row"] + 1, action["start_column"] + 1
        for r in range(r0, r0 + action["row_count"]):
            for c in range(c0, c0 + action["column_count"]):
                yield ws, ws.cell(r, c)

    for action in actions:
        func, args = action["func"], action["args"]
        if func == "addSheet":
            wb.create_sheet(args[1], args[0])
        elif func == "sheetClear":
            ws = wb.worksheets[action["sheet_position"]]
            title, index = ws.title, wb.worksheets.index(ws)
            wb.remove(ws)
            wb.create_sheet(title, index)
        elif func == "activateSheet":
            wb.active = args[0]
        elif func == "setValues":
            ws = wb.worksheets[action["sheet_position"]]
            for i, row in enumerate(action["values"]):
                for j, value in enumerate(row):
                    cell = ws.cell(action["start_row"] + 1 + i, action["start_column"] + 1 + j)
                    if isinstance(value, str) and value.startswith("="):
                        raise UnsupportedAction(f"formula written: {value}")
                    cell.value = None if value == "" else value
        elif func == "setRangeColor":
            for _, cell in cells(action):
                cell.fill = PatternFill() if args[0] is None else PatternFill("solid", fgColor=args[0].lstrip("#").upper())
        elif func == "setFontProperty" and args[0] == "bold":
            for _, cell in cells(action):
                cell.font = Font(bold=bool(args[1]))
        elif func == "setColumnWidth":
            for ws, cell in cells(action):
                ws.column_dimensions[cell.column_letter].width = args[0]
        elif func == "setWrapText":
            for _, cell in cells(action):
                cell.alignment = Alignment(wrap_text=bool(args[0]), vertical="top")
        elif func == "alert":
            alerts.append(args[0])
        elif func == "save":
            pass
        else:
            raise UnsupportedAction(func)
    wb.save(dst)
    return alerts
