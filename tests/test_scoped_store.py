"""The store as an account sees it: the role × action × in/out-of-scope table of tests/test_scope.py,
driven through the real store on SQLite and PostgreSQL; refusals are audited, writes are recorded
under the acting account, and a disabled account stops at once."""
from __future__ import annotations

import pytest

from shared.accounts import Accounts, hub_db_url
from shared.rubric import CATEGORY_COUNTY, RUBRIC
from shared.scope import Account, Action, Role
from shared.scoped_store import ScopedStore, ScopeRefused
from shared.store import APPROVE, STAGE_REVIEW, STAGE_SITE, InvalidDecision, StaleWrite, StoreError
from test_scope import CITY_EXPECTED, EXPECTED, FILING_EXPECTED, UNIT_CASES
from test_store import Uploads, make_result

# the units of test_scope's SUBJECTS, as the store holds them
UNITS = {"市委办公室": None, "市委组织部": None, "赫山区财政局": "赫山区", "资阳区财政局": "资阳区"}
LOGINS = {Role.ADMIN: "admin", Role.GROUP: "group", Role.DISTRICT: "heshan", Role.UNIT: "swbgs", Role.READER: "reader"}
SCOPE_UNITS = {  # role: (unit in scope, unit out of scope), as in test_scope.SUBJECTS
    Role.ADMIN: ("市委办公室", "资阳区财政局"), Role.GROUP: ("市委办公室", "赫山区财政局"),
    Role.DISTRICT: ("赫山区财政局", "资阳区财政局"), Role.UNIT: ("市委办公室", "市委组织部"),
    Role.READER: ("市委办公室", "赫山区财政局"),
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], scope="module")
def world(request, tmp_path_factory):
    from shared.store import Store

    folder = tmp_path_factory.mktemp("scoped")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'jyjg.db'}"
    else:
        server = request.getfixturevalue("pg_server")
        url = server.new_database()
    store = Store(url, data_dir=folder / "data")
    for name, district in UNITS.items():
        if district:
            store.import_units([(name, 2020, "")], district)
    upload = Uploads(folder)
    versions = {}
    for name, district in UNITS.items():
        result = make_result(name, category=CATEGORY_COUNTY if district else "市直党政机关")
        versions[name] = store.record(result, upload(name))
    accounts = Accounts(store)
    accounts.add("admin", "管理员", name="局长甲")
    accounts.add("group", "评价小组成员", name="组员乙")
    accounts.add("heshan", "区县审核员", district="赫山区", name="赫山丙")
    accounts.add("swbgs", "创建单位", unit="市委办公室", name="市委办丁")
    accounts.add("reader", "只读", name="只读戊")
    yield store, versions, upload, url
    store.close()
    if request.param != "sqlite":
        request.getfixturevalue("pg_server").drop_database(url)


def attempt(scoped: ScopedStore, action: Action, version, upload: Uploads, unit: str):
    """Ask the store for `action` on the unit's version in a way that changes nothing when it
    passes the scope check (a stale revision) — or, for reading, uploading and comments, does it."""
    stale = -1
    if action is Action.VIEW:
        return scoped.version(version.id)
    if action is Action.UPLOAD:
        return scoped.record(make_result(unit, category=CATEGORY_COUNTY if UNITS[unit] else "市直党政机关"), upload(unit))
    if action is Action.REVIEW:
        return scoped.decide(version.id, STAGE_REVIEW, APPROVE, "", stale)
    if action is Action.SITE:
        return scoped.decide(version.id, STAGE_SITE, APPROVE, "", stale)
    if action is Action.VERIFY:
        return scoped.verify(version.id, "2.1.1", 4, True, "", stale)
    if action is Action.REVOKE:
        return scoped.withdraw(version.id, "误传的文件", stale)
    if action is Action.COMMENT:
        return scoped.add_comment(version.id, "请补充领导小组文件")


STORE_CASES = UNIT_CASES


@pytest.mark.parametrize("role, action, inside", STORE_CASES,
                         ids=[f"{r.value}-{a.value}-{'范围内' if i else '范围外'}" for r, a, i in STORE_CASES])
