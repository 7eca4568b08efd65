"""The README's commands work as written: the two first commands stay as they are, and every `jyjg` command
it shows runs, after command 1, from the folder command 1 ran in (here: the session's `jyjg demo`)."""
from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from jyjg_runs import run_jyjg
from shared.cli import build_parser
from shared.office import find_soffice

README = Path(__file__).resolve().parents[1] / "README.md"
COMMAND_1 = "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/jyjg demo"
COMMAND_2 = "bash scripts/test.sh"
NOT_RUN_HERE = {"serve", "demo"}  # serve blocks until stopped; demo is what made the folder (parsed only)


def first_hour() -> str:
    """The README from the two commands to the end of 使用: what a newcomer runs after command 1 (the
    multi-user deployment further down has its own setting, PostgreSQL and accounts)."""
    text = README.read_text(encoding="utf-8")
    start = text.index("## 两条命令")
    usage = text.index("## 使用")
    following = text.find("\n## ", usage + 1)
    return text[start:following if following != -1 else len(text)]


def readme_commands() -> list[str]:
    """Every command the README gives to run: the first cell of its tables' rows and its code blocks' lines."""
    text = first_hour()
    found = re.findall(r"^\| `(jyjg [^`]+)` \|", text, flags=re.M)
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        found += [line.split("#")[0].strip() for line in block.splitlines() if line.startswith("jyjg ")]
    return list(dict.fromkeys(found))


def test_the_readme_gives_commands_to_run():
    assert len(readme_commands()) >= 9


def test_the_two_commands_stay_as_they_are():
    text = README.read_text(encoding="utf-8")
    assert COMMAND_1 in text.splitlines() and COMMAND_2 in text.splitlines()
    assert (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text().strip().endswith(COMMAND_2)


def test_the_readme_says_how_to_reach_jyjg_after_command_1():
    text = README.read_text(encoding="utf-8")
    after = text[text.index(COMMAND_1):]
    assert "source .venv/bin/activate" in after and ".venv/bin/jyjg" in after


def test_the_readme_says_where_the_demo_put_its_outputs(demo_run):
    text = README.read_text(encoding="utf-8")
    named = set(re.findall(r"`(jyjg-demo/[^`]+?)/?`", text)) | set(re.findall(r"`(jyjg\.db)`", text))
    assert len(named) >= 7
    for path in named:
        assert (demo_run.folder / path).exists(), path
    for path in demo_run.out.iterdir():  # and nothing it makes goes unmentioned
        assert f"`jyjg-demo/{path.name}" in text, path.name


@pytest.fixture(scope="module")
def after_command_1(demo_run, tmp_path_factory) -> Path:
    """A copy of the folder the session's `jyjg demo` ran in, to run the README's commands in."""
    folder = tmp_path_factory.mktemp("readme") / "checkout"
    shutil.copytree(demo_run.folder, folder)
    return folder


@pytest.mark.parametrize("command", readme_commands())
def test_each_command_works_as_written(command, after_command_1, monkeypatch):
    argv = shlex.split(command)[1:]
    build_parser().parse_args(argv)  # every one at least parses
    if argv[0] in NOT_RUN_HERE:
        return
    if any(a.endswith(".pdf") for a in argv) and find_soffice() is None:
        pytest.skip("LibreOffice is not installed: the .pdf is printed by it")
    monkeypatch.chdir(after_command_1)
    monkeypatch.delenv("JYJG_DB", raising=False)
    monkeypatch.delenv("JYJG_DATA", raising=False)
    code, out, err = run_jyjg(argv)
    assert code == 0, out + err
    assert err.strip() == "" or not re.search(r"找不到 |参数有误|Traceback", err), err
    for argument in argv:  # what it was asked to write is there
        if re.search(r"\.(xlsx|pdf|json)$", argument) and not argument.startswith("jyjg-demo/"):
            assert (after_command_1 / argument).is_file(), argument
