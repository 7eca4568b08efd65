"""Who the workbench acts for: the one place the acting account comes from.

Under JupyterHub, each account has its own workbench server, started by the Hub with JUPYTERHUB_USER
set to the logged-in account; the page's kernels inherit it, and nothing the page sends can change
it. The account's role and scope are read from the store (shared/accounts.py) on every call.
Under `jyjg serve` (one person, one machine) the acting person is the name given once at start
(`--reviewer`, else the operating system's user), with every right: the machine is theirs.
"""
from __future__ import annotations

import os

from shared.scope import Account, Role
from shared.scoped_store import ScopedStore
from shared.store import Store

from .server import REVIEWER_ENV, os_user

HUB_USER_ENV = "JUPYTERHUB_USER"


def local_account(reviewer: str | None = None) -> Account:
    """The single person of `jyjg serve`."""
    name = (reviewer or "").strip() or os_user()
    return Account(login=name, name=name, role=Role.ADMIN)


def acting_store(store: Store | None = None) -> ScopedStore:
    """The store named by JYJG_DB, as the account this server acts for."""
    store = store or Store(os.environ.get("JYJG_DB") or None)
    login = os.environ.get(HUB_USER_ENV)
    if login:
        return ScopedStore(store, login)
    return ScopedStore(store, local_account(os.environ.get(REVIEWER_ENV)))
