"""Offered file names: whatever a unit typed as its name, the result is one harmless file name."""
from __future__ import annotations

import pytest

from shared.filenames import MAX_NAME_BYTES, safe_file_name

HOSTILE = [
    "../../../../tmp/x/y",
    "/tmp/x/y",
    "..\\..\\Windows\\System32\\x",
    "C:\\Users\\a\\市委办公室.xlsx",
    "a\x00b\x1fc\x7f.xlsx",
    "市委\u202e办公室.xlsx",  # right-to-left override: a name that reads backwards
    "CON.xlsx",
    "com1",
    "lpt9.tar.gz",
    ".hidden",
    "...",
    "",
    "   ",
    "名" * 500 + ".xlsx",
    'a<b>c:d"e|f?g*h.docx',
    "line\nbreak\r.pdf",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_becomes_one_plain_file_name(name):
    safe = safe_file_name(name)
    assert safe and "/" not in safe and "\\" not in safe
    assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in safe)
    assert "\u202e" not in safe
    assert not safe.startswith(".") and not safe.endswith((".", " "))
    assert safe not in (".", "..")
    assert safe.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT9"}
    assert len(safe.encode("utf-8")) <= MAX_NAME_BYTES


def test_ordinary_names_are_kept_as_they_are():
    assert safe_file_name("市委办公室_2020年度验收评分表.xlsx") == "市委办公室_2020年度验收评分表.xlsx"
    assert safe_file_name("2020年度节约型机关创建情况通报（草稿）.docx") == "2020年度节约型机关创建情况通报（草稿）.docx"


def test_a_long_name_keeps_its_extension():
    safe = safe_file_name("名" * 500 + ".xlsx")
    assert safe.endswith(".xlsx") and safe.startswith("名名")


def test_reserved_and_empty_names_get_a_usable_name():
    assert safe_file_name("CON.xlsx") == "_CON.xlsx"
    assert safe_file_name("", fallback="验收评分表.xlsx") == "验收评分表.xlsx"
    assert safe_file_name("../..") == "文件"
