"""The reviewer dashboard (评审工作台): a small shell over one module per screen.

The shell holds what the screens share — the store, the acting person, the year's units and
versions, the open submission — builds the tabs, and passes clicks inside HTML tables (a hidden
text box) to the screen that registered the verb. One `Workbench` per browser page (Voila gives each
page its own kernel). Every handler is guarded: a reviewer sees a Chinese message, never a
traceback; the traceback goes to the server log.

The acting person comes from one place, the store the page is given: a `ScopedStore` bound to one
account (workbench/identity.py). Under JupyterHub that is the logged-in account (JUPYTERHUB_USER,
set by the Hub for this account's own server); under `jyjg serve` it is the one person named at
start (`--reviewer`, else the operating system's user). `Workbench.actor` is that account's label;
nothing typed on the page changes who acts, and the store checks every request against the account.
"""
from __future__ import annotations

import functools
import logging
import os
import sys
from typing import Callable

import ipywidgets as w
from IPython.display import display

from shared.rubric import CONFIG
from shared.scope import Action, Role, UnitTarget, permits, refusal
from shared.scoped_store import ScopedStore
from shared.store import StoreError, UnitState, Version
from shared.submission import PackageError

from .common import INTERNAL_ERROR, message_html
from .listing import text
from .screen import Screen
from .identity import acting_store
from .screens.accounts import AccountScreen
from .screens.comments import CommentScreen
from .screens.decisions import DecisionScreen
from .screens.detail import DetailScreen
from .screens.export import ExportScreen
from .screens.figures import FigureScreen
from .screens.filing import FilingScreen
from .screens.overview import OverviewScreen
from .screens.sampling import SamplingScreen
from .screens.submissions import ListScreen
from .screens.upload import UploadScreen
from .screens.verification import VerificationScreen
from .style import CSS

log = logging.getLogger("jyjg.workbench")

SCREENS: tuple[type[Screen], ...] = (OverviewScreen, ListScreen, DetailScreen, DecisionScreen, VerificationScreen,
                                     FigureScreen, CommentScreen, UploadScreen, FilingScreen, SamplingScreen,
                                     ExportScreen, AccountScreen)
EAGER = ("overview", "list")  # what a page needs the moment it opens; the other tabs are built when first shown


