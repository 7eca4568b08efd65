"""The review store as one account sees it: every call acts as that account, checked against the
scope rule (shared/scope.py) where the data is read or written.

A request outside the account's scope is refused with a Chinese message (ScopeRefused) and the
attempt is audited; lists are filtered to what the account may see. Decisions, 核定, corrections,
comments and uploads are recorded under the account's label (显示名（登录名）), never under a name
the page sends. An account given by login is read again on every call, so disabling it (or
changing its role) takes effect at once, in pages already open.

Only the methods below are reachable through this class: the underlying Store is not exposed to
anything but the export writers, and those only to the accounts allowed to export.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from .rubric import City
from .scope import Account, Action, Role, UnitTarget, permits, refusal
from .store import (AccountRow, AuditEntry, BulkResult, Comment, Decision, DecisionRow, DistrictFiling, History, SampleEntry, Store,
                    StoreError, SubmissionRow, UnitRow, UnitState, Version, VerifiedCard, StoredUnit,
                    STAGE_REVIEW, STAGE_SITE, district_filings, file_district)

STAGE_ACTIONS = {STAGE_REVIEW: Action.REVIEW, STAGE_SITE: Action.SITE}


class ScopeRefused(StoreError):
    """The account may not do this; the attempt was audited."""


class ScopedStore:
    def __init__(self, store: Store, account: Account | str):
        self.store = store
        self._fixed = account if isinstance(account, Account) else None
        self._login = account.login if isinstance(account, Account) else str(account)
        self.account  # an unknown or disabled login fails here, before any page is built

    # --- who is acting --------------------------------------------------------------------------

    @property
    def account(self) -> Account:
        """The acting account, as the store knows it now."""
        if self._fixed is not None:
            return self._fixed
        from .accounts import Accounts

        account = Accounts(self.store).get(self._login)
        if account is None:
            raise ScopeRefused(f"账户“{self._login}”不在本系统的账户名单中，请联系管理员开通。")
        if not account.active:
            raise ScopeRefused(f"账户“{account.label}”已停用，不能再操作。如需恢复，请联系管理员。")
        return account

    @property
    def city(self) -> City:
        """The city the store serves (its list, categories and targets): not an account's data."""
        return self.store.city

    @property
    def data_dir(self) -> Path:
        return self.store.data_dir

    def can(self, action: Action, target: UnitTarget | None = None, *, district: str | None = None) -> bool:
        """For screens deciding what to offer; the store still checks every request."""
        return permits(self.account, action, target, district=district)

    def _require(self, action: Action, target: UnitTarget | None = None, *, district: str | None = None,
                 unit_id: int | None = None, version_id: int | None = None) -> Account:
        account = self.account
        if permits(account, action, target, district=district):
            return account
        message = refusal(account, action, target, district=district)
        with self.store._write() as s:
            self.store._audit(s, account.label, "refused", f"拒绝：{message}", unit_id=unit_id, version_id=version_id,
                              after={"account": account.login, "action": action.value,
                                     "unit": target.name if target else None, "district": district})
        raise ScopeRefused(message)

    def _version_target(self, version_id: int) -> tuple[UnitTarget, int | None]:
        with self.store._read() as s:
            row = s.get(SubmissionRow, version_id)
            if row is None:
                raise StoreError(f"没有编号为 {version_id} 的申报版本。")
            unit = s.get(UnitRow, row.unit_id) if row.unit_id is not None else None
            if unit is None:
                return UnitTarget(None, row.org_category, None), None
            return UnitTarget(unit.name, unit.category, unit.district), unit.id

    def _on_version(self, action: Action, version_id: int) -> Account:
        target, unit_id = self._version_target(version_id)
        return self._require(action, target, unit_id=unit_id, version_id=version_id)

    @staticmethod
    def unit_target(unit: StoredUnit) -> UnitTarget:
        return UnitTarget(unit.name, unit.category, unit.district)

    def version_target(self, version: Version) -> UnitTarget:
        return self._version_target(version.id)[0]

    def _visible(self, account: Account, target: UnitTarget) -> bool:
        return permits(account, Action.VIEW, target)

    # --- reading: lists are filtered, single items checked ---------------------------------------

    def units(self) -> list[StoredUnit]:
        account = self.account
        return [u for u in self.store.units() if self._visible(account, self.unit_target(u))]

    def unit(self, name: str) -> StoredUnit | None:
        unit = self.store.unit(name)
        if unit is not None:
            self._require(Action.VIEW, self.unit_target(unit), unit_id=unit.id)
        return unit

    def unit_states(self, year: int) -> list[UnitState]:
        account = self.account
        return [s for s in self.store.unit_states(year) if self._visible(account, self.unit_target(s.unit))]

    def versions(self, unit: str | None = None, year: int | None = None, *, current_only: bool = False) -> list[Version]:
        account = self.account
        if unit is not None:
            self.unit(unit)
        targets = {u.id: self.unit_target(u) for u in self.store.units()}
        return [v for v in self.store.versions(unit, year, current_only=current_only)
                if self._visible(account, targets[v.unit_id] if v.unit_id is not None
                                 else UnitTarget(None, v.org_category, None))]

    def yearly_figures(self, unit: str) -> list[tuple[int, int, dict]]:
        """The unit's figures across its years (Store.yearly_figures), for a unit in the account's scope."""
        return self.store.yearly_figures(unit) if self.unit(unit) is not None else []

    def version(self, version_id: int) -> Version:
        self._on_version(Action.VIEW, version_id)
        return self.store.version(version_id)

    def history(self, version_id: int) -> History:
        self._on_version(Action.VIEW, version_id)
        return self.store.history(version_id)

    @property
    def city(self):
        """The store's city: its editions and configuration (data, not a unit's: no scope)."""
        return self.store.city

    def edition_of(self, version: Version):
        """The rubric edition a version was scored under: the city's data, not a unit's, so no scope to check."""
        return self.store.edition_of(version)

    def decisions(self, version_id: int) -> list[Decision]:
        return self.history(version_id).decisions

    def verified_card(self, version_id: int) -> VerifiedCard:
        self._on_version(Action.VIEW, version_id)
        return self.store.verified_card(version_id)

    def original_path(self, version_id: int) -> Path:
        self._on_version(Action.VIEW, version_id)
        return self.store.original_path(version_id)

    def audit_log(self, version_id: int | None = None) -> list[AuditEntry]:
        if version_id is None:
            self._require(Action.ACCOUNTS)  # the whole log is the administrator's
        else:
            self._on_version(Action.VIEW, version_id)
        return self.store.audit_log(version_id)

    def shared_figures(self, year: int):
        visible = {v.id for v in self.versions(year=year, current_only=True)}
        return [share for share in self.store.shared_figures(year) if set(share.version_ids) <= visible]

    # --- the review: every write under the account's own label -----------------------------------

    def decide(self, version_id: int, stage: str, outcome: str, opinion: str, expected_revision: int) -> Decision:
        action = STAGE_ACTIONS.get(stage, Action.REVIEW)
        account = self._on_version(action, version_id)
        return self.store.decide(version_id, stage, outcome, opinion, account.label, expected_revision)

    def decide_many(self, targets: Iterable[tuple[int, int]], stage: str, outcome: str,
                    opinion: str) -> list[BulkResult]:
        """A bulk decision: each version checked on its own; one out of scope is refused (and audited)
        without stopping the others."""
        action = STAGE_ACTIONS.get(stage, Action.REVIEW)
        results = []
        for version_id, expected in targets:
            try:
                account = self._on_version(action, version_id)
            except StoreError as refused:
                results.append(BulkResult(version_id, f"编号 {version_id} 的申报", None, str(refused)))
                continue
            results.extend(self.store.decide_many([(version_id, expected)], stage, outcome, opinion, account.label))
        return results

    def revoke_decision(self, decision_id: int, reason: str, expected_revision: int) -> Decision:
        with self.store._read() as s:
            row = s.get(DecisionRow, decision_id)
            version_id = row.submission_id if row is not None else None
        if version_id is None:
            raise StoreError(f"没有编号为 {decision_id} 的决定。")
        account = self._on_version(Action.REVOKE, version_id)
        return self.store.revoke_decision(decision_id, account.label, reason, expected_revision)

    def withdraw(self, version_id: int, reason: str, expected_revision: int) -> Version:
        account = self._on_version(Action.REVOKE, version_id)
        return self.store.withdraw(version_id, account.label, reason, expected_revision)

    def confirm_item(self, version_id: int, item_id: str, expected_revision: int) -> VerifiedCard:
        account = self._on_version(Action.VERIFY, version_id)
        return self.store.confirm_item(version_id, item_id, account.label, expected_revision)

    def verify_rules(self, version_id: int, entries: Mapping[str, tuple[object, bool, str]],
                     expected_revision: int) -> VerifiedCard:
        account = self._on_version(Action.VERIFY, version_id)
        return self.store.verify_rules(version_id, entries, account.label, expected_revision)

    def verify(self, version_id: int, rule_id: str, score: object, evidence_seen: bool, reason: str,
               expected_revision: int) -> VerifiedCard:
        return self.verify_rules(version_id, {rule_id: (score, evidence_seen, reason)}, expected_revision)

    def correct_figures(self, version_id: int, figures: Mapping[str, object], expected_revision: int,
                        reason: str = "") -> VerifiedCard:
        account = self._on_version(Action.VERIFY, version_id)
        return self.store.correct_figures(version_id, figures, account.label, expected_revision, reason)

    def add_comment(self, version_id: int, text_: str) -> Comment:
        account = self._on_version(Action.COMMENT, version_id)
        return self.store.add_comment(version_id, account.label, text_)

    # --- uploads ----------------------------------------------------------------------------------

    def upload_target(self, org_name: str | None, org_category: str | None) -> tuple[UnitTarget, int | None]:
        """The unit a checked submission would be recorded under, as the store would find it."""
        unit = self.store.unit(org_name) if org_name and str(org_name).strip() else None
        if unit is None:
            return UnitTarget(str(org_name).strip() if org_name else None, org_category, None), None
        return self.unit_target(unit), unit.id

    def record(self, result, original: str | Path) -> Version:
        target, unit_id = self.upload_target(result.org_name, result.org_category)
        account = self._require(Action.UPLOAD, target, unit_id=unit_id)
        return self.store.record(result, original, by=account.label)

    def load_paths(self, paths: Iterable[str | Path], year: int | None = None) -> tuple[list[Version], list[str]]:
        """Check and record every submission under `paths`; one outside the account's scope is
        refused (and audited) and the others go on. Returns (versions, refusal messages)."""
        from .batch import Reported, check_all, check_base_year, discover

        subs = discover([Path(p) for p in paths])
        reported = Reported()
        versions, refused = [], []
        for sub, result in zip(subs, check_all(subs, year)):
            try:
                check_base_year(result, self.store, reported)  # the unit's own earlier report, whoever uploads
                versions.append(self.record(result, sub.path))
            except ScopeRefused as refusal_:
                refused.append(f"{Path(sub.path).name}：{refusal_}")
        return versions, refused

    # --- the year: 年度备案, 抽查, exports ----------------------------------------------------------

    def file_district(self, year: int, district: str | None = None) -> DistrictFiling:
        account = self.account
        district = district or account.district
        account = self._require(Action.FILE_DISTRICT, district=district)
        return file_district(self.store, district, year, by=account.label)

    def district_filings(self, year: int) -> dict[str, DistrictFiling]:
        account = self.account
        filings = district_filings(self.store, year)
        if account.role is Role.DISTRICT:
            return {d: f for d, f in filings.items() if d == account.district}
        if account.role is Role.UNIT:
            return {}
        return filings

    def draw_sample(self, year: int, rate: Decimal | str, seed: str | None = None) -> list[SampleEntry]:
        from .sampling import draw_sample

        account = self._require(Action.SAMPLE)
        return draw_sample(self.store, year, rate, seed, by=account.label)

    def sample(self, year: int) -> list[SampleEntry]:
        account = self.account
        return [e for e in self.store.sample(year) if self._visible(account, self.unit_target(e.unit))]

    def for_export(self) -> Store:
        """The whole store, for the annual export and the 通报 (administrators only)."""
        self._require(Action.EXPORT)
        return self.store

    def for_unit_report(self, version_id: int) -> Store:
        """The whole store, for one unit's 验收评分表, once the account may see that unit."""
        self._on_version(Action.VIEW, version_id)
        return self.store

    def accounts(self):
        """Account management (administrators only); changes are audited under this account."""
        from .accounts import Accounts

        account = self._require(Action.ACCOUNTS)
        return _AuditedAccounts(Accounts(self.store), account)

    @property
    def signed_in(self) -> bool:
        """Whether the account is one of the store's own (logged in through the Hub), not the one
        person of `jyjg serve`."""
        return self._fixed is None


