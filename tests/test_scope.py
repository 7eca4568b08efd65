"""The scope rule as a table: every role × every action × a unit in and out of the account's scope.

Each row is written out by hand from the issue (not computed from the rule), so a change to the rule
that the programme does not allow makes a row fail."""
from __future__ import annotations

import pytest

from shared.rubric import CATEGORY_CITY, CATEGORY_COUNTY
from shared.scope import Account, Action, Role, UnitTarget, could, permits, refusal

ADMIN = Account("admin", "管理员甲", Role.ADMIN)
GROUP = Account("group", "评价组员", Role.GROUP)
HESHAN = Account("heshan", "赫山审核员", Role.DISTRICT, district="赫山区")
UNIT = Account("swbgs", "市委办联络员", Role.UNIT, unit="市委办公室")
READER = Account("reader", "只读者", Role.READER)

CITY = UnitTarget("市委办公室", CATEGORY_CITY, None)
CITY_OTHER = UnitTarget("市委组织部", CATEGORY_CITY, None)
HESHAN_UNIT = UnitTarget("赫山区财政局", CATEGORY_COUNTY, "赫山区")
ZIYANG_UNIT = UnitTarget("资阳区财政局", CATEGORY_COUNTY, "资阳区")

# role: (the account, a unit in its scope, a unit out of it)
SUBJECTS = {
    Role.ADMIN: (ADMIN, CITY, ZIYANG_UNIT),
    Role.GROUP: (GROUP, CITY, HESHAN_UNIT),
    Role.DISTRICT: (HESHAN, HESHAN_UNIT, ZIYANG_UNIT),
    Role.UNIT: (UNIT, CITY, CITY_OTHER),
    Role.READER: (READER, CITY, HESHAN_UNIT),
}

Y, N = True, False
# action: {role: (allowed in scope, allowed out of scope)}
EXPECTED = {
    Action.VIEW:    {Role.ADMIN: (Y, Y), Role.GROUP: (Y, Y), Role.DISTRICT: (Y, N), Role.UNIT: (Y, N), Role.READER: (Y, Y)},
    Action.UPLOAD:  {Role.ADMIN: (Y, Y), Role.GROUP: (Y, N), Role.DISTRICT: (Y, N), Role.UNIT: (Y, N), Role.READER: (N, N)},
    Action.REVIEW:  {Role.ADMIN: (Y, Y), Role.GROUP: (Y, N), Role.DISTRICT: (Y, N), Role.UNIT: (N, N), Role.READER: (N, N)},
    Action.VERIFY:  {Role.ADMIN: (Y, Y), Role.GROUP: (Y, N), Role.DISTRICT: (Y, N), Role.UNIT: (N, N), Role.READER: (N, N)},
    Action.SITE:    {Role.ADMIN: (Y, Y), Role.GROUP: (Y, N), Role.DISTRICT: (Y, N), Role.UNIT: (N, N), Role.READER: (N, N)},
    Action.COMMENT: {Role.ADMIN: (Y, Y), Role.GROUP: (Y, N), Role.DISTRICT: (Y, N), Role.UNIT: (N, N), Role.READER: (N, N)},
    Action.REVOKE:  {Role.ADMIN: (Y, Y), Role.GROUP: (Y, N), Role.DISTRICT: (Y, N), Role.UNIT: (N, N), Role.READER: (N, N)},
}
# Actions on the whole city or a district: role -> allowed (年度备案: for its own district / another)
CITY_EXPECTED = {
    Action.SAMPLE:   {Role.ADMIN: Y, Role.GROUP: N, Role.DISTRICT: N, Role.UNIT: N, Role.READER: N},
    Action.EXPORT:   {Role.ADMIN: Y, Role.GROUP: N, Role.DISTRICT: N, Role.UNIT: N, Role.READER: N},
    Action.ACCOUNTS: {Role.ADMIN: Y, Role.GROUP: N, Role.DISTRICT: N, Role.UNIT: N, Role.READER: N},
}
FILING_EXPECTED = {Role.ADMIN: (Y, Y), Role.GROUP: (N, N), Role.DISTRICT: (Y, N), Role.UNIT: (N, N), Role.READER: (N, N)}

UNIT_CASES = [(role, action, inside) for action in EXPECTED for role in Role for inside in (True, False)]


