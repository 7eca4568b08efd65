"""Tabs per role (workbench/screen.py): each account is offered only the tabs it can use, worked out
from the scope rule; hiding is on top of the store's refusal, which tests/test_scoped_store.py covers."""
from __future__ import annotations

import ipywidgets as w
import pytest

from shared.accounts import Accounts
from shared.scoped_store import ScopedStore
from workbench.identity import local_account
from year_fixtures import Year

ALL_TABS = ["总览", "申报列表", "详情", "决定", "核定", "能耗数据更正", "评审意见交流", "上传", "年度备案", "抽查", "导出",
            "用户管理"]
REVIEWING = ["总览", "申报列表", "详情", "决定", "核定", "能耗数据更正", "评审意见交流", "上传"]
TABS = {  # written out by hand from the issue
    "admin": ALL_TABS,
    "group": REVIEWING,
    "heshan": REVIEWING + ["年度备案"],
    "swbgs": ["总览", "申报列表", "详情", "决定", "上传"],
    "reader": ["总览", "申报列表", "详情", "决定"],
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    year = Year(tmp_path_factory.mktemp("tabs"))
    year.store.import_units([("赫山区财政局", 2020, "")], "赫山区")
    year.submit("市委办公室")
    year.submit("赫山区财政局", county=True)
    accounts = Accounts(year.store)
    accounts.add("admin", "管理员", name="局长甲")
    accounts.add("group", "评价小组成员")
    accounts.add("heshan", "区县审核员", district="赫山区")
    accounts.add("swbgs", "创建单位", unit="市委办公室")
    accounts.add("reader", "只读")
    yield year.store
    year.close()


def titles(bench) -> list[str]:
    return [bench.tabs.get_title(i) for i in range(len(bench.tabs.children))]


def widgets_in(widget) -> list:
    found = [widget]
    for child in getattr(widget, "children", ()):
        found += widgets_in(child)
    return found


@pytest.mark.parametrize("login", list(TABS))
def test_each_role_sees_only_the_tabs_it_can_use(store, login):
    from workbench.app import Workbench

    bench = Workbench(ScopedStore(store, login))
    assert titles(bench) == TABS[login]


@pytest.mark.parametrize("login, forms", [("admin", True), ("heshan", True), ("swbgs", False), ("reader", False)])
def test_decision_forms_only_for_accounts_that_can_decide(store, login, forms):
    from workbench.app import Workbench

    bench = Workbench(ScopedStore(store, login))
    bench.open_version(bench.versions[0].id)
    screen = bench.screen("decisions")
    shown = widgets_in(screen.widget)
    assert (screen.review_save in shown and screen.site_save in shown) is forms
    assert screen.history in shown  # the decisions and 整改意见 are there for everyone who may see the unit
    assert not any(isinstance(x, w.Button) and "保存" in x.description for x in shown) or forms


def test_the_one_person_of_jyjg_serve_has_every_tab_but_accounts(store):
    from workbench.app import Workbench

    bench = Workbench(ScopedStore(store, local_account("单机评审")))
    assert titles(bench) == ALL_TABS[:-1]
