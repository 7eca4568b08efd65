"""用户管理 (workbench/screens/accounts.py): an administrator lists, adds, changes, disables and enables
accounts and sets initial passwords, all through the scoped store and audited under the administrator."""
from __future__ import annotations

import pytest

from shared.accounts import Accounts
from shared.scope import Role
from shared.scoped_store import ScopedStore
from year_fixtures import Year


@pytest.fixture
def world(tmp_path):
    from workbench.app import Workbench

    year = Year(tmp_path)
    year.store.import_units([("赫山区财政局", 2020, "")], "赫山区")
    year.submit("赫山区财政局", county=True)
    Accounts(year.store).add("admin", "管理员", name="局长甲")
    bench = Workbench(ScopedStore(year.store, "admin"))
    yield year.store, bench, bench.screen("accounts")
    year.close()


def fill(screen, login, role, name="", district="", unit="", password=""):
    screen._fill(None)
    screen.login.value, screen.name.value, screen.role.value = login, name, role
    screen.district.value, screen.unit.value, screen.password.value = district, unit, password
    screen.save.click()


def test_the_list_shows_each_accounts_role_scope_state_and_password(world):
    store, bench, screen = world
    fill(screen, "heshan", "区县审核员", "赫山审核员", district="赫山区", password="Heshan-review-2020")
    fill(screen, "nopass", "只读")
    table = screen.table.value
    assert "共 3 个账户，启用 3 个" in table
    row = table.split('data-login="heshan"')[1].split("</tr>")[0]
    assert all(x in row for x in ("赫山审核员", "区县审核员", "赫山区", "启用", "已设置"))
    assert "未设置（不能登录）" in table.split('data-login="nopass"')[1].split("</tr>")[0]
    assert "赫山区" in screen.district.options


def test_adding_and_changing_an_account_is_audited_under_the_administrator(world):
    store, bench, screen = world
    fill(screen, "swbgs", "创建单位", "联络员", unit="赫山区财政局", password="Unit-login-2020")
    assert "已保存并启用，已设置密码，可以登录" in screen.message.value
    accounts = Accounts(store)
    assert accounts.get("swbgs").unit == "赫山区财政局" and "swbgs" in accounts.with_password()
    bench.action.value = "account-edit:swbgs:1"
    assert screen.login.value == "swbgs" and screen.login.disabled and screen.role.value == "创建单位"
    screen.role.value = "区县审核员"
    screen.district.value = "赫山区"
    screen.save.click()
    assert accounts.get("swbgs").role is Role.DISTRICT and accounts.get("swbgs").district == "赫山区"
    audit = [a for a in store.audit_log() if "swbgs" in a.summary]
    assert [a.action for a in audit] == ["account_added", "password_set", "account_changed"]
    assert {a.actor for a in audit} == {"局长甲（admin）"}


def test_a_weak_password_or_a_missing_scope_saves_nothing(world):
    store, bench, screen = world
    fill(screen, "weak", "只读", password="123")
    assert "账户未保存" in screen.message.value and "至少 8 位" in screen.message.value
    fill(screen, "nodistrict", "区县审核员")
    assert "--district" in screen.message.value or "区县" in screen.message.value
    accounts = Accounts(store)
    assert accounts.get("weak") is None and accounts.get("nodistrict") is None


def test_disable_and_enable_keep_the_account_and_an_administrator_cannot_disable_themselves(world):
    store, bench, screen = world
    fill(screen, "reader", "只读", "读者", password="Reader-pass-2020")
    bench.action.value = "account-disable:reader:1"
    assert not Accounts(store).get("reader").active and "已停用" in screen.message.value
    assert "已停用" in screen.table.value and "account-enable:reader" in screen.table.value
    bench.action.value = "account-enable:reader:2"
    assert Accounts(store).get("reader").active
    assert "account-disable:admin" not in screen.table.value  # not offered on the acting account's own row
    bench.action.value = "account-disable:admin:3"  # and refused when forged
    assert "不能停用自己正在使用的账户" in bench.message.value and Accounts(store).get("admin").active
    screen._fill("admin")
    screen.role.value = "只读"
    screen.save.click()
    assert "不能把角色改掉自己正在使用的账户" in screen.message.value
    assert Accounts(store).get("admin").role is Role.ADMIN
    actions = [a.action for a in store.audit_log() if a.actor == "局长甲（admin）"]
    assert "account_disabled" in actions and "account_enabled" in actions
