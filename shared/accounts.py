"""Accounts of the multi-user mode: login ↔ role ↔ district or unit, kept in the review store.

Passwords are not kept here: they live with the Hub's authenticator (NativeAuthenticator's
`users_info` table in the Hub's database, see `hub_db_url`), which checks them, enforces the password
rules and locks an account after repeated failures. `set_password` writes there through
NativeAuthenticator's own model and hashing, so an account made here is approved, ready to log in.

Every change is audited under the account that made it; nothing is deleted (an account is disabled).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import make_url

from .rubric import normalize_org_name
from .scope import ROLES, Account, Role
from .store import SYSTEM, AccountRow, Store, StoreError, UnitRow, _now

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 8
HUB_SCHEMA = "jupyterhub"  # the Hub's own tables, in the store's PostgreSQL database
HUB_SQLITE_SUFFIX = "-hub.sqlite"


@dataclass(frozen=True)
class AccountInfo:
    account: Account
    created_at: datetime
    updated_at: datetime


def check_login(login: str) -> str:
    login = (login or "").strip()
    if not LOGIN_PATTERN.fullmatch(login):
        raise StoreError(f"登录名“{login}”不可用：请用 2–64 个小写字母、数字或 . _ -，以字母或数字开头。")
    return login


def hub_db_url(store_url: str) -> str:
    """Where the Hub keeps its own tables (and NativeAuthenticator's passwords) for a store.

    PostgreSQL: the same database, in the schema `jupyterhub` (so one URL deploys everything and
    the two sets of Alembic tables never meet); an SQLite file: a file beside it (jyjg.db → jyjg-hub.sqlite)."""
    url = make_url(store_url)
    if url.get_backend_name() == "postgresql":
        return url.update_query_dict({"options": f"-csearch_path={HUB_SCHEMA}"}).render_as_string(hide_password=False)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        from pathlib import Path

        db = Path(url.database).resolve()
        return f"sqlite:///{db.with_name(db.stem + HUB_SQLITE_SUFFIX)}"
    raise StoreError("内存数据库不能保存登录密码：请用 PostgreSQL（多用户模式）或 SQLite 文件。")


def prepare_hub_db(store_url: str) -> str:
    """Create the Hub's database (its schema, its tables at their current migration, the password
    table) if missing, exactly as the Hub would; returns its URL."""
    from jupyterhub import orm as hub_orm
    from nativeauthenticator.orm import UserInfo
    from sqlalchemy import create_engine, inspect, text

    url = hub_db_url(store_url)
    if make_url(url).get_backend_name() == "postgresql":
        engine = create_engine(make_url(store_url))
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{HUB_SCHEMA}"'))
        engine.dispose()
    session = hub_orm.new_session_factory(url)()
    try:
        bind = session.get_bind()
        if "users_info" not in inspect(bind).get_table_names():
            UserInfo.__table__.create(bind)
    finally:
        session.close()
        session.get_bind().dispose()
    return url


class Accounts:
    """Account management over one store (the CLI's `jyjg user` and the 用户管理 screen)."""

    def __init__(self, store: Store):
        self.store = store

    # --- reading ----------------------------------------------------------------------------

    def get(self, login: str) -> Account | None:
        with self.store._read() as s:
            row = s.scalar(select(AccountRow).where(AccountRow.login == (login or "").strip().lower()))
            return None if row is None else self._account(s, row)

    def list(self) -> list[AccountInfo]:
        with self.store._read() as s:
            rows = s.scalars(select(AccountRow).order_by(AccountRow.login)).all()
            return [AccountInfo(self._account(s, r), r.created_at, r.updated_at) for r in rows]

    @staticmethod
    def _account(s, row: AccountRow) -> Account:
        unit = s.get(UnitRow, row.unit_id).name if row.unit_id is not None else None
        return Account(row.login, row.display_name, Role(row.role), row.district, unit, row.active)

    # --- changing ---------------------------------------------------------------------------

    def add(self, login: str, role: str, *, name: str | None = None, district: str | None = None,
            unit: str | None = None, by: str = SYSTEM) -> Account:
        """Create an account or change its role, scope and name (and re-enable it)."""
        login = check_login(login.lower() if login else login)
        if role not in ROLES:
            raise StoreError(f"角色“{role}”不存在，应为：{'、'.join(ROLES)}。")
        role = Role(role)
        district = (district or "").strip() or None
        unit = (unit or "").strip() or None
        if role is Role.DISTRICT and not district:
            raise StoreError("区县审核员须用 --district 指定所属区县（市），如 --district 赫山区。")
        if role is Role.UNIT and not unit:
            raise StoreError("创建单位账户须用 --unit 指定单位名称，如 --unit 市委办公室。")
        if role is not Role.DISTRICT and district:
            raise StoreError(f"只有区县审核员可以指定区县（市）；{role.value}不能指定 --district。")
        if role is not Role.UNIT and unit:
            raise StoreError(f"只有创建单位账户可以指定单位；{role.value}不能指定 --unit。")
        if district:
            district = self.store.check_district(district)
        name = (name or "").strip() or login
        if len(name) > 50:
            raise StoreError(f"显示名“{name}”过长，请控制在 50 字以内。")
        with self.store._write(lock=True) as s:
            unit_id = None
            if unit:
                entry = self.store.city.find_roster_unit(unit)
                unit_row = s.scalar(select(UnitRow).where(
                    UnitRow.name_key == normalize_org_name(entry.name if entry else unit, self.store.city.name)))
                if unit_row is None:
                    raise StoreError(f"单位“{unit}”不在单位名单中：请先导入名单（jyjg roster import），或检查单位全称。")
                unit_id = unit_row.id
            row = s.scalar(select(AccountRow).where(AccountRow.login == login))
            wanted = dict(display_name=name, role=role.value, district=district, unit_id=unit_id, active=True)
            if row is None:
                row = AccountRow(login=login, created_at=_now(), updated_at=_now(), **wanted)
                s.add(row)
                s.flush()
                self.store._audit(s, by, "account_added", f"新建账户 {login}（{name}，{role.value}"
                                  f"{'，' + (district or unit) if district or unit else ''}）", after=_shown(wanted, unit))
                reenabled = False
            else:
                before = {k: getattr(row, k) for k in wanted}
                reenabled = not row.active
                if before != wanted:
                    for k, v in wanted.items():
                        setattr(row, k, v)
                    row.updated_at = _now()
                    self.store._audit(s, by, "account_changed", f"修改账户 {login}",
                                      before=_shown(before, None), after=_shown(wanted, unit))
            account = self._account(s, row)
        if reenabled:
            self._hub_authorized(login, True)  # approved again in the Hub's store, when it has a password
        return account

    def disable(self, login: str, *, by: str = SYSTEM) -> Account:
        """Disable an account: it can no longer log in or act; its history stays."""
        login = (login or "").strip().lower()
        with self.store._write(lock=True) as s:
            row = s.scalar(select(AccountRow).where(AccountRow.login == login))
            if row is None:
                raise StoreError(f"没有登录名为“{login}”的账户。")
            if row.active:
                row.active = False
                row.updated_at = _now()
                self.store._audit(s, by, "account_disabled", f"停用账户 {login}（{row.display_name}）",
                                  before={"active": True}, after={"active": False})
            account = self._account(s, row)
        self._hub_authorized(login, False)
        return account

    def enable(self, login: str, *, by: str = SYSTEM) -> Account:
        """Enable a disabled account again, with its role and scope as they were."""
        login = (login or "").strip().lower()
        with self.store._write(lock=True) as s:
            row = s.scalar(select(AccountRow).where(AccountRow.login == login))
            if row is None:
                raise StoreError(f"没有登录名为“{login}”的账户。")
            if not row.active:
                row.active = True
                row.updated_at = _now()
                self.store._audit(s, by, "account_enabled", f"启用账户 {login}（{row.display_name}）",
                                  before={"active": False}, after={"active": True})
            account = self._account(s, row)
        self._hub_authorized(login, True)
        return account

    def with_password(self) -> set[str]:
        """The logins that have a password in the Hub's store (so can log in while enabled)."""
        try:
            from nativeauthenticator.orm import UserInfo
            url = hub_db_url(self.store.url)
        except (ImportError, StoreError):
            return set()
        from sqlalchemy import create_engine, inspect

        if make_url(url).get_backend_name() == "sqlite":
            from pathlib import Path

            if not Path(make_url(url).database).exists():
                return set()
        engine = create_engine(url)
        try:
            if "users_info" not in inspect(engine).get_table_names():
                return set()
            with engine.connect() as conn:
                return {row[0] for row in conn.execute(select(UserInfo.username))}
        finally:
            engine.dispose()

    def set_password(self, login: str, password: str, *, by: str = SYSTEM) -> None:
        """Set the account's password in the Hub's password store and approve it for login."""
        from nativeauthenticator.orm import UserInfo
        import bcrypt

        account = self.get(login)
        if account is None:
            raise StoreError(f"没有登录名为“{login}”的账户，请先创建账户。")
        problem = password_problem(password)
        if problem:
            raise StoreError(problem)
        session = self._hub_session()
        try:
            info = UserInfo.find(session, account.login)
            hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
            if info is None:
                session.add(UserInfo(username=account.login, password=hashed, is_authorized=account.active))
            else:
                info.password, info.is_authorized = hashed, account.active
            session.commit()
        finally:
            session.close()
            session.get_bind().dispose()
        with self.store._write() as s:
            self.store._audit(s, by, "password_set", f"设置账户 {account.login} 的登录密码（已批准登录）")

    def _hub_authorized(self, login: str, authorized: bool) -> None:
        """Keep the Hub's approval in step (a disabled account cannot log in), when the Hub exists."""
        try:
            from nativeauthenticator.orm import UserInfo
        except ImportError:
            return
        try:
            url = hub_db_url(self.store.url)
        except StoreError:
            return
        from sqlalchemy import create_engine, inspect

        if make_url(url).get_backend_name() == "sqlite":
            from pathlib import Path

            if not Path(make_url(url).database).exists():
                return
        engine = create_engine(url)
        try:
            if "users_info" not in inspect(engine).get_table_names():
                return
            from sqlalchemy.orm import Session

            with Session(engine) as session:
                info = UserInfo.find(session, login)
                if info is not None:
                    info.is_authorized = authorized
                    session.commit()
        finally:
            engine.dispose()

    def _hub_session(self):
        from jupyterhub import orm as hub_orm

        url = prepare_hub_db(self.store.url)
        return hub_orm.new_session_factory(url)()


def password_problem(password: str) -> str | None:
    """Why a password is refused (the Hub's own rules: length and NativeAuthenticator's list of
    common passwords), or None."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return f"密码太短：至少 {MIN_PASSWORD_LENGTH} 位。"
    from pathlib import Path

    import nativeauthenticator

    common = Path(nativeauthenticator.__file__).with_name("common-credentials.txt")
    if common.exists() and password in set(common.read_text(encoding="utf-8", errors="replace").splitlines()):
        return "密码过于常见，容易被猜中，请换一个。"
    return None


def _shown(values: dict, unit: str | None) -> dict:
    shown = {k: v for k, v in values.items() if k != "unit_id"}
    shown["unit"] = unit
    return shown
