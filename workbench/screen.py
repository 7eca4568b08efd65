"""The base of every screen: a tab of the workbench that owns its widgets and handlers.

A screen talks to the store and to the shell (the acting person, the year's data, the open
submission), never to another screen. Its widgets are built the first time its tab is shown, so a
page opens with only what its first tab needs.

A role sees only the tabs it can use: a screen names the actions it is for (`needs`), and the page
leaves it out for an account that could do none of them (shared.scope.could). That is on top of the
store's own refusal of every request outside the account's scope, never instead of it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from shared.scope import Action, could
from shared.store import Store, Version

if TYPE_CHECKING:
    from .app import Workbench


class Screen:
    key = ""  # a stable name for code and tests: 'overview', 'list', 'detail', …
    title = ""  # the tab's Chinese title
    needs: tuple[Action, ...] = ()  # shown to accounts that could do one of these; () for everyone

    @classmethod
    def shown_to(cls, store) -> bool:
        """Whether the page offers this tab to the store's account (a ScopedStore)."""
        return not cls.needs or any(could(store.account, action) for action in cls.needs)

    def __init__(self, shell: "Workbench"):
        self.shell = shell
        self.widget: w.Widget | None = None

    @property
    def store(self) -> Store:
        return self.shell.store

    @property
    def built(self) -> bool:
        return self.widget is not None

    def ensure_built(self) -> w.Widget:
        """Build the widgets once, then bring them up to date with the shell's data."""
        if self.widget is None:
            self.widget = self.build()
            self.refresh()
            if self.shell.current is not None:
                self.show(self.shell.current, fresh=True)
        return self.widget

    def build(self) -> w.Widget:
        raise NotImplementedError

    def refresh(self) -> None:
        """The year's data was read again (or the year changed)."""

    def show(self, version: Version, fresh: bool) -> None:
        """A submission was opened (fresh: another one; what was typed for the last one goes) or the
        open one was read again after a change (not fresh: what the reviewer typed stays)."""
