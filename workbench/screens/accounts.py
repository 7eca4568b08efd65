"""用户管理: the administrator's list of accounts (role, scope, state, password), and the form that adds
an account or changes its role, scope and name, sets its initial password, disables or enables it.

Everything goes through the scoped store's `accounts()` (shared/scoped_store.py), so it is refused to
anyone but an administrator and audited under the administrator's own account. Passwords go to the
Hub's authenticator (NativeAuthenticator) through shared/accounts.py; an account changes its own
password on the Hub's 修改密码 page. Nothing is deleted: an account is disabled, and can be enabled again.
Shown only in the multi-user mode (`jyjg hub`): `jyjg serve` has one person and no accounts.
"""
from __future__ import annotations

import ipywidgets as w

from shared.accounts import LOGIN_PATTERN
from shared.scope import ROLES, Action, Role

from ..common import message_html
from ..listing import action_link, text
from ..render import when
from ..screen import Screen

CHANGE_PASSWORD_PATH = "/hub/change-password"  # NativeAuthenticator's page where an account changes its own


class AccountScreen(Screen):
    key = "accounts"
    title = "用户管理"
    needs = (Action.ACCOUNTS,)

    @classmethod
    def shown_to(cls, store) -> bool:
        return super().shown_to(store) and getattr(store, "signed_in", False)

    def __init__(self, shell):
        super().__init__(shell)
        shell.on_action("account-edit", self._edit)
        shell.on_action("account-disable", lambda login: self.disable(login))
        shell.on_action("account-enable", lambda login: self.enable(login))

    def build(self) -> w.Widget:
        guarded = self.shell.guarded
        self.message = w.HTML()
        self.message.add_class("jyjg-accounts-message")
        self.table = w.HTML()
        self.table.add_class("jyjg-accounts")
        self.login = w.Text(description="登录名", placeholder="小写字母、数字或 . _ -", layout=w.Layout(width="300px"))
        self.name = w.Text(description="显示名", placeholder="姓名或单位简称", layout=w.Layout(width="300px"))
        self.role = w.Dropdown(description="角色", options=list(ROLES), value=Role.READER.value,
                               layout=w.Layout(width="300px"))
        self.district = w.Combobox(description="区县（市）", placeholder="区县审核员必填", options=[],
                                   ensure_option=False, layout=w.Layout(width="300px"))
        self.unit = w.Combobox(description="单位", placeholder="创建单位账户必填：单位全称", options=[],
                               ensure_option=False, layout=w.Layout(width="420px"))
        self.password = w.Password(description="初始密码", placeholder="至少 8 位；留空则不修改密码",
                                   layout=w.Layout(width="300px"))
        for widget, css in ((self.login, "jyjg-account-login"), (self.name, "jyjg-account-name"),
                            (self.role, "jyjg-account-role"), (self.district, "jyjg-account-district"),
                            (self.unit, "jyjg-account-unit"), (self.password, "jyjg-account-password")):
            widget.add_class(css)
            widget.style.description_width = "80px"
        self.role.observe(guarded(lambda _change: self._show_scope_fields(), self.message), names="value")
        self.save = w.Button(description="保存账户", button_style="primary", icon="check")
        self.save.add_class("jyjg-account-save")
        self.save.on_click(guarded(lambda _: self.save_account(), self.message))
        self.clear = w.Button(description="新建另一个账户", icon="plus")
        self.clear.on_click(guarded(lambda _: self._fill(None), self.message))
        self._show_scope_fields()
        form = w.VBox([w.HTML("<h4>新建或修改账户</h4>"), self.login, self.name, self.role, self.district, self.unit,
                       self.password, w.HBox([self.save, self.clear]), self.message,
                       w.HTML('<p class="jyjg-muted">账户保存即为启用。密码由管理员在此设置初始值；'
                              f'用户登录后可在“修改密码”页面（<code>{CHANGE_PASSWORD_PATH}</code>）自行修改，'
                              "忘记密码时由管理员在此重设。连续 5 次输错密码，账户锁定 30 分钟。"
                              "停用的账户不能登录，也不能再操作；账户和它的全部记录都保留。</p>")])
        form.add_class("jyjg-account-form")
        return w.VBox([self.table, form])

    def refresh(self) -> None:
        accounts = self.store.accounts()
        infos = accounts.list()
        with_password = accounts.with_password()
        units = self.shell.units
        self.district.options = sorted({u.district for u in units if u.district})
        self.unit.options = sorted({u.name for u in units})
        acting = self.store.account.login
        rows = []
        for info in infos:
            a = info.account
            state = '<span class="jyjg-ok">启用</span>' if a.active else '<span class="jyjg-err">已停用</span>'
            password = "已设置" if a.login in with_password else '<span class="jyjg-warn">未设置（不能登录）</span>'
            edit = action_link(f"account-edit:{a.login}", "修改", "jyjg-account-edit")
            if a.login == acting:  # not offered: the store refuses it all the same
                toggle = '<span class="jyjg-muted">当前账户</span>'
            elif a.active:
                toggle = action_link(f"account-disable:{a.login}", "停用", "jyjg-account-disable")
            else:
                toggle = action_link(f"account-enable:{a.login}", "启用", "jyjg-account-enable")
            rows.append(f'<tr data-login="{text(a.login)}"><td>{text(a.login)}</td><td>{text(a.name)}</td>'
                        f"<td>{text(a.role.value)}</td><td>{text(a.scope_text)}</td><td>{state}</td>"
                        f"<td>{password}</td><td>{when(info.updated_at)}</td><td>{edit}　{toggle}</td></tr>")
        body = "".join(rows) or '<tr><td colspan="8" class="jyjg-empty">还没有账户。</td></tr>'
        self.table.value = (
            f'<table class="jyjg-table jyjg-account-table"><caption>共 {len(infos)} 个账户，'
            f'启用 {sum(1 for i in infos if i.account.active)} 个</caption>'
            "<thead><tr><th>登录名</th><th>显示名</th><th>角色</th><th>范围</th><th>状态</th><th>密码</th>"
            f"<th>最后修改</th><th>操作</th></tr></thead><tbody>{body}</tbody></table>")

    def _show_scope_fields(self) -> None:
        role = self.role.value
        self.district.layout.display = None if role == Role.DISTRICT.value else "none"
        self.unit.layout.display = None if role == Role.UNIT.value else "none"

    def _fill(self, login: str | None) -> None:
        account = self.store.accounts().get(login) if login else None
        self.login.value = account.login if account else ""
        self.login.disabled = account is not None  # a login never changes: make a new account instead
        self.name.value = account.name if account else ""
        self.role.value = account.role.value if account else Role.READER.value
        self.district.value = (account.district or "") if account else ""
        self.unit.value = (account.unit or "") if account else ""
        self.password.value = ""
        self.message.value = message_html("info", f"正在修改账户 {account.login}。") if account else ""

    def _edit(self, login: str) -> None:
        if LOGIN_PATTERN.fullmatch(login or ""):
            self.shell.select(self.key)
            self._fill(login)

    def save_account(self) -> None:
        accounts = self.store.accounts()
        login, password = self.login.value.strip().lower(), self.password.value
        role = self.role.value
        problem = _password_problem(password) if password else None
        if problem:
            self.message.value = message_html("error", f"账户未保存：{problem}")
            return
        account = accounts.add(login, role, name=self.name.value,
                               district=self.district.value if role == Role.DISTRICT.value else None,
                               unit=self.unit.value if role == Role.UNIT.value else None)
        if password:
            accounts.set_password(account.login, password)
        self.password.value = ""
        self.refresh()
        self._fill(account.login)
        scope = f"，{account.scope_text}" if account.district or account.unit else ""
        done = "，已设置密码，可以登录" if password else ""
        self.message.value = message_html("ok", f"账户 {account.login}（{account.name}，{account.role.value}{scope}）"
                                                f"已保存并启用{done}。")

    def disable(self, login: str) -> None:
        account = self.store.accounts().disable(login)
        self.refresh()
        self.message.value = message_html("ok", f"账户 {account.login}（{account.name}）已停用：不能再登录和操作，"
                                                "其全部记录保留。")

    def enable(self, login: str) -> None:
        account = self.store.accounts().enable(login)
        self.refresh()
        self.message.value = message_html("ok", f"账户 {account.login}（{account.name}）已重新启用。")


def _password_problem(password: str) -> str | None:
    from shared.accounts import password_problem

    return password_problem(password)