def test_unit_actions_through_the_store(world, role, action, inside):
    store, versions, upload, _ = world
    scoped = ScopedStore(store, LOGINS[role])
    unit = SCOPE_UNITS[role][0 if inside else 1]
    allowed = EXPECTED[action][role][0 if inside else 1]
    before = len(store.audit_log())
    if allowed:
        try:
            attempt(scoped, action, store.versions(unit, 2020)[-1], upload, unit)
        except (StaleWrite, InvalidDecision):
            pass  # past the scope check: the workflow itself answered
        assert not [a for a in store.audit_log()[before:] if a.action == "refused"]
    else:
        with pytest.raises(ScopeRefused) as refused:
            attempt(scoped, action, store.versions(unit, 2020)[-1], upload, unit)
        assert unit in str(refused.value) or "只能" in str(refused.value)
        audit = store.audit_log()[before:]
        assert [a.action for a in audit] == ["refused"]
        assert audit[0].actor == scoped.account.label and audit[0].after["action"] == action.value


@pytest.mark.parametrize("role", list(Role))
def test_city_actions_through_the_store(world, role, tmp_path):
    store, _, _, _ = world
    scoped = ScopedStore(store, LOGINS[role])
    calls = {Action.SAMPLE: lambda: scoped.draw_sample(2020, "0.05"), Action.EXPORT: scoped.for_export,
             Action.ACCOUNTS: lambda: scoped.accounts().list()}
    for action, call in calls.items():
        if CITY_EXPECTED[action][role]:
            call()
        else:
            with pytest.raises(ScopeRefused, match="只有管理员"):
                call()
    for district, allowed in zip(("赫山区", "资阳区"), FILING_EXPECTED[role]):
        if allowed:
            with pytest.raises(StoreError, match="未完成评审"):  # past the scope check; units still await 初审
                scoped.file_district(2020, district)
        else:
            with pytest.raises(ScopeRefused):
                scoped.file_district(2020, district)


def test_lists_hold_only_what_the_account_may_see(world):
    store, _, _, _ = world
    seen = {role: {s.unit.name for s in ScopedStore(store, login).unit_states(2020) if s.unit.name in UNITS}
            for role, login in LOGINS.items()}
    assert seen[Role.ADMIN] == seen[Role.GROUP] == seen[Role.READER] == set(UNITS)
    assert seen[Role.DISTRICT] == {"赫山区财政局"}
    assert seen[Role.UNIT] == {"市委办公室"}
    versions = ScopedStore(store, "heshan").versions()
    assert versions and {v.unit_name for v in versions} == {"赫山区财政局"}


def test_a_decision_is_recorded_under_the_acting_account(world):
    store, _, upload, _ = world
    version = store.record(make_result("赫山区财政局", category=CATEGORY_COUNTY), upload("赫山区财政局"))
    decision = ScopedStore(store, "heshan").decide(version.id, STAGE_REVIEW, APPROVE, "材料齐全", version.revision)
    assert decision.reviewer == "赫山丙（heshan）"
    audit = [a for a in store.audit_log(version.id) if a.action == "decided"]
    assert audit[-1].actor == "赫山丙（heshan）"


def test_unknown_and_disabled_accounts_are_stopped_at_once(world):
    store, _, _, _ = world
    with pytest.raises(ScopeRefused, match="不在本系统的账户名单中"):
        ScopedStore(store, "nobody")
    accounts = Accounts(store)
    accounts.add("temp", "评价小组成员", name="临时")
    scoped = ScopedStore(store, "temp")  # a page open before the account is disabled
    assert scoped.units()
    accounts.disable("temp", by="局长甲（admin）")
    with pytest.raises(ScopeRefused, match="已停用"):
        scoped.units()
    assert accounts.get("temp").active is False  # kept, not deleted
    assert any(a.action == "account_disabled" and a.actor == "局长甲（admin）" for a in store.audit_log())


