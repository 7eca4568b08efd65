"""`jyjg user add / list / disable`: accounts as data in the store, passwords in the Hub's store."""
from __future__ import annotations

import io
import sys

import pytest

from shared.accounts import Accounts, hub_db_url
from shared.cli import main
from shared.scope import Role
from shared.store import Store


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'jyjg.db'}"
    with Store(url, data_dir=tmp_path / "data") as store:
        store.import_units([("赫山区财政局", 2020, "")], "赫山区")
    return url


def run(argv, capsys, stdin: str = "", monkeypatch=None) -> tuple[int, str, str]:
    if monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_add_list_disable(db, capsys, monkeypatch):
    code, out, _ = run(["user", "add", "heshan", "--role", "区县审核员", "--district", "赫山区", "--name", "赫山审核员",
                        "--password-stdin", "--db", db], capsys, "Heshan-review-2020\n", monkeypatch)
    assert code == 0 and "账户 heshan（赫山审核员，区县审核员，赫山区）已保存，已设置密码并批准登录" in out
    code, out, _ = run(["user", "add", "swbgs", "--role", "创建单位", "--unit", "市委办公室", "--db", db], capsys)
    assert code == 0 and "尚未设置密码" in out
    code, out, _ = run(["user", "list", "--db", db], capsys)
    assert code == 0
    lines = [line for line in out.splitlines() if "heshan" in line or "swbgs" in line]
    assert "区县审核员" in lines[0] and "赫山区" in lines[0] and "启用" in lines[0]
    assert "创建单位" in lines[1] and "市委办公室" in lines[1]
    code, out, _ = run(["user", "disable", "heshan", "--db", db], capsys)
    assert code == 0 and "已停用" in out
    with Store(db) as store:
        account = Accounts(store).get("heshan")
        assert account.role is Role.DISTRICT and not account.active
        actions = [a.action for a in store.audit_log()]
        assert actions.count("account_added") == 2 and "password_set" in actions and "account_disabled" in actions
        assert all(a.actor.startswith("命令行") for a in store.audit_log() if a.action.startswith("account"))
    assert hub_db_url(db).endswith("jyjg-hub.sqlite")


@pytest.mark.parametrize("argv, message", [
    (["user", "add", "someone", "--role", "区县审核员"], "--district"),
    (["user", "add", "someone", "--role", "超级用户"], "角色“超级用户”不存在"),
    (["user", "add", "someone", "--role", "创建单位", "--unit", "火星局"], "不在单位名单中"),
    (["user", "disable", "nobody"], "没有登录名为“nobody”的账户"),
])
def test_refusals_are_chinese_and_exit_1(db, capsys, argv, message):
    code, _, err = run(argv + ["--db", db], capsys)
    assert code == 1 and message in err.replace("\n", "")


@pytest.mark.parametrize("password, message", [("123", "至少 8 位"), ("password1", "过于常见"), ("", "至少 8 位")])
def test_a_weak_password_makes_no_account_at_all(db, capsys, monkeypatch, password, message):
    code, _, err = run(["user", "add", "weak", "--role", "只读", "--password-stdin", "--db", db], capsys,
                       password + "\n", monkeypatch)
    assert code == 2 and message in err and "账户 weak 未创建" in err
    with Store(db) as store:
        assert Accounts(store).get("weak") is None
        assert not [a for a in store.audit_log() if a.action.startswith("account") or a.action == "password_set"]


def test_a_weak_password_leaves_an_existing_account_as_it_was(db, capsys, monkeypatch):
    run(["user", "add", "keep", "--role", "只读", "--name", "原名", "--password-stdin", "--db", db], capsys,
        "Keep-this-pass-2020\n", monkeypatch)
    code, _, err = run(["user", "add", "keep", "--role", "管理员", "--name", "新名", "--password-stdin", "--db", db],
                       capsys, "short\n", monkeypatch)
    assert code == 2 and "未作任何修改" in err
    with Store(db) as store:
        account = Accounts(store).get("keep")
        assert (account.role, account.name) == (Role.READER, "原名")
