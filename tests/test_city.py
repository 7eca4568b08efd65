"""The city as data: no code names the city or the pass mark, the data is validated at load, and a second
city (tests/data/second_city, made up) runs `jyjg demo` end to end by its data file alone."""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tokenize
import zipfile
from pathlib import Path

import openpyxl
import pytest

from shared.rubric import CITY, RubricError, load_city

ROOT = Path(__file__).resolve().parents[1]
SECOND_CITY = Path(__file__).resolve().parent / "data" / "second_city" / "city.toml"
CODE = [p for folder in ("shared", "workbench", "excel_addin", "benchmarks")
        for p in sorted((ROOT / folder).rglob("*")) if p.suffix in (".py", ".ipynb", ".bas", ".html", ".xml")]
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_no_code_names_the_city():
    assert CODE and ROOT / "shared" / "cli.py" in CODE
    named = [f"{p.relative_to(ROOT)}:{n}" for p in CODE
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if CITY.name[:2] in line]
    assert named == [], "the city's name belongs in shared/city.toml"


def test_no_user_text_in_code_states_a_pass_mark():
    """Chinese text (what users read) never carries the pass mark as a literal: it is the edition's."""
    mark = re.compile(rf"(?<![\d.]){re.escape(str(int(CITY.default_edition.qualify_at)))}(?![\d.%])")
    found = []
    for path in CODE:
        if path.suffix != ".py":
            continue
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        for token in tokens:
            if token.type == tokenize.STRING and CJK.search(token.string) and mark.search(token.string):
                found.append(f"{path.relative_to(ROOT)}:{token.start[0]}: {token.string[:60]}")
    assert found == []


def _city_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "city"
    shutil.copytree(SECOND_CITY.parent, folder)
    return folder / "city.toml"


@pytest.mark.parametrize("change, message", [
    (('signers = ["市机关事务服务中心", "市发展和改革局", "市财政局"]', 'signers = ["市发展改革委员会"]'),
     "“市发展改革委员会”不在单位名单中。通报须按名单上的名称署名"),
    (('name = "湘中市"\n', ''), "city.toml：缺少 name"),
])
def test_city_data_is_validated_at_load(tmp_path, change, message):
    path = _city_copy(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    with pytest.raises(RubricError, match=re.escape(message)):
        load_city(path)


def test_a_year_that_calls_for_an_edition_not_installed_is_refused(tmp_path):
    path = _city_copy(tmp_path)
    targets = path.parent / "targets.toml"
    targets.write_text(targets.read_text(encoding="utf-8").replace('2020 = "xiangzhong-2020"',
                                                                  '2020 = "xiangzhong-2020"\n2021 = "xz-2021"'),
                       encoding="utf-8")
    with pytest.raises(RubricError, match="没有名为 xz-2021 的评价指标版本"):
        load_city(path)


def test_the_second_citys_data_loads_with_its_own_everything():
    city = load_city(SECOND_CITY)
    assert city.name == "湘中市" and city.categories.all == ("市直机关", "县市区机关")
    assert city.default_edition.qualify_at == 85 and city.default_edition.name == "xiangzhong-2020"
    assert city.signing_agencies == ("湘中市机关事务服务中心", "湘中市发展和改革局", "湘中市财政局")
    assert city.find_roster_unit("湘中市财政局").name == "市财政局"


def _texts_of(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if n.endswith(".xml"))


def test_a_second_city_runs_the_demo_end_to_end(tmp_path):
    """JYJG_CITY names the city file; nothing else changes. The demo's inbox, checks, store, export and
    通报 are the second city's, with its pass mark of 85."""
    env = {**os.environ, "JYJG_CITY": str(SECOND_CITY), "PYTHONIOENCODING": "utf-8"}
    out = tmp_path / "demo"
    done = subprocess.run([sys.executable, "-m", "shared.cli", "demo", "--out", str(out),
                           "--db", f"sqlite:///{tmp_path / 'demo.db'}"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "重算得分达到85分" in done.stdout and "湘中市市直机关节约型机关建设名单" in done.stdout
    export = next(out.glob("*汇总.xlsx"))
    notice = next(out.glob("*通报*.docx"))
    sheets = openpyxl.load_workbook(export)
    assert sheets["名单"]["A1"].value == "湘中市2020年度节约型机关创建名单及评审情况"
    assert any(row[0] == "市直机关" for row in sheets["进度"].iter_rows(values_only=True))
    notice_text = _texts_of(notice)
    assert "湘中市发展和改革局" in notice_text and "得分达到85分" in notice_text
    workbook = next((out / "收件箱").glob("*.xlsx"))
    assert "湘中市节约型机关创建自评表" in _texts_of(workbook)
    for path in (export, notice, workbook):
        assert CITY.name not in _texts_of(path), path.name
    assert CITY.name not in done.stdout