def test_account_rules(world):
    store, _, _, _ = world
    accounts = Accounts(store)
    for login, role, kwargs, message in [
        ("x", "管理员", {}, "登录名"), ("Bad Name", "管理员", {}, "登录名"), ("ok1", "组长", {}, "角色“组长”不存在"),
        ("ok1", "区县审核员", {}, "--district"), ("ok1", "创建单位", {}, "--unit"),
        ("ok1", "创建单位", {"unit": "不存在的单位"}, "不在单位名单中"), ("ok1", "只读", {"district": "赫山区"}, "只有区县审核员"),
    ]:
        with pytest.raises(StoreError, match=message):
            accounts.add(login, role, **kwargs)
    changed = accounts.add("reader", "区县审核员", district="资阳区", name="只读戊", by="局长甲（admin）")
    assert (changed.role, changed.district) == (Role.DISTRICT, "资阳区")
    assert ScopedStore(store, "reader").account.district == "资阳区"  # read again on each call
    accounts.add("reader", "只读", name="只读戊")


def test_passwords_go_to_the_hubs_store_with_its_rules(world):
    store, _, _, url = world
    pytest.importorskip("nativeauthenticator")
    import bcrypt
    from jupyterhub import orm as hub_orm
    from nativeauthenticator.orm import UserInfo

    accounts = Accounts(store)
    with pytest.raises(StoreError, match="至少 8 位"):
        accounts.set_password("group", "short")
    with pytest.raises(StoreError, match="过于常见"):
        accounts.set_password("group", "password123")
    accounts.set_password("group", "评审-Strong-2020")
    session = hub_orm.new_session_factory(hub_db_url(url))()
    try:
        info = UserInfo.find(session, "group")
        assert info.is_authorized and bcrypt.checkpw("评审-Strong-2020".encode(), info.password)
    finally:
        session.close()
        session.get_bind().dispose()
    accounts.add("gone", "只读")
    accounts.set_password("gone", "another-Strong-1")
    accounts.disable("gone")
    session = hub_orm.new_session_factory(hub_db_url(url))()
    try:
        assert UserInfo.find(session, "gone").is_authorized is False
    finally:
        session.close()
        session.get_bind().dispose()


def test_a_local_single_user_account_acts_under_its_given_name(world):
    store, versions, _, _ = world
    local = Account("zhang", "张处长", Role.ADMIN)
    scoped = ScopedStore(store, local)
    assert scoped.account is local and scoped.units()


def test_every_kind_of_write_is_audited_under_the_acting_account_with_its_time(world):
    """Upload, comment, 核定, figure correction, decision, revocation, withdrawal, account change."""
    from datetime import datetime, timedelta, timezone

    store, _, upload, _ = world
    scoped = ScopedStore(store, "admin")
    before = len(store.audit_log())
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    version = scoped.record(make_result("市委组织部", category="市直党政机关"), upload("市委组织部"))
    scoped.add_comment(version.id, "请补充领导小组文件")
    decision = scoped.decide(version.id, STAGE_REVIEW, APPROVE, "材料齐全", scoped.version(version.id).revision)
    judged = next(item for item in RUBRIC.items if any(not rule.computed for rule in item.rules))
    scoped.confirm_item(version.id, judged.id, scoped.version(version.id).revision)
    figure = next(iter(store.verified_card(version.id).figures))
    scoped.correct_figures(version.id, {figure: 123}, scoped.version(version.id).revision, "按原始台账更正")
    scoped.revoke_decision(decision.id, "误点了通过", scoped.version(version.id).revision)
    scoped.withdraw(version.id, "误传的文件", scoped.version(version.id).revision)
    scoped.accounts().add("auditee", "只读", name="新来的")
    written = store.audit_log()[before:]
    assert {a.actor for a in written} == {"局长甲（admin）"}
    assert all(a.at.astimezone(timezone.utc) >= started for a in written)
    assert {a.action for a in written} >= {"recorded", "comment", "decided", "verified", "figures_corrected",
                                           "revoked", "withdrawn", "account_added"}