def _server_log() -> None:
    """Tracebacks go to the server's own stderr (the Voila log), not to the page."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.__stderr__)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


class Workbench:
    """The whole page. Build it (the slow part, done in the preheated kernel), then `show()` it."""

    def __init__(self, store: ScopedStore, year: int | None = None):
        _server_log()
        self.store = store
        self.account = store.account
        self.actor = self.account.label
        self.units = []
        self.versions: list[Version] = []
        self.current: Version | None = None
        self.year = year
        self._states: tuple[int | None, list[UnitState]] | None = None
        self._actions: dict[str, Callable[[str], None]] = {}
        self.screens = {cls.key: cls(self) for cls in SCREENS if cls.shown_to(store)}
        self._build()
        self.reload()

    @classmethod
    def from_environment(cls) -> "Workbench":
        """The store named by JYJG_DB, as the account this server acts for (workbench/identity.py)."""
        return cls(acting_store())

    # The shell's action words, as the scope rule names them.
    MAY = {"decide": Action.REVIEW, "review": Action.REVIEW, "site": Action.SITE, "verify": Action.VERIFY,
           "figures": Action.VERIFY, "comment": Action.COMMENT, "revoke": Action.REVOKE, "withdraw": Action.UPLOAD,
           "upload": Action.UPLOAD, "export": Action.EXPORT, "sample": Action.SAMPLE, "accounts": Action.ACCOUNTS}

    def may(self, action: str) -> bool:
        """Whether the acting account may do `action` ('decide', 'verify', 'revoke', 'withdraw', …) on the
        open submission — for what the screens offer; the store still checks every request."""
        wanted = self.MAY.get(action)
        if wanted is None:
            return False
        if wanted in (Action.EXPORT, Action.SAMPLE, Action.ACCOUNTS):
            return self.store.can(wanted)
        if self.current is None:
            return wanted is Action.UPLOAD and self.account.role is not Role.READER
        return self.store.can(wanted, self.store.version_target(self.current))

    def refusal(self, action: str) -> str:
        """Why the acting account may not do `action` on the open submission, in Chinese ('' when it may)."""
        if self.may(action):
            return ""
        wanted = self.MAY.get(action)
        target = self.store.version_target(self.current) if self.current is not None else None
        return refusal(self.store.account, wanted, target) if wanted is not None else "不能进行此操作。"

    def may_each(self, action: str, versions: list[Version]) -> set[int]:
        """The ids of the versions on which the acting account may do `action` — for lists of many
        (the bulk 初审), with the account read once and the units already in hand."""
        wanted = self.MAY.get(action)
        if wanted is None or wanted in (Action.EXPORT, Action.SAMPLE, Action.ACCOUNTS):
            return set()
        account = self.store.account
        units = {u.id: u for u in self.units}
        allowed = set()
        for version in versions:
            unit = units.get(version.unit_id)
            target = (ScopedStore.unit_target(unit) if unit is not None
                      else UnitTarget(None, version.org_category, None))
            if permits(account, wanted, target):
                allowed.add(version.id)
        return allowed

    def __getattr__(self, name: str) -> Screen:
        # self.overview, self.decisions, …: the screens by key (only called for names not found otherwise)
        screens = self.__dict__.get("screens") or {}
        if name in screens:
            return screens[name]
        raise AttributeError(name)

    # --- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        self.message = w.HTML()
        self.action = w.Text(layout=w.Layout(display="none"))
        self.action.add_class("jyjg-action")
        self.action.observe(self.guarded(self._on_action), names="value")
        self.year_pick = w.Dropdown(description="创建年度", options=[], layout=w.Layout(width="200px"))
        self._year_handler = self.guarded(self._on_year)
        self.year_pick.observe(self._year_handler, names="value")
        scope = self.account.scope_text
        who = w.HTML(f'<div class="jyjg-actor">当前账户：<b>{text(self.actor)}</b>'
                     f'（{text(self.account.role.value)}{"，" + text(scope) if scope and scope != "全部" else ""}）</div>')
        who.add_class("jyjg-actor-box")
        refresh = w.Button(description="刷新数据", icon="refresh", tooltip="重新读取最新的申报和评审结论")
        refresh.on_click(self.guarded(lambda _: self.reload(keep_open=True)))
        top = w.HBox([self.year_pick, who, refresh], layout=w.Layout(flex_flow="row wrap", align_items="center"))

        self._boxes = {key: w.VBox() for key in self.screens}
        self.tabs = w.Tab(children=list(self._boxes.values()))
        for i, screen in enumerate(self.screens.values()):
            self.tabs.set_title(i, screen.title)
        for key in EAGER:
            self._fill_tab(key)
        self.tabs.observe(self.guarded(self._on_tab), names="selected_index")
        self.root = w.VBox([w.HTML(CSS), w.HTML('<div class="jyjg-title">节约型机关创建评价 · 评审工作台</div>'),
                            top, self.message, self.tabs, self.action])
        self.root.add_class("jyjg-root")

    def _fill_tab(self, key: str) -> None:
        box = self._boxes[key]
        if not box.children:
            box.children = (self.screens[key].ensure_built(),)

    def _on_tab(self, change) -> None:
        index = change["new"]
        if index is not None:
            self._fill_tab(list(self.screens)[index])

    def select(self, key: str) -> None:
        """Show a screen's tab (building it first if needed)."""
        self._fill_tab(key)
        self.tabs.selected_index = list(self.screens).index(key)

    def screen(self, key: str) -> Screen:
        """A screen, built (for code that acts on its widgets); KeyError when this account has no such tab."""
        self._fill_tab(key)
        return self.screens[key]

    # --- guarding handlers, clicks in HTML ---------------------------------------------------------

    def guarded(self, handler: Callable, target: w.HTML | None = None) -> Callable:
        """Run a handler; a refusal shows its Chinese message, anything else a plain apology (logged)."""

        @functools.wraps(handler)
        def run(*args, **kwargs):
            shown = target if target is not None else self.message
            try:
                return handler(*args, **kwargs)
            except StoreError as refused:
                shown.value = message_html("error", str(refused))
            except PackageError as refused:
                shown.value = message_html("error", f"无法读取：{refused.reason}")
            except Exception:
                log.exception("评审工作台操作出错")
                shown.value = message_html("error", INTERNAL_ERROR)

        return run

    def on_action(self, verb: str, handler: Callable[[str], None]) -> None:
        """Let a screen answer clicks of the form '<verb>:<arg>' made inside its HTML (see listing.action_js)."""
        self._actions[verb] = handler

    def _on_action(self, change) -> None:
        parts = str(change["new"] or "").split(":")
        if len(parts) >= 2 and parts[0] in self._actions:
            self._actions[parts[0]](parts[1])

    def show(self) -> None:
        """Display the page. In a preheated Voila kernel, first wait for the reviewer's request so the
        data is read when the page is opened, not when the kernel was started."""
        if os.environ.get("VOILA_PREHEAT") == "True":
            from voila.utils import wait_for_request

            wait_for_request()
            self.guarded(self.reload)()
        display(self.root)

    # --- data ----------------------------------------------------------------------------------

    def reload(self, keep_open: bool = False) -> None:
        """Read units and versions again, then redraw every built screen."""
        self.units = self.store.units()
        self.versions = self.store.versions()
        years = sorted({v.assess_year for v in self.versions if v.assess_year}
                       | {u.creation_year for u in self.units if u.creation_year}
                       | set(CONFIG.creation))
        if self.year not in years:
            with_data = [v.assess_year for v in self.versions if v.assess_year]
            self.year = max(with_data) if with_data else (years[0] if years else None)
        options = [(f"{y} 年度", y) for y in years]
        if list(self.year_pick.options) != options:
            self.year_pick.unobserve(self._year_handler, names="value")
            self.year_pick.options = options
            self.year_pick.observe(self._year_handler, names="value")
        if self.year_pick.value != self.year:
            self.year_pick.unobserve(self._year_handler, names="value")
            self.year_pick.value = self.year
            self.year_pick.observe(self._year_handler, names="value")
        self._refresh_screens()
        if keep_open and self.current is not None:
            self.reopen()

    def unit_states(self) -> list[UnitState]:
        """The year's units and their states (store.unit_states), read once per refresh for every screen."""
        if self.year is None:
            return []
        if self._states is None or self._states[0] != self.year:
            self._states = (self.year, self.store.unit_states(self.year))
        return self._states[1]

    def _refresh_screens(self) -> None:
        self._states = None
        for screen in self.screens.values():
            if screen.built:
                screen.refresh()

    def _on_year(self, change) -> None:
        if change["new"] is not None and change["new"] != self.year:
            self.year = change["new"]
            self._refresh_screens()

    def open_version(self, version_id: int, tab: str | None = "detail") -> None:
        """Open one version in the per-submission screens; what was typed for the last one goes."""
        self.current = self.store.version(version_id)
        for screen in self.screens.values():
            if screen.built:
                screen.show(self.current, fresh=True)
        if tab:
            self.select(tab)

    def reopen(self) -> None:
        """Read the open version again (after a change by anyone); what the reviewer typed stays."""
        if self.current is None:
            return
        self.current = self.store.version(self.current.id)
        for screen in self.screens.values():
            if screen.built:
                screen.show(self.current, fresh=False)

    def changed(self) -> None:
        """After this page wrote to the store: the lists, the counts and the open submission again."""
        self.units = self.store.units()
        self.versions = self.store.versions()
        self._refresh_screens()
        self.reopen()
