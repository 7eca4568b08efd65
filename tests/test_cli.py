"""The `jyjg` command: exit codes, JSON, and the store commands end to end on SQLite."""
import json
import re

import openpyxl
import pytest

from shared.cli import build_parser, main
from shared.output import SUMMARY_HEADERS, TABLE_HEADERS
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


# --- hostile input and failing infrastructure (issue 18) ----------------------------------------

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402

JYJG = [sys.executable, "-m", "shared.cli"]
REPO = Path(__file__).resolve().parents[1]


def strict_json(path):
    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")
    return json.loads(Path(path).read_text(encoding="utf-8"), parse_constant=refuse)


def with_raw_values(src, dst, raw: dict[str, str]):
    """A copy of a workbook whose number cells holding a marker value hold `raw` text instead, as any
    writer may put it in <v> (NaN, 1e309, 1e-320)."""
    replaced = set()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/"):
                for marker, text in raw.items():
                    if f"<v>{marker}</v>".encode() in data:
                        replaced.add(marker)
                        data = data.replace(f"<v>{marker}</v>".encode(), f"<v>{text}</v>".encode())
            zout.writestr(info, data)
    assert replaced == set(raw)
    return dst


@pytest.fixture(scope="module")
def extreme_book(tmp_path_factory):
    folder = tmp_path_factory.mktemp("extreme")
    template = write_template(folder / "t.xlsx")
    filled = write_named_values(template, folder / "filled.xlsx", {
        "org_name": "市商务局", "org_category": "市直党政机关", "assess_year": 2020,
        "score_2_2_5": 3.125, "score_2_1_1": 1.375, "score_3_1_1": 1.625,
        "floor_area_m2": 10000, "headcount": 100, "energy_tce": 97, "water_t": 9700,
        "base_floor_area_m2": 10000, "base_headcount": 77.125, "base_energy_tce": 100, "base_water_t": 10000})
    return with_raw_values(filled, folder / "极端.xlsx",
                           {"3.125": "NaN", "1.375": "1e309", "1.625": "-Infinity", "77.125": "1e-320"})


def test_check_json_is_strict_and_extreme_figures_still_score(extreme_book, tmp_path):
    out = tmp_path / "r.json"
    assert main(["check", str(extreme_book), "--json", str(out)]) == 0
    (record,) = strict_json(out)["submissions"]
    assert record["rescored_total"] is not None  # not unreadable: a score and findings
    assert record["rules"]["2.2.5"] == {"claimed": "NaN", "score": 0}
    assert record["rules"]["2.1.1"] == {"claimed": "1e309", "score": 0}
    assert record["rules"]["3.1.1"] == {"claimed": "-Infinity", "score": 0}
    invalid = {f["rule"] for f in record["findings"] if f["code"] == "invalid_value"}
    assert {"2.2.5", "2.1.1", "3.1.1"} <= invalid
    magnitude = [f["message"] for f in record["findings"] if f["code"] == "energy_data_invalid"]
    assert any("上年度" in m and "数量级" in m for m in magnitude)


@pytest.fixture()
def gbk_inbox(tmp_path, inbox):
    """An inbox whose file names are GBK bytes (copied from a Chinese Windows USB stick) or not text at all."""
    folder = tmp_path / "乱码收件箱"
    folder.mkdir()
    good = (inbox / "市商务局.xlsx").read_bytes()
    for raw, data in (("市发改委.xlsx".encode("gbk"), good), (b"\xff\xfe\x80.xlsx", b"PK\x03\x04 broken")):
        with open(os.path.join(os.fsencode(folder), raw), "wb") as out:
            out.write(data)
    return folder


