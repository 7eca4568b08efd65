"""The Hub's login for the multi-user workbench: NativeAuthenticator, in Chinese, reading accounts fresh.

- Its pages (login, 修改密码, the page shown while a workbench starts or after it stopped) come from
  workbench/hub_templates/ (JupyterHub's `template_paths`), and its messages are said in Chinese,
  including what to do when an account is locked after repeated wrong passwords.
- Passwords and approval are changed from outside the Hub (`jyjg user`, the 用户管理 screen), so the
  Hub reads an account's row again at every login instead of trusting what its session loaded before:
  a disabled account cannot log in, a reset password works at once.
- A password an account changes itself is audited in the review store under that account.

The lock after repeated failures is NativeAuthenticator's own and lives in the Hub's memory: a Hub
restart unlocks every account (the README says so).
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.handlers import ChangePasswordHandler, LoginHandler
from tornado.escape import url_escape
from tornado.httputil import url_concat

from shared.store import CHINA_TIME

TEMPLATES = Path(__file__).resolve().parent / "hub_templates"
ADMIN_CONTACT = "管理员（市机关事务管理局）"


def wrong_password_message(authenticator: NativeAuthenticator, username: str, error: str | None) -> str:
    """The Chinese message for a refused login: locked, not enabled, or wrong name or password."""
    username = authenticator.normalize_username(username or "")
    attempts = authenticator.login_attempts.get(username)
    limit = authenticator.allowed_failed_logins
    minutes = max(1, authenticator.seconds_before_next_try // 60)
    if limit and attempts and authenticator.is_blocked(username):
        # NativeAuthenticator keeps the server's naive local time; the page says Beijing time, as the workbench does
        until = attempts["time"] + timedelta(seconds=authenticator.seconds_before_next_try)
        left = max(1, int((until - datetime.now()).total_seconds() + 59) // 60)
        return (f"账户“{username}”因连续 {limit} 次输错密码已被锁定，请约 {left} 分钟后"
                f"（北京时间 {until.astimezone(CHINA_TIME):%H:%M} 以后）再试。"
                f"如忘记了密码，请联系{ADMIN_CONTACT}重设。")
    if error and "not been authorized" in error:  # the password was right; the account is not enabled
        return f"账户“{username}”尚未启用或已被停用，不能登录。请联系{ADMIN_CONTACT}。"
    warning = f"连续 {limit} 次输错密码，账户将被锁定 {minutes} 分钟。" if limit else ""
    return f"登录名或密码不正确，请重新输入。{warning}"


class ChineseLoginHandler(LoginHandler):
    """/hub/login with the messages in Chinese and the lock's numbers on the page."""

    def _render(self, login_error=None, username=None):
        authenticator = self.authenticator
        if login_error:
            login_error = wrong_password_message(authenticator, username, login_error)
        return self.render_template(
            "native-login.html",
            next=url_escape(self.get_argument("next", default="")),
            username=username,
            login_error=login_error,
            custom_html=authenticator.custom_html,
            login_url=self.settings["login_url"],
            enable_signup=authenticator.enable_signup,
            two_factor_auth=authenticator.allow_2fa,
            authenticator_login_url=url_concat(authenticator.login_url(self.hub.base_url),
                                               {"next": self.get_argument("next", "")}),
            allowed_failed_logins=authenticator.allowed_failed_logins,
            lock_minutes=max(1, authenticator.seconds_before_next_try // 60),
            minimum_password_length=authenticator.minimum_password_length,
            admin_contact=ADMIN_CONTACT,
        )


CHANGE_PASSWORD_MESSAGES = {
    "Your current password was incorrect. Please try again.": "当前密码不正确，请重新输入。",
    "Your new password didn't match the confirmation. Please try again.": "两次输入的新密码不一致，请重新输入。",
    "Your password has been changed successfully!": "密码已修改，下次登录请使用新密码。",
}


class ChineseChangePasswordHandler(ChangePasswordHandler):
    """/hub/change-password (an account changing its own password), in Chinese."""

    def render_template(self, name, **namespace):
        message = namespace.get("result_message")
        if message:
            namespace["result_message"] = CHANGE_PASSWORD_MESSAGES.get(message) or (
                f"新密码不符合要求：至少 {self.authenticator.minimum_password_length} 位，且不能是常见密码。")
        namespace.setdefault("minimum_password_length", self.authenticator.minimum_password_length)
        return super().render_template(name, **namespace)


class WorkbenchAuthenticator(NativeAuthenticator):
    """NativeAuthenticator with Chinese pages, accounts read fresh, and self-service changes audited."""

    def get_handlers(self, app):
        replaced = {LoginHandler: ChineseLoginHandler, ChangePasswordHandler: ChineseChangePasswordHandler}
        return [(path, replaced.get(handler, handler), *rest) for path, handler, *rest in super().get_handlers(app)]

    def get_user(self, username):
        info = super().get_user(username)
        if info is not None:
            # Changed outside the Hub (jyjg user, 用户管理): the Hub's session must not answer from memory.
            self.db.refresh(info)
        return info

    def change_password(self, username, new_password):
        changed = super().change_password(username, new_password)
        if changed:
            audit_password_change(self.normalize_username(username))
        return changed


def audit_password_change(login: str) -> None:
    """Record in the review store that the account changed its own password."""
    url = os.environ.get("JYJG_DB")
    if not url:
        return
    from shared.accounts import Accounts
    from shared.store import Store

    with Store(url, sync=False) as store:
        account = Accounts(store).get(login)
        with store._write() as s:
            store._audit(s, account.label if account else login, "password_changed",
                         f"账户 {login} 自行修改了登录密码")
