"""The `jyjg` command: exit codes, JSON, and the store commands end to end on SQLite."""
import json

import openpyxl
import pytest

from shared.cli import main
from shared.template import write_named_values, write_template


@pytest.fixture()
def inbox(tmp_path):
    folder = tmp_path / "收件箱"
    folder.mkdir()
    template = write_template(tmp_path / "t.xlsx")
    write_named_values(template, folder / "市商务局.xlsx", {
        "org_name": "市商务局", "org_category": "市直党政机关", "assess_year": 2020, "score_2_2_5": 6})
    (folder / "坏文件.xlsx").write_bytes(b"PK\x03\x04 truncated")
    (folder / "说明.docx").write_bytes(b"")
    return folder


def test_check_exits_0_and_writes_the_contract_json(inbox, tmp_path):
    out = tmp_path / "r.json"
    assert main(["check", str(inbox), "--json", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    by_source = {s["source"]: s for s in doc["submissions"]}
    good = by_source["市商务局.xlsx"]
    assert good["rules"]["2.2.5"] == {"claimed": 6, "score": 4}
    assert good["claimed_total"] is None  # openpyxl saved no formula results
    assert {f["code"] for f in good["findings"]} >= {"cap_exceeded", "total_mismatch"}
    bad = by_source["坏文件.xlsx"]
    assert [f["code"] for f in bad["findings"]] == ["unreadable"] and bad["rescored_total"] is None
    assert "坏文件.xlsx" in bad["findings"][0]["message"]


@pytest.mark.parametrize("argv, said", [
    (["check"], "缺少参数 路径"),
    (["check", "/no/such/path"], "找不到"),
    (["frobnicate"], "'frobnicate' 不是可用的选项"),
    (["check", "x", "--year", "abc"], "--year 应为整数"),
    (["check", "x", "--bogus"], "无法识别的参数 --bogus"),
])
def test_wrong_arguments_exit_2_with_a_chinese_reason(argv, said, capsys):
    with pytest.raises(SystemExit) as stop:
        code = main(argv)
        raise SystemExit(code)
    assert stop.value.code == 2
    assert said in capsys.readouterr().err


def test_load_twice_is_one_version_then_export(inbox, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert main(["load", str(inbox), "--db", db]) == 0
    assert "新记入 2 份" in capsys.readouterr().out
    assert main(["load", str(inbox), "--db", db]) == 0
    assert "新记入 0 份" in capsys.readouterr().out
    out = tmp_path / "汇总.xlsx"
    assert main(["export", "--year", "2020", "--out", str(out), "--db", db]) == 0
    book = openpyxl.load_workbook(out)
    listed = [c.value for row in book["名单"].iter_rows() for c in row if isinstance(c.value, str)]
    assert "市商务局" in listed and "市委办公室" in listed
    assert (tmp_path / "2020年度节约型机关创建情况通报（草稿）.docx").exists()


def test_template_command_writes_the_committed_template(tmp_path):
    out = tmp_path / "x.xlsx"
    assert main(["template", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    assert "total_score" in book.defined_names