def test_file_names_that_are_not_utf8_are_read_shown_and_stored(gbk_inbox, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["check", str(gbk_inbox), "--json", str(out)]) == 0
    sources = [s["source"] for s in strict_json(out)["submissions"]]
    assert "市发改委.xlsx" in sources and "\ufffd\ufffd\ufffd.xlsx" in sources
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert main(["load", str(gbk_inbox), "--db", db]) == 0
    assert "新记入 2 份" in capsys.readouterr().out
    from shared.store import Store
    with Store(db, data_dir=tmp_path / "jyjg-data") as store:
        assert {v.original_name for v in store.versions()} >= {"市发改委.xlsx"}


@pytest.mark.parametrize("year", ["0", "-1", "99999", "1899"])
def test_a_year_out_of_range_is_refused_with_the_range(year, capsys, inbox):
    with pytest.raises(SystemExit) as stop:
        main(["check", str(inbox), "--year", year])
    assert stop.value.code == 2
    assert f"--year 应为 1900–2200 之间的年份，不能是 {year}" in capsys.readouterr().err


def _as_nobody(argv, cwd, env):
    import contextlib
    import io
    import logging

    logging.disable(logging.CRITICAL)  # the handlers this child inherits write to pytest's closed captures

    if os.geteuid() == 0:  # root reads and writes any folder whatever its mode
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    os.chdir(cwd)
    os.environ.update(env)
    out, err = io.StringIO(), io.StringIO()
    from shared import cli
    cli.console.file, cli.err_console.file = out, err
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as stop:
            code = stop.code
        except BaseException:
            import traceback
            traceback.print_exc(file=err)
            code = "Traceback"
    return code, out.getvalue(), err.getvalue().replace("\n", "")


def as_nobody(argv, cwd, env=None, warm_up=()):
    """(exit code, stdout, stderr without line breaks) of `jyjg argv` run as an unprivileged user, in a
    forked child of this process: that user could not start this Python anew (it lives in root's home),
    so `warm_up` (a command that works) is run here first, importing what the child will need."""
    from bounded import within

    import shared.failures  # noqa: F401
    for command in warm_up:
        assert main(command) == 0
    return within(300, _as_nobody, argv, cwd, env or {})


