"""Who may do what to which unit: roles, actions and the scope rule, as pure values (no session).

An account has one role and, for some roles, one district or one unit. The rule `permits` answers,
for a role × action × unit, whether the account may do it; the store asks it on every call (see
shared/scoped_store.py) and refuses, with `refusal`'s Chinese message, whatever it does not permit.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .rubric import CATEGORY_CITY


class Role(str, Enum):
    ADMIN = "管理员"  # 市机关事务管理局: everything, accounts, 抽查, exports, 通报
    GROUP = "评价小组成员"  # 市直 units: 初审, 核定, 实地验收; 区县 units read-only
    DISTRICT = "区县审核员"  # one district: its units' 初审, 核定, 实地验收, and the district's 年度备案
    UNIT = "创建单位"  # one unit: its own submissions, findings and decisions; uploads
    READER = "只读"  # sees, changes nothing


ROLES = tuple(r.value for r in Role)


class Action(str, Enum):
    """What an account asks of the store; the value is the phrase a refusal uses."""

    VIEW = "查看"
    UPLOAD = "上传申报"
    REVIEW = "初审"
    VERIFY = "核定得分"
    SITE = "实地验收"
    COMMENT = "评论"
    REVOKE = "撤销结论"
    FILE_DISTRICT = "年度备案"
    SAMPLE = "抽查"
    EXPORT = "导出"
    ACCOUNTS = "管理账户"


# Actions on one unit's submissions.
UNIT_ACTIONS = (Action.VIEW, Action.UPLOAD, Action.REVIEW, Action.VERIFY, Action.SITE, Action.COMMENT, Action.REVOKE)
# Actions that change a unit's review (the reviewing roles' work).
REVIEW_ACTIONS = (Action.UPLOAD, Action.REVIEW, Action.VERIFY, Action.SITE, Action.COMMENT, Action.REVOKE)
# Actions on the city's whole year, not on one unit.
CITY_ACTIONS = (Action.SAMPLE, Action.EXPORT, Action.ACCOUNTS)


@dataclass(frozen=True)
class Account:
    login: str
    name: str  # 显示名
    role: Role
    district: str | None = None  # 区县审核员 only
    unit: str | None = None  # 创建单位 only: the unit's name as the store keeps it
    active: bool = True

    @property
    def label(self) -> str:
        """How the audit log and every decision name the account: 显示名（登录名）."""
        return self.name if self.name == self.login else f"{self.name}（{self.login}）"

    @property
    def scope_text(self) -> str:
        if self.role is Role.DISTRICT:
            return self.district or ""
        if self.role is Role.UNIT:
            return self.unit or ""
        if self.role is Role.GROUP:
            return "市直单位"
        return "全部"


@dataclass(frozen=True)
class UnitTarget:
    """The unit an action is about, as far as scope is concerned."""

    name: str | None
    category: str | None
    district: str | None

    @property
    def city_level(self) -> bool:
        """A 市直 unit (no district); an unidentified submission counts as the city's."""
        return self.district is None and self.category in (None, CATEGORY_CITY)


def permits(account: Account, action: Action, target: UnitTarget | None = None, *,
            district: str | None = None) -> bool:
    """Whether the account may do `action` on `target` (a unit) or, for 年度备案, on `district`."""
    if not account.active:
        return False
    role = account.role
    if action in CITY_ACTIONS:
        return role is Role.ADMIN
    if action is Action.FILE_DISTRICT:
        return role is Role.ADMIN or (role is Role.DISTRICT and district is not None and district == account.district)
    if target is None:
        return False
    if role is Role.ADMIN:
        return True
    if role is Role.READER:
        return action is Action.VIEW
    if role is Role.GROUP:
        return action is Action.VIEW or (target.city_level and action in REVIEW_ACTIONS)
    if role is Role.DISTRICT:
        return target.district is not None and target.district == account.district and action in UNIT_ACTIONS
    if role is Role.UNIT:
        same = target.name is not None and account.unit is not None and target.name == account.unit
        return same and action in (Action.VIEW, Action.UPLOAD)
    return False


def could(account: Account, action: Action) -> bool:
    """Whether the account may do `action` on anything at all: what a page offers it (the tabs, the
    forms). Worked out from `permits` on the units an account of its role can have in scope, so the
    two never disagree; the store still checks every request on its own unit."""
    if action in CITY_ACTIONS:
        return permits(account, action)
    if action is Action.FILE_DISTRICT:
        return permits(account, action, district=account.district or "")
    candidates = (UnitTarget(account.unit, None, None),  # a 创建单位's own unit
                  UnitTarget(None, CATEGORY_CITY, None),  # a 市直 unit
                  UnitTarget(None, None, account.district or ""))  # a unit of the account's district (or any)
    return any(permits(account, action, target) for target in candidates)


def refusal(account: Account, action: Action, target: UnitTarget | None = None, *,
            district: str | None = None) -> str:
    """The Chinese message for a refused request: who, what, and what the account may do instead."""
    who = f"账户“{account.label}”（{account.role.value}"
    who += f"，{account.scope_text}）" if account.role in (Role.DISTRICT, Role.UNIT) else "）"
    if not account.active:
        return f"{who}已停用，不能再操作。如需恢复，请联系管理员。"
    if action in CITY_ACTIONS:
        return f"{who}无权{action.value}：只有管理员可以{action.value}。"
    if action is Action.FILE_DISTRICT:
        return f"{who}无权为{district or '该区县（市）'}{action.value}：区县审核员只能为本区县（市）备案。"
    what = f"“{target.name}”" if target is not None and target.name else "这份申报"
    if account.role is Role.READER:
        return f"{who}只能查看，不能对{what}{action.value}。"
    if account.role is Role.GROUP:
        return f"{who}对区县（市）单位只能查看，不能对{what}{action.value}。"
    if account.role is Role.DISTRICT:
        return f"{who}只能处理{account.district}的单位，{what}不在本区县（市）范围内，不能{action.value}。"
    if account.role is Role.UNIT:
        if target is not None and target.name == account.unit:
            return f"{who}不能对本单位的申报{action.value}：创建单位只能上传申报和查看结果。"
        return f"{who}只能查看和上传本单位的申报，不能{action.value}{what}。"
    return f"{who}不能对{what}{action.value}。"
