"""Who the workbench acts for (workbench/identity.py): under the Hub the account the Hub started the
server for, whatever else the environment says; under `jyjg serve` the one name given at start."""
from __future__ import annotations

import pytest

from shared.accounts import Accounts
from shared.scope import Role
from shared.scoped_store import ScopeRefused
from shared.store import Store
from workbench.identity import HUB_USER_ENV, acting_store
from workbench.server import REVIEWER_ENV, os_user


@pytest.fixture
def store(tmp_path):
    with Store(f"sqlite:///{tmp_path / 'jyjg.db'}", data_dir=tmp_path / "data") as store:
        store.import_units([("赫山区财政局", 2020, ""), ("资阳区财政局", 2020, "")], "赫山区")
        Accounts(store).add("heshan", "区县审核员", district="赫山区", name="赫山丙")
        yield store


def test_under_the_hub_the_account_is_the_hubs_user_and_no_name_given_elsewhere(store, monkeypatch):
    monkeypatch.setenv(HUB_USER_ENV, "heshan")
    monkeypatch.setenv(REVIEWER_ENV, "局长甲")  # a name in the environment does not make anyone an administrator
    acting = acting_store(store)
    assert acting.account.label == "赫山丙（heshan）" and acting.account.role is Role.DISTRICT


def test_under_the_hub_an_unknown_account_gets_nothing(store, monkeypatch):
    monkeypatch.setenv(HUB_USER_ENV, "nobody")
    with pytest.raises(ScopeRefused, match="不在本系统的账户名单中"):
        acting_store(store)


def test_serve_acts_for_the_name_given_at_start_else_the_os_user(store, monkeypatch):
    monkeypatch.delenv(HUB_USER_ENV, raising=False)
    monkeypatch.setenv(REVIEWER_ENV, "王评审")
    acting = acting_store(store)
    assert acting.account.label == "王评审" and acting.account.role is Role.ADMIN
    monkeypatch.delenv(REVIEWER_ENV)
    assert acting_store(store).account.label == os_user()