class _AuditedAccounts:
    """Accounts, with every change made by the administrator acting (and audited under their name).
    An administrator cannot disable or demote their own account: the city would lose its last way in."""

    def __init__(self, accounts, acting: Account):
        self._accounts, self._acting, self._by = accounts, acting, acting.label

    def list(self):
        return self._accounts.list()

    def get(self, login: str):
        return self._accounts.get(login)

    def with_password(self) -> set[str]:
        return self._accounts.with_password()

    def _not_self(self, login: str, what: str) -> None:
        if (login or "").strip().lower() == self._acting.login:
            raise StoreError(f"不能{what}自己正在使用的账户“{self._acting.label}”：请由另一位管理员操作。")

    def add(self, login: str, role: str, **kwargs):
        if role != Role.ADMIN.value:
            self._not_self(login, "把角色改掉")
        return self._accounts.add(login, role, by=self._by, **kwargs)

    def disable(self, login: str):
        self._not_self(login, "停用")
        return self._accounts.disable(login, by=self._by)

    def enable(self, login: str):
        return self._accounts.enable(login, by=self._by)

    def set_password(self, login: str, password: str):
        return self._accounts.set_password(login, password, by=self._by)


def known_logins(store: Store) -> set[str]:
    with store._read() as s:
        return set(s.scalars(select(AccountRow.login)))