def test_the_table_covers_every_role_and_action():
    assert set(EXPECTED) | set(CITY_EXPECTED) | {Action.FILE_DISTRICT} == set(Action)
    assert all(set(row) == set(Role) for row in (*EXPECTED.values(), *CITY_EXPECTED.values(), FILING_EXPECTED))


@pytest.mark.parametrize("role, action, inside", UNIT_CASES,
                         ids=[f"{r.value}-{a.value}-{'范围内' if i else '范围外'}" for r, a, i in UNIT_CASES])
def test_unit_actions(role, action, inside):
    account, in_scope, out_of_scope = SUBJECTS[role]
    allowed = EXPECTED[action][role][0 if inside else 1]
    assert permits(account, action, in_scope if inside else out_of_scope) is allowed


@pytest.mark.parametrize("action", list(CITY_EXPECTED))
@pytest.mark.parametrize("role", list(Role))
def test_city_actions(role, action):
    assert permits(SUBJECTS[role][0], action) is CITY_EXPECTED[action][role]


@pytest.mark.parametrize("role", list(Role))
def test_district_filing(role):
    account = SUBJECTS[role][0]
    assert permits(account, Action.FILE_DISTRICT, district="赫山区") is FILING_EXPECTED[role][0]
    assert permits(account, Action.FILE_DISTRICT, district="资阳区") is FILING_EXPECTED[role][1]


def test_a_disabled_account_may_do_nothing():
    from dataclasses import replace

    for role in Role:
        account, inside, _ = SUBJECTS[role]
        off = replace(account, active=False)
        assert not any(permits(off, a, inside, district="赫山区") for a in Action)
        assert "已停用" in refusal(off, Action.VIEW, inside)


def test_an_unidentified_submission_is_the_citys():
    nameless = UnitTarget(None, None, None)
    assert permits(GROUP, Action.REVIEW, nameless) and not permits(HESHAN, Action.VIEW, nameless)
    assert not permits(UNIT, Action.VIEW, nameless)


@pytest.mark.parametrize("account, action, target, expected", [
    (HESHAN, Action.REVIEW, ZIYANG_UNIT, "账户“赫山审核员（heshan）”（区县审核员，赫山区）只能处理赫山区的单位，“资阳区财政局”不在本区县（市）范围内，不能初审。"),
    (GROUP, Action.SITE, HESHAN_UNIT, "账户“评价组员（group）”（评价小组成员）对区县（市）单位只能查看，不能对“赫山区财政局”实地验收。"),
    (UNIT, Action.VIEW, CITY_OTHER, "账户“市委办联络员（swbgs）”（创建单位，市委办公室）只能查看和上传本单位的申报，不能查看“市委组织部”。"),
    (UNIT, Action.REVIEW, CITY, "账户“市委办联络员（swbgs）”（创建单位，市委办公室）不能对本单位的申报初审：创建单位只能上传申报和查看结果。"),
    (READER, Action.COMMENT, CITY, "账户“只读者（reader）”（只读）只能查看，不能对“市委办公室”评论。"),
    (GROUP, Action.SAMPLE, None, "账户“评价组员（group）”（评价小组成员）无权抽查：只有管理员可以抽查。"),
])
def test_refusals_say_who_what_and_why_in_chinese(account, action, target, expected):
    assert refusal(account, action, target) == expected


# What each role is offered at all (its tabs and forms), written out by hand from the issue.
COULD = {
    Role.ADMIN: set(Action),
    Role.GROUP: {Action.VIEW, Action.UPLOAD, Action.REVIEW, Action.VERIFY, Action.SITE, Action.COMMENT, Action.REVOKE},
    Role.DISTRICT: {Action.VIEW, Action.UPLOAD, Action.REVIEW, Action.VERIFY, Action.SITE, Action.COMMENT,
                    Action.REVOKE, Action.FILE_DISTRICT},
    Role.UNIT: {Action.VIEW, Action.UPLOAD},
    Role.READER: {Action.VIEW},
}


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_what_each_role_is_offered_at_all(role):
    account = SUBJECTS[role][0]
    assert {action for action in Action if could(account, action)} == COULD[role]
    disabled = Account(account.login, account.name, role, account.district, account.unit, active=False)
    assert not any(could(disabled, action) for action in Action)
