"""Reading a district's (区县) list of creation units for `jyjg roster import`: an .xlsx or .csv with the
columns 单位名称 and 创建年度 and optionally 分组, giving rows for Store.import_units.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from .store import StoreError

NAME, YEAR, GROUP = "单位名称", "创建年度", "分组"
HEADER_SEARCH_ROWS = 10  # a title or a note may sit above the header row
_YEAR = re.compile(r"^\s*(\d{4})(?:\.0+)?\s*年?\s*$")


def read_unit_rows(path: str | Path) -> list[dict[str, Any]]:
    """[{"name", "year", "group"}] from the file's rows, blank rows skipped; a StoreError (Chinese) when the
    file cannot be read, lacks the columns, or a row's year is not a four-digit year."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"找不到创建名单文件“{path}”。")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = _csv_rows(path)
    elif suffix in (".xlsx", ".xlsm"):
        table = _xlsx_rows(path)
    else:
        raise StoreError(f"创建名单“{path.name}”应为 .xlsx 或 .csv 文件。")
    return _units(table, path.name)


def _csv_rows(path: Path) -> list[list[Any]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # Excel for Chinese Windows saves CSV as GBK
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise StoreError(f"创建名单“{path.name}”的编码无法识别，请另存为 UTF-8 或 .xlsx。")
    return [row for row in csv.reader(io.StringIO(text))]


def _xlsx_rows(path: Path) -> list[list[Any]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to open is the same answer to the user
        raise StoreError(f"创建名单“{path.name}”无法打开（{type(exc).__name__}），请确认是 Excel 工作簿。") from None
    try:
        ws = wb.worksheets[0]
        return [list(row) for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _units(table: list[list[Any]], file_name: str) -> list[dict[str, Any]]:
    header_at, columns = None, {}
    for index, row in enumerate(table[:HEADER_SEARCH_ROWS]):
        labels = [re.sub(r"\s+", "", _text(v)) for v in row]
        if NAME in labels and YEAR in labels:
            header_at = index
            columns = {key: labels.index(key) for key in (NAME, YEAR, GROUP) if key in labels}
            break
    if header_at is None:
        raise StoreError(f"创建名单“{file_name}”的前 {HEADER_SEARCH_ROWS} 行中没有找到“{NAME}”和“{YEAR}”两列的表头。")
    units = []
    for number, row in enumerate(table[header_at + 1:], start=header_at + 2):
        cell = lambda key: _text(row[columns[key]]) if key in columns and columns[key] < len(row) else ""  # noqa: E731
        name, year = cell(NAME), cell(YEAR)
        if not name and not year:
            continue
        if not name:
            raise StoreError(f"创建名单“{file_name}”第 {number} 行没有单位名称。")
        match = _YEAR.match(year)
        if match is None:
            raise StoreError(f"创建名单“{file_name}”第 {number} 行“{name}”的创建年度“{year}”不是四位数年份。")
        units.append({"name": name, "year": int(match.group(1)), "group": cell(GROUP)})
    return units
