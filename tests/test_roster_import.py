"""A district's creation list from .xlsx or .csv (UTF-8 or GBK) into rows for Store.import_units."""
from __future__ import annotations

import openpyxl
import pytest

from shared.roster_import import read_unit_rows
from shared.store import Store, StoreError

ROWS = [{"name": "赫山区机关事务服务中心", "year": 2020, "group": "区委区政府大院"},
        {"name": "赫山区财政局", "year": 2021, "group": ""}]


def write_xlsx(path, rows, title: str | None = "赫山区节约型机关创建名单"):
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append([title])
        ws.append([])
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_xlsx_with_a_title_above_the_header(tmp_path):
    path = write_xlsx(tmp_path / "名单.xlsx", [["序号", "单位名称", "创建年度", "分组"],
                                               [1, "赫山区机关事务服务中心", 2020, "区委区政府大院"],
                                               [None, None, None, None],
                                               [2, " 赫山区财政局 ", "2021年", None]])
    assert read_unit_rows(path) == ROWS


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_csv_in_utf8_or_gbk_without_group_column(tmp_path, encoding):
    path = tmp_path / "名单.csv"
    path.write_bytes("单位名称,创建年度\n赫山区机关事务服务中心,2020\n赫山区财政局,2021.0\n".encode(encoding))
    assert read_unit_rows(path) == [dict(r, group="") for r in ROWS]


def test_rows_feed_import_units(tmp_path):
    path = write_xlsx(tmp_path / "名单.xlsx", [["单位名称", "创建年度", "分组"],
                                               ["赫山区机关事务服务中心", 2020, "区委区政府大院"]], title=None)
    with Store(f"sqlite:///{tmp_path / 'j.db'}", data_dir=tmp_path / "d") as store:
        assert store.import_units(read_unit_rows(path), "赫山区") == 1
        unit = store.unit("赫山区机关事务服务中心")
        assert (unit.district, unit.creation_year, unit.group) == ("赫山区", 2020, "区委区政府大院")


@pytest.mark.parametrize("content, message", [
    ("名称,年度\n某局,2020\n", "没有找到“单位名称”和“创建年度”"),
    ("单位名称,创建年度\n某局,明年\n", "第 2 行“某局”的创建年度“明年”不是四位数年份"),
    ("单位名称,创建年度\n,2020\n", "第 2 行没有单位名称"),
])
def test_bad_lists_are_refused_in_chinese(tmp_path, content, message):
    path = tmp_path / "名单.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(StoreError, match=message):
        read_unit_rows(path)


def test_wrong_kind_or_broken_file(tmp_path):
    text = tmp_path / "a.txt"
    text.write_text("单位名称,创建年度\n某局,2020\n", encoding="utf-8")
    with pytest.raises(StoreError, match="应为 .xlsx 或 .csv"):
        read_unit_rows(text)
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(StoreError, match="无法打开"):
        read_unit_rows(broken)
    with pytest.raises(StoreError, match="找不到"):
        read_unit_rows(tmp_path / "没有.csv")