@pytest.fixture()
def open_folder():
    """A temporary folder an unprivileged user can reach (pytest's own are root's alone)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="jyjg-test-"))
    os.chmod(folder, 0o777)
    yield folder
    for path in folder.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            os.chmod(path, 0o755)
    shutil.rmtree(folder)


def test_an_unreadable_inbox_is_said_not_counted_as_empty(open_folder, inbox):
    locked = open_folder / "锁住的收件箱"
    locked.mkdir()
    (locked / "a.xlsx").write_bytes((inbox / "市商务局.xlsx").read_bytes())
    os.chmod(locked, 0o000)
    code, out, err = as_nobody(["check", str(locked)], open_folder, warm_up=[["check", str(inbox)]])
    assert code == 2 and "Traceback" not in err
    assert "无法读取文件夹" in err and "没有读取权限" in err and "共 0 份" not in out


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("db, said, code", [
    ("这不是地址", "无法识别", 2),
    ("frobdb://x/y", "数据库类型不受支持", 2),
    ("mysql://u@127.0.0.1/jyjg", "缺少连接", 2),
    ("postgresql+psycopg2://postgres@127.0.0.1:{port}/jyjg", "无法连接", 1),
    ("sqlite:///{tmp}/没有这个文件夹/r.db", "无法打开", 2),
])
def test_a_database_that_cannot_be_used_is_a_chinese_message(db, said, code, inbox, tmp_path, capsys):
    db = db.format(port=free_port(), tmp=tmp_path)
    assert main(["load", str(inbox), "--db", db]) == code
    err = capsys.readouterr().err.replace("\n", "")
    assert said in err and "Traceback" not in err
    assert not (tmp_path / "jyjg-data" / "originals").exists()


def test_json_to_a_folder_or_a_full_disk_is_a_chinese_message(inbox, tmp_path, capsys):
    folder = tmp_path / "结果"
    folder.mkdir()
    assert main(["check", str(inbox), "--json", str(folder)]) == 2
    assert "是一个文件夹" in capsys.readouterr().err.replace("\n", "")
    assert main(["check", str(inbox), "--json", "/dev/full"]) == 1
    assert "磁盘空间已满" in capsys.readouterr().err.replace("\n", "")


def test_a_read_only_data_folder_is_a_chinese_message_and_the_store_is_unchanged(open_folder, inbox):
    import shutil
    inbox = Path(shutil.copytree(inbox, open_folder / "收件箱"))
    data = open_folder / "data"
    data.mkdir()
    os.chmod(data, 0o555)
    db = f"sqlite:///{open_folder / 'r.db'}"
    warm_up = ["load", str(inbox), "--db", f"sqlite:///{open_folder / 'warm.db'}"]
    code, out, err = as_nobody(["load", str(inbox), "--db", db], open_folder, {"JYJG_DATA": str(data)}, [warm_up])
    assert code == 2 and "Traceback" not in err, err
    assert "没有写入" in err and "JYJG_DATA" in err
    from shared.store import Store
    with Store(db, data_dir=data) as store:
        assert store.versions() == []


def test_a_file_size_limit_is_a_chinese_message_and_the_store_is_unchanged(inbox, tmp_path):
    import resource

    db = f"sqlite:///{tmp_path / 'r.db'}"
    from shared.store import Store
    Store(db, data_dir=tmp_path / "data").close()  # the schema first, within any limit
    big = inbox / "大文件.xlsx"
    big.write_bytes(os.urandom(3 << 20))
    limit = 2 << 20

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(JYJG + ["load", str(inbox), "--db", db], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, preexec_fn=small_files, env={**os.environ, "PYTHONPATH": str(REPO),
                                                                    "JYJG_DATA": str(tmp_path / "data")})
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "文件大小上限" in done.stderr
    with Store(db, data_dir=tmp_path / "data") as store:
        assert len(store.versions()) <= 1  # 坏文件 may precede 大文件; nothing half-recorded
        assert not list((tmp_path / "data" / "incoming").glob("copy-*"))


# --- province scale (issue 19) --------------------------------------------------------------------

def test_the_json_is_written_as_results_arrive_and_put_in_place_when_complete(tmp_path):
    from shared.output import JsonDocument

    out = tmp_path / "r.json"
    document = JsonDocument(out)
    document.add('{"source": "a.xlsx"}')
    document._stream.flush()
    (written,) = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert written.read_text(encoding="utf-8").endswith('{"source": "a.xlsx"}') and not out.exists()
    document.add('{"source": "b.xlsx"}')
    document.close()
    assert strict_json(out) == {"submissions": [{"source": "a.xlsx"}, {"source": "b.xlsx"}]}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_a_big_run_prints_totals_and_the_worst_and_the_full_table_goes_to_a_file(inbox, tmp_path, capsys,
                                                                                monkeypatch):
    import csv

    from shared import output

    for i in range(4):
        (inbox / f"坏{i}.xlsx").write_bytes(b"not a workbook")
    monkeypatch.setattr(output, "ALL_ROWS_UP_TO", 3)
    monkeypatch.setattr(output, "WORST_SHOWN", 2)
    assert main(["check", str(inbox)]) == 0
    out = capsys.readouterr().out
    assert "共 6 份申报；下表为问题最多的 2 份" in out and "--table" in out and "无错误：0 份" in out
    table = tmp_path / "表.csv"
    assert main(["check", str(inbox), "--table", str(table), "--json", str(tmp_path / "r.json")]) == 0
    rows = list(csv.reader(table.open(encoding="utf-8-sig")))
    assert rows[0][:3] == ["单位（或文件）", "文件", "自评分"] and len(rows) == 7
    assert [r[1] for r in rows[1:]] == [s["source"] for s in strict_json(tmp_path / "r.json")["submissions"]]


def test_editions_lists_name_years_and_title_one_per_line(capsys):
    """CONTRACT: `jyjg editions` prints NAME<TAB>years it applies to<TAB>title, one per line."""
    assert main(["editions"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["yiyang-2020\t2020-\t益阳市节约型机关评价指标",  # years' editions first, then the examples
                     "central-2024-example\t—\t节约型机关评价标准（两段式示例）",
                     "model-unit-example\t—\t节约型公共机构示范单位评价标准（示例）"]


def test_template_writes_the_default_or_the_named_edition_and_refuses_an_unknown_one(tmp_path, capsys):
    from shared.names import EDITION
    from shared.template import named_cell

    assert main(["template", str(tmp_path / "a.xlsx")]) == 0
    assert main(["template", str(tmp_path / "b.xlsx"), "--edition", "yiyang-2020"]) == 0
    for name in ("a.xlsx", "b.xlsx"):
        assert named_cell(openpyxl.load_workbook(tmp_path / name), EDITION).value == "yiyang-2020"
    assert main(["template", str(tmp_path / "c.xlsx"), "--edition", "2099"]) == 2
    assert "没有名为“2099”的评价指标版本" in capsys.readouterr().err and not (tmp_path / "c.xlsx").exists()



def test_check_flags_every_submission_of_a_unit_sent_twice_the_first_too(inbox, tmp_path):
    """The JSON and the table (whose rows the summary shows) say it, for the first submission as for the later ones, as
    checking the same files in one process does; the JSON holds each submission once, in order."""
    import csv

    from shared.batch import check_paths

    template = write_template(tmp_path / "t2.xlsx")
    for name in ("一.xlsx", "二.xlsx", "益阳市商务局.xlsx"):
        write_named_values(template, inbox / name, {"org_name": "益阳市委办公室" if name != "二.xlsx" else "市委办公室",
                                                    "org_category": "市直党政机关", "assess_year": 2020})
    out, table = tmp_path / "r.json", tmp_path / "表.csv"
    assert main(["check", str(inbox), "--json", str(out), "--table", str(table)]) == 0
    document = strict_json(out)
    assert document == {"submissions": [r.as_contract() for r in check_paths([inbox], workers=1)]}
    flagged = {s["source"]: [f["message"] for f in s["findings"] if f["code"] == "duplicate_submission"]
               for s in document["submissions"]}
    assert flagged["一.xlsx"] == ["一.xlsx：与“二.xlsx”“益阳市商务局.xlsx”是同一单位“益阳市委办公室”的申报，"
                                  "请评价小组确认以哪一份为准，或请单位撤回其中一份。"]
    assert len(flagged["二.xlsx"]) == len(flagged["益阳市商务局.xlsx"]) == 1 and flagged["市商务局.xlsx"] == []
    rows = {r[1]: r for r in csv.reader(table.open(encoding="utf-8-sig"))}
    warnings = {s["source"]: sum(f["severity"] == "warning" for f in s["findings"]) for s in document["submissions"]}
    assert all(rows[source][7] == (str(n) if n else "") for source, n in warnings.items())


def test_a_run_keeps_its_records_on_disk_not_in_memory(tmp_path):
    """What check holds while workers run: the lines in an unnamed temporary file, and per unit name only
    its first source; the file is gone when the run ends."""
    from shared.output import Spool

    spool = Spool(tmp_path / "r.json")
    lines = [b'["%d.xlsx", "unit %d", 1, 1, 1, true, 0, 0, []]\t{"findings": []}\n' % (i, i % 3) for i in range(30)]
    for i, line in enumerate(lines):
        spool.add(f"unit {i % 3}", f"{i}.xlsx", line)
    assert spool._file.tell() == sum(map(len, lines)) and len(spool.duplicates._first) == 3
    assert [len(g.named) for g in spool.duplicates._groups.values()] == [10, 10, 10]  # bounded, whatever the run
    replayed = list(spool.replay())
    assert [b.source for b, _ in replayed] == [f"{i}.xlsx" for i in range(30)]
    assert all(json.loads(record)["findings"][0]["code"] == "duplicate_submission" for _, record in replayed)
    assert [p.name for p in tmp_path.iterdir()] == []  # unnamed: nothing to clean up after a kill
    spool.close()


# --- the edges a newcomer meets first ------------------------------------------------------------------

def test_template_into_a_folder_that_does_not_exist_yet(tmp_path, capsys):
    assert main(["template", str(tmp_path / "新文件夹" / "t.xlsx")]) == 0
    assert (tmp_path / "新文件夹" / "t.xlsx").is_file() and "已生成空白自评表" in capsys.readouterr().out


@pytest.mark.parametrize("argv, said", [
    (["template", "{tmp}/t.txt"], "自评表模板只能保存为 .xlsx 文件"),
    (["export", "--year", "2020", "--out", "{tmp}/e.csv", "--db", "{db}"], "年度汇总只能保存为 .xlsx 文件"),
    (["report", "--unit", "市委办公室", "--year", "2020", "--out", "{tmp}/x.docx", "--db", "{db}"],
     "验收评分表只能保存为 .xlsx 或 .pdf 文件"),
])
def test_an_output_format_the_command_cannot_write_is_refused(argv, said, tmp_path, capsys):
    argv = [a.format(tmp=tmp_path, db=f"sqlite:///{tmp_path / 'r.db'}") for a in argv]
    assert main(argv) == 2
    assert said in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == []  # nothing written, not even the database


def test_export_of_a_year_without_data_says_so(inbox, tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert main(["load", str(inbox), "--db", db]) == 0
    assert main(["export", "--year", "2019", "--out", str(tmp_path / "e.xlsx"), "--db", db]) == 1
    err = capsys.readouterr().err
    assert "没有 2019 年度的创建单位或申报" in err and "2020" in err and "未生成汇总" in err
    assert not (tmp_path / "e.xlsx").exists()


def test_check_of_an_empty_folder_says_nothing_was_found(tmp_path, capsys):
    (tmp_path / "空").mkdir()
    assert main(["check", str(tmp_path / "空"), "--json", str(tmp_path / "r.json")]) == 0
    assert "没有找到申报材料" in capsys.readouterr().out
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8")) == {"submissions": []}


def _subcommands(parser, path=()) -> list[tuple[tuple[str, ...], object]]:
    """Every command (("check",), ("roster", "import"), ...) of the parser, with its own parser."""
    import argparse

    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = _subcommands(sub, (*path, name))
                found += nested or [((*path, name), sub)]
    return found


COMMANDS = _subcommands(build_parser())


@pytest.mark.parametrize("command, parser", COMMANDS, ids=[" ".join(c) for c, _ in COMMANDS])
def test_help_placeholders_are_chinese(command, parser, capsys):
    for action in parser._actions:
        if action.nargs != 0:  # takes a value: its placeholder is what the help shows for it
            shown = action.metavar or action.dest.upper() if action.option_strings else action.metavar or action.dest
            assert not re.search(r"[A-Za-z]", re.sub(r"\.[a-z]+$", "", shown)), (command, action.dest, shown)
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    usage = capsys.readouterr().out
    assert "用法：" in usage and not re.search(r"--[\w-]+ [A-Z_]{2,}", usage)


def test_check_summary_puts_the_verdict_beside_the_total_it_is_about(inbox, capsys):
    assert SUMMARY_HEADERS[2:5] == ("重算得分", "重算得分达到合格分", "有佐证得分")
    assert TABLE_HEADERS[3:6] == SUMMARY_HEADERS[2:5]  # the --table CSV reads the same
    assert main(["check", str(inbox)]) == 0
    out = capsys.readouterr().out
    assert "重算得分达到80分" in out and "达到80分 " not in out.replace("重算得分达到80分", "")
