"""The review store: units, every submitted version, 初审 and 实地验收 decisions, 核定得分, comments
and an append-only audit log, kept in SQLite or PostgreSQL (SQLAlchemy 2, Alembic migrations).

The process is the one of 方案 四、组织实施: a unit submits (each upload a new version), the city
does 初审 (通过 / 退回补正), the 评价小组 verifies every rule's score on site (核定得分) and decides
实地验收 (通过 / 不通过 with 整改意见); a unit that fails is carried into next year's list.

Every write to a version names the revision it was based on; a write based on a stale revision is
refused (StaleWrite), detected atomically by `UPDATE ... WHERE revision = :expected`.

Original files are kept by content hash in a data folder: the `data_dir` argument if given, else
JYJG_DATA if set, else `<database name>-data/` beside an SQLite file (jyjg.db -> jyjg-data/), else
(PostgreSQL, in-memory SQLite) `jyjg-data/` in the current folder. Several machines sharing one
PostgreSQL database should point JYJG_DATA at one shared folder.
"""
from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import os
import stat
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    bindparam,
    insert,
    select,
    func,
    text,
    tuple_,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, load_only, mapped_column
from sqlalchemy.pool import StaticPool

from .checks import SubmissionResult, card_of, json_value, skipped_of
from .findings import Finding, count_by_severity
from .files import FileRefused, name_text, open_regular, reason_for
from .names import LABELS
from .numbers import shown
from .rubric import CITY, City, Rubric, normalize_org_name
from .scoring import (BASE_FIGURE_NAMES, FIGURE_NAMES, ScoreCard, as_number, computed_rule_score, pass_rule_text, tally,
                      verdict_reasons, verdict_text)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_DB_URL = "sqlite:///jyjg.db"

# --- the workflow, in one place ------------------------------------------------------------

# States of a version, and of a unit in a year.
NOT_SUBMITTED = "未申报"
AWAITING_REVIEW = "待初审"
RETURNED = "退回补正"
AWAITING_SITE = "待验收"
PASSED = "验收通过"
FAILED = "验收未通过"
STATES = (NOT_SUBMITTED, AWAITING_REVIEW, RETURNED, AWAITING_SITE, PASSED, FAILED)
FINAL_STATES = (PASSED, FAILED)

STAGE_REVIEW = "初审"
STAGE_SITE = "实地验收"
APPROVE = "通过"
RETURN = "退回补正"
REJECT = "不通过"

# stage -> (the state a version must be in, {outcome: the state it moves to})
WORKFLOW: dict[str, tuple[str, dict[str, str]]] = {
    STAGE_REVIEW: (AWAITING_REVIEW, {APPROVE: AWAITING_SITE, RETURN: RETURNED}),
    STAGE_SITE: (AWAITING_SITE, {APPROVE: PASSED, REJECT: FAILED}),
}
# The 评价小组 verifies scores and corrects figures between 初审通过 and its 实地验收 decision.
VERIFY_STATE = AWAITING_SITE

# 附件4 groups whose units do not share a compound (each its own courtyard, or not yet known).
NO_COMPOUND_GROUPS = ("", "独立庭院")

ALL_FIGURE_NAMES = FIGURE_NAMES + BASE_FIGURE_NAMES
REASON_MAX = 200
REVOKE_REASON_MAX = 500
SYSTEM = "系统"
CHINA_TIME = timezone(timedelta(hours=8))


class StoreError(ValueError):
    """A request the store refuses; the message is Chinese and says what to do."""


class UnkeptOriginal(StoreError):
    """A submission whose original cannot be read (not a regular file, no permission, a link loop):
    that one is not recorded; the rest of the batch is."""


class RowRefused(StoreError):
    """A checked submission the database would not take (the rest of its batch is recorded)."""


class StaleWrite(StoreError):
    """Someone changed the version since the caller read it; nothing was written."""

    def __init__(self, message: str, version_id: int, expected: int, current: int):
        super().__init__(message)
        self.version_id = version_id
        self.expected = expected
        self.current = current


class InvalidDecision(StoreError):
    """A decision, score or correction the workflow or the rubric does not allow."""


# --- column types ---------------------------------------------------------------------------

class ExactDecimal(TypeDecorator):
    """A Decimal kept as text, so scores and figures come back exactly on every database."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)


class UtcDateTime(TypeDecorator):
    """A UTC timestamp; SQLite hands back naive values, which are UTC here."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --- tables (the migrations in shared/migrations/versions create exactly these) -------------

class Base(DeclarativeBase):
    metadata = MetaData()


class UnitRow(Base):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("name_key", name="uq_units_name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))  # normalize_org_name(name)
    category: Mapped[str] = mapped_column(String(20))  # rubric.CATEGORY_CITY or CATEGORY_COUNTY
    district: Mapped[str | None] = mapped_column(String(50))  # 区县 units only
    group_name: Mapped[str] = mapped_column(String(100), server_default="")  # 附件4's 大院 / 合署办公 heading
    creation_year: Mapped[int | None] = mapped_column(Integer)
    listed: Mapped[bool] = mapped_column(Boolean, server_default="0")  # on 附件4 or a district's list
    roster_order: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SubmissionRow(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("content_hash", name="uq_submissions_content_hash"),
        UniqueConstraint("unit_id", "assess_year", "number", name="uq_submissions_unit_id"),
        Index("ix_submissions_unit_year", "unit_id", "assess_year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", name="fk_submissions_unit_id_units"))
    assess_year: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[int | None] = mapped_column(Integer)  # version number within the unit's year
    content_hash: Mapped[str] = mapped_column(String(64))
    edition: Mapped[str] = mapped_column(String(60))  # the rubric edition it was scored under, for good
    stored_name: Mapped[str] = mapped_column(String(200))  # path inside the data folder
    original_name: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10))  # xlsx / zip / folder / file
    size: Mapped[int] = mapped_column(BigInteger)
    org_name: Mapped[str | None] = mapped_column(Text)
    org_category: Mapped[str | None] = mapped_column(Text)
    claimed_total: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    rescored_total: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    evidenced_total: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    qualifies: Mapped[bool] = mapped_column(Boolean)
    error_count: Mapped[int] = mapped_column(Integer)
    warning_count: Mapped[int] = mapped_column(Integer)
    rules: Mapped[dict] = mapped_column(JSON)  # id -> {"claimed": raw, "score": "2.5", "evidenced": bool}
    figures: Mapped[dict] = mapped_column(JSON)  # 备案表 figures as read (raw JSON values)
    findings: Mapped[list] = mapped_column(JSON)
    named_values: Mapped[dict] = mapped_column(JSON)
    evidence: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))
    superseded_by: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", name="fk_submissions_superseded_by_submissions"))
    revision: Mapped[int] = mapped_column(Integer, server_default="0")
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # 撤回: a wrong upload taken out of the lists and counts, kept with who, when and why (set once).
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    withdraw_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class DecisionRow(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", name="fk_decisions_submission_id_submissions"), index=True)
    stage: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str] = mapped_column(String(10))
    opinion: Mapped[str] = mapped_column(Text)  # 意见 / 整改意见
    reviewer: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revision: Mapped[int] = mapped_column(Integer)  # the version's revision this decision made
    verified_total: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    marked_down: Mapped[list | None] = mapped_column(JSON)


class RevocationRow(Base):
    """撤销决定: a decision stays as it was made; its revocation is a row of its own."""

    __tablename__ = "decision_revocations"
    __table_args__ = (UniqueConstraint("decision_id", name="uq_decision_revocations_decision_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", name="fk_decision_revocations_decision_id_decisions"))
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", name="fk_decision_revocations_submission_id_submissions"), index=True)
    revoked_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)  # the version's revision this revocation made


class CommentRow(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", name="fk_comments_submission_id_submissions"), index=True)
    author: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditRow(Base):
    """Append-only: the code only inserts, and the database's triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(30))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", name="fk_audit_log_unit_id_units"))
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", name="fk_audit_log_submission_id_submissions"), index=True)
    summary: Mapped[str] = mapped_column(Text)
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)


class VerifiedScoreRow(Base):
    __tablename__ = "verified_scores"

    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", name="fk_verified_scores_submission_id_submissions"), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    score: Mapped[Decimal] = mapped_column(ExactDecimal)
    evidence_seen: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FigureCorrectionRow(Base):
    __tablename__ = "figure_corrections"

    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", name="fk_figure_corrections_submission_id_submissions"), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[Decimal] = mapped_column(ExactDecimal)
    reason: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


# --- what callers get back (plain values, detached from any session) -----------------------

@dataclass(frozen=True)
class StoredUnit:
    id: int
    name: str
    category: str
    district: str | None
    group: str
    creation_year: int | None
    listed: bool

    @property
    def compound(self) -> str | None:
        """The compound whose units may share energy figures and materials (合署办公), if any."""
        return None if self.group in NO_COMPOUND_GROUPS else self.group


@dataclass(frozen=True)
class Version:
    id: int
    unit_id: int | None
    unit_name: str | None
    assess_year: int | None
    number: int | None
    status: str
    superseded_by: int | None
    revision: int
    content_hash: str
    original_name: str
    source: str
    kind: str
    edition: str  # the rubric edition it was scored under: always re-shown and re-tallied under it
    org_name: str | None
    org_category: str | None
    claimed_total: Decimal | None
    rescored_total: Decimal | None
    evidenced_total: Decimal | None
    qualifies: bool
    error_count: int
    warning_count: int
    recorded_by: str
    recorded_at: datetime
    rules: dict = field(default_factory=dict, repr=False)
    figures: dict = field(default_factory=dict, repr=False)
    findings: list = field(default_factory=list, repr=False)
    values: dict = field(default_factory=dict, repr=False)
    evidence: dict = field(default_factory=dict, repr=False)
    created: bool = False  # True when record() stored it just now
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None
    withdraw_reason: str | None = None

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def current(self) -> bool:
        return self.superseded_by is None and self.withdrawn_at is None

    @property
    def label(self) -> str:
        unit = f"“{self.unit_name}”" if self.unit_name else f"“{self.original_name}”"
        year = f"{self.assess_year} 年度" if self.assess_year else ""
        number = f"第 {self.number} 版" if self.number else f"编号 {self.id} 的"
        return f"{unit}{year}{number}申报"


@dataclass(frozen=True)
class Decision:
    id: int
    version_id: int
    stage: str
    outcome: str
    opinion: str
    reviewer: str
    decided_at: datetime
    revision: int
    verified_total: Decimal | None = None
    marked_down: tuple[str, ...] = ()
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class Comment:
    id: int
    version_id: int
    author: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    unit_id: int | None
    version_id: int | None
    summary: str
    before: Any
    after: Any


@dataclass(frozen=True)
class History:
    version: Version
    versions: list[Version]  # every version of the same unit and year, oldest first
    decisions: list[Decision]  # of this version, oldest first
    audit: list[AuditEntry]
    comments: list[Comment]


@dataclass(frozen=True)
class RuleVerdict:
    rule_id: str
    claimed: Decimal  # the re-scored self-assessment (1.1: from the figures as submitted)
    verified: Decimal | None  # the 评价小组's score; 1.1: computed from the verified figures
    evidence_seen: bool | None
    reason: str
    reviewer: str | None
    computed: bool

    @property
    def score(self) -> Decimal:
        return self.claimed if self.verified is None else self.verified


def rescored_card(version: Version, edition: Rubric) -> ScoreCard | None:
    """A version's re-score as a card (its recorded rule scores and the items it marked 不适用, under its own
    edition): its items, gates, ★ items and grade. None for a version with no scores (unreadable)."""
    return None if version.rescored_total is None else card_of(version.rules, version.values, edition)


@dataclass(frozen=True)
class VerifiedCard:
    version_id: int
    revision: int
    edition: Rubric  # the version's edition: its rules, caps and pass mark
    card: ScoreCard  # via scoring.tally over the verified scores (unverified rules at their claim)
    rules: dict[str, RuleVerdict]
    figures: dict[str, Any]  # the figures in force: as submitted, with the group's corrections
    corrections: dict[str, tuple[Any, Decimal]]  # name -> (as submitted, corrected)
    pending: tuple[str, ...]  # rules the group has not verified yet
    marked_down: tuple[str, ...]  # rules verified below their claim

    @property
    def total(self) -> Decimal:
        return self.card.total

    @property
    def complete(self) -> bool:
        return not self.pending


@dataclass(frozen=True)
class UnitState:
    unit: StoredUnit
    year: int
    state: str  # one of STATES
    version_id: int | None  # the version the state comes from
    version_number: int | None
    revision: int | None
    rescored_total: Decimal | None
    verified_total: Decimal | None  # once the 评价小组 has verified at least one rule
    carried_from: int | None  # the year the unit failed 实地验收, when carried over
    rectification: str | None  # that year's 整改意见


@dataclass(frozen=True)
class BulkResult:
    """One submission's answer in a bulk decision: the decision made, or why not (Chinese)."""

    version_id: int
    label: str
    decision: Decision | None
    refused: str | None


@dataclass(frozen=True)
class FigureShare:
    """Current versions of one year that report identical energy figures."""

    figures: dict[str, Any]
    version_ids: tuple[int, ...]
    unit_names: tuple[str, ...]
    same_compound: bool  # all in one compound: sharing is allowed (方案 四（一）合署办公)


# --- the decision rules ----------------------------------------------------------------------

def check_decision(version: Version, stage: str, outcome: str, opinion: str, reviewer: str,
                   card: VerifiedCard | None, year_result: str | None, edition: Rubric) -> str:
    """The workflow's rules for one decision; returns the opinion to keep, or raises InvalidDecision.

    card is the verified card (needed for 实地验收); year_result is the unit's final result for the
    version's year when one has been decided already; edition is the version's rubric edition.
    """
    if stage not in WORKFLOW:
        raise InvalidDecision(f"未知的评审环节“{stage}”，应为“{STAGE_REVIEW}”或“{STAGE_SITE}”。")
    needed, outcomes = WORKFLOW[stage]
    if outcome not in outcomes:
        allowed = "”或“".join(outcomes)
        raise InvalidDecision(f"{stage}的结论应为“{allowed}”，不能是“{outcome}”。")
    if not (reviewer or "").strip():
        raise InvalidDecision("请填写评审人姓名。")
    opinion = (opinion or "").strip()
    if version.withdrawn:
        raise InvalidDecision(f"{version.label}已撤回，不能再作{stage}结论。")
    if version.superseded_by is not None:
        raise InvalidDecision(f"{version.label}已被新版本替代，请对最新版本作出{stage}结论。")
    if year_result is not None:
        raise InvalidDecision(
            f"{version.unit_name} {version.assess_year} 年度已有实地验收结论（{year_result}），不能再作{stage}结论。"
            "未通过的单位请按整改意见整改后，纳入下一年度申报。")
    if version.status != needed:
        raise InvalidDecision(_wrong_state_message(version, stage))
    if stage == STAGE_REVIEW and outcome == APPROVE:
        if version.rescored_total is None:
            raise InvalidDecision(f"{version.label}无法读取或不是本系统的自评表，不能初审通过，请退回补正。")
        if edition.simple and version.rescored_total < edition.qualify_at:
            raise InvalidDecision(
                f"{version.label}按评分规则重新计算的自评分为 {_shown(version.rescored_total)} 分，"
                f"低于 {_shown(edition.qualify_at)} 分，不符合申报条件（自评达 {_shown(edition.qualify_at)} 分以上方可申报），"
                "请退回补正。")
        card_now = rescored_card(version, edition)
        if not edition.simple and card_now is not None and not card_now.qualifies:
            raise InvalidDecision(
                f"{version.label}按评分规则重新计算，{'；'.join(verdict_reasons(card_now))}，不符合申报条件"
                f"（须{pass_rule_text(edition)}），请退回补正。")
    if stage == STAGE_REVIEW and outcome == RETURN and not opinion:
        raise InvalidDecision("退回补正须填写意见，写明需要补正的内容。")
    if stage == STAGE_SITE:
        assert card is not None
        if card.pending:  # either outcome rests on the group's own look at every rule
            raise InvalidDecision(
                f"还有 {len(card.pending)} 条规则未核定（{'、'.join(card.pending)}）：只有评价小组逐条核定过的规则才算核定，"
                "请在“核定”中核定这些规则后再作实地验收结论。")
    if stage == STAGE_SITE and outcome == APPROVE:
        if not card.card.qualifies:
            why = (f"核定总分为 {_shown(card.total)} 分，低于 {_shown(edition.qualify_at)} 分" if edition.simple
                   else f"核定结果{'；'.join(verdict_reasons(card.card))}")
            raise InvalidDecision(f"{why}，不能验收通过。请核对核定得分，或作“不通过”结论并提出整改意见。")
    if stage == STAGE_SITE and outcome == REJECT and not opinion:
        assert card is not None
        opinion = rectification_draft(card)
    return opinion


def state_after(decisions: Iterable[tuple[str, str]]) -> str:
    """The state a version reaches through its standing decisions, (stage, outcome) oldest first."""
    state = AWAITING_REVIEW
    for stage, outcome in decisions:
        state = WORKFLOW[stage][1][outcome]
    return state


def _wrong_state_message(version: Version, stage: str) -> str:
    status = version.status
    if stage == STAGE_REVIEW and status == RETURNED:
        return f"{version.label}已退回补正，请等单位提交新版本后再初审。"
    if stage == STAGE_REVIEW:
        return f"{version.label}已初审（当前状态：{status}），不能重复初审。"
    if status in (AWAITING_REVIEW, RETURNED):
        return f"{version.label}尚未初审通过（当前状态：{status}），不能实地验收。"
    return f"{version.label}已有实地验收结论（{status}），不能重复验收。"


def rectification_draft(card: VerifiedCard) -> str:
    """The 整改意见 a 不通过 starts from: the verified total and every rule marked down."""
    if card.edition.simple:
        lines = [f"核定总分 {_shown(card.total)} 分（达到 {_shown(card.edition.qualify_at)} 分方可通过）。"]
    else:  # gates, ★ items, further conditions: say which are not met, and what passing takes
        lines = [f"核定总分 {_shown(card.total)} 分，{verdict_text(card.card)}。"]
    if card.marked_down:
        lines.append("以下规则核减，请整改：")
    for rule_id in card.marked_down:
        verdict = card.rules[rule_id]
        rule = card.edition.rule(rule_id)
        reason = f"：{verdict.reason}" if verdict.reason else ""
        if rule.gate:  # a requirement is met or not: no points
            lines.append(f"{rule_id} {rule.label}（自评符合，核定不符合）{reason}")
        else:
            lines.append(f"{rule_id} {rule.label}（自评 {_shown(verdict.claimed)} 分，核定 {_shown(verdict.score)} 分）{reason}")
    return "\n".join(lines)


def _shown(value: Decimal | None) -> str:
    return "—" if value is None else shown(value)


def check_verified_score(rule_id: str, score: object, reason: str, claimed: Decimal, edition: Rubric) -> Decimal:
    """A verified score must be one of the rule's allowed values (in the version's edition); a change from the
    claim needs a reason."""
    try:
        rule = edition.rule(rule_id)
    except KeyError:
        raise InvalidDecision(f"没有编号为“{rule_id}”的评分规则。") from None
    if rule.computed:
        raise InvalidDecision(
            f"规则 {rule_id}（{rule.label}）的得分由备案表能耗数据计算，不能直接核定；数据有误时请更正能耗数据。")
    value = _number(score)
    allowed = "、".join(_shown(a) for a in rule.allowed)
    if value is None:
        raise InvalidDecision(f"规则 {rule_id} 的核定得分“{score}”不是数值，请从 {allowed} 中选择。")
    if value > rule.points:
        raise InvalidDecision(f"规则 {rule_id} 的核定得分 {_shown(value)} 分超过本规则最高 {_shown(rule.points)} 分，请从 {allowed} 中选择。")
    if value not in rule.allowed:
        raise InvalidDecision(f"规则 {rule_id} 的核定得分 {_shown(value)} 分不是本规则的计分档次，请从 {allowed} 中选择。")
    reason = (reason or "").strip()
    if value != claimed and not reason:
        raise InvalidDecision(
            f"规则 {rule_id} 核定 {_shown(value)} 分，与自评 {_shown(claimed)} 分不同，请简要填写理由。")
    if len(reason) > REASON_MAX:
        raise InvalidDecision(f"规则 {rule_id} 的理由有 {len(reason)} 字，请精简到 {REASON_MAX} 字以内。")
    return next(a for a in rule.allowed if a == value)


def _number(raw: object) -> Decimal | None:
    """A number typed by a reviewer: a number, or text that reads as one."""
    if isinstance(raw, str):
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            return None
        return value if value.is_finite() else None
    return as_number(raw)


# --- the data folder: originals by content hash --------------------------------------------

def default_db_url() -> str:
    return os.environ.get("JYJG_DB") or DEFAULT_DB_URL


def default_data_dir(url: str) -> Path:
    """JYJG_DATA if set; else beside an SQLite file (jyjg.db -> jyjg-data/); else ./jyjg-data."""
    if os.environ.get("JYJG_DATA"):
        return Path(os.environ["JYJG_DATA"])
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        db = Path(parsed.database).resolve()
        return db.with_name(f"{db.stem}-data")
    return Path.cwd() / "jyjg-data"


class _TooBig(Exception):
    """More than the checker reads: the original is recorded, not kept."""


def deterministic_zip(folder: Path, out, limit: int | None = None) -> None:
    """Zip a package folder so the same contents always give the same bytes (and hash).

    Entries sit under the folder's name, as Windows Explorer zips a folder; links are not followed, and
    only regular files are taken. More than `limit` bytes of files raise _TooBig.
    """
    folder = Path(folder)
    total = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for root, dirs, files in os.walk(folder, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(root, d)))
            for name in sorted(files):
                path = Path(root) / name
                if path.is_symlink() or not path.is_file():
                    continue
                arcname = f"{name_text(folder.name)}/{name_text(path.relative_to(folder).as_posix())}"
                info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                try:
                    src = open_regular(path)
                except FileRefused:
                    continue  # swapped for a pipe or a device since the walk saw it
                with src, zf.open(info, "w") as dst:
                    while chunk := _read_source(src, path):
                        total += len(chunk)
                        if limit is not None and total > limit:
                            raise _TooBig
                        dst.write(chunk)


def _read_source(src, path: Path) -> bytes:
    """A chunk of a submitted file; a failure to read it refuses that submission, not the batch."""
    try:
        return src.read(1 << 20)
    except OSError as error:
        raise UnkeptOriginal(f"申报文件“{name_text(path)}”{reason_for(error)}，未记入。") from error


@contextmanager
def _incoming_copy(incoming: Path):
    """(open file, its path) in incoming/, locked for as long as it is being written: a process killed
    mid-copy leaves it unlocked, and the next Store to open removes it (_clean_incoming)."""
    with _gate(incoming, shared=True):
        fd, tmp = tempfile.mkstemp(dir=incoming, prefix="copy-")
        _flock(fd, exclusive=True)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out, tmp
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _clean_incoming(incoming: Path) -> None:
    """Remove the half-written copies a killed process left behind; copies being written are locked."""
    if not incoming.is_dir():
        return
    try:
        with _gate(incoming, shared=False):
            for entry in os.scandir(incoming):
                if entry.name == _GATE or not entry.is_file(follow_symlinks=False):
                    continue
                try:
                    fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
                except OSError:
                    continue
                try:
                    if _flock(fd, exclusive=True, wait=False):
                        os.unlink(entry.path)
                finally:
                    os.close(fd)
    except OSError:
        pass  # a read-only data folder, or one on a file system without locks: nothing to clean there


_GATE = ".lock"


@contextmanager
def _gate(incoming: Path, shared: bool):
    """The folder's gate: writers pass it (shared) to create and lock a copy; the cleaner holds it alone."""
    fd = os.open(incoming / _GATE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _flock(fd, exclusive=not shared)
        yield
    finally:
        os.close(fd)


def _flock(fd: int, exclusive: bool, wait: bool = True) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no cleaning, copies are still removed on failure
        return False
    operation = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | (0 if wait else fcntl.LOCK_NB)
    try:
        fcntl.flock(fd, operation)
    except BlockingIOError:
        return False
    except OSError:
        return False  # no locks on this file system
    return True


def _not_kept_hash(src, size: int, original: Path) -> str:
    """A file too big to keep stands for itself by its size and first megabyte (so loading it twice is one version)."""
    digest = hashlib.sha256(f"jyjg-not-kept:{size}:".encode())
    digest.update(_read_source(src, original))
    return digest.hexdigest()


def _size_of(path: Path) -> int:
    if not path.is_dir():
        return os.path.getsize(path)
    total = 0
    for root, _, files in os.walk(path, followlinks=False):
        for name in files:
            with contextlib.suppress(OSError):
                info = os.lstat(os.path.join(root, name))
                total += info.st_size if stat.S_ISREG(info.st_mode) else 0
    return total


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    return suffix if suffix[1:].isalnum() and len(suffix) <= 10 else ""


@dataclass(frozen=True)
class KeptOriginal:
    """An original as keep_original left it in a data folder: (content hash, stored name, kind, size), or
    why it could not be kept. A load's workers keep each original where they check it and hand this on; the
    store takes it as kept only when it was kept in its own data folder."""
    path: Path
    data_dir: Path
    kept: tuple[str, str, str, int] | None
    refused: str | None = None  # why it was not kept (UnkeptOriginal's message)


def keep_original(data_dir: Path, original: Path) -> KeptOriginal:
    """Copy the original into `data_dir` under its content hash (a folder as a zip).

    The hash is of the bytes written to the copy (of the copy itself, for a folder's zip), so what is kept
    is exactly what was hashed, whatever happens to the original meanwhile. Only a regular file (or a
    folder's regular files) is kept, and no more of it than the checker reads (submission.size_limit): a
    bigger one is recorded under a hash of its size and first megabyte, with no copy (stored_name "").
    One that cannot be read at all comes back with `refused` saying why. No database is touched.
    """
    try:
        return KeptOriginal(original, data_dir, _keep(data_dir, original))
    except UnkeptOriginal as error:
        return KeptOriginal(original, data_dir, None, str(error))


def _keep(data_dir: Path, original: Path) -> tuple[str, str, str, int]:
    from .submission import size_limit

    shown = name_text(original)
    is_dir = original.is_dir()
    limit = size_limit(original)
    kind = ("folder" if is_dir else (original.suffix.lower().lstrip(".") or "file"))[:10]
    src = None
    if not is_dir:
        try:
            src = open_regular(original)
        except FileRefused as error:
            raise UnkeptOriginal(f"申报文件“{shown}”{error.reason}，未记入。") from error
        size = os.fstat(src.fileno()).st_size
        if size > limit:
            with src:
                return _not_kept_hash(src, size, original), "", kind, size
    incoming = data_dir / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    with _incoming_copy(incoming) as (out, tmp):
        try:
            if is_dir:
                deterministic_zip(original, out, limit)
            else:
                digest = hashlib.sha256()
                with src:
                    copied = 0
                    while chunk := _read_source(src, original):
                        copied += len(chunk)
                        if copied > limit:  # it grew while being copied
                            raise _TooBig
                        digest.update(chunk)
                        out.write(chunk)
        except _TooBig:
            return hashlib.sha256(f"jyjg-not-kept:{shown}".encode()).hexdigest(), "", kind, _size_of(original)
        out.flush()
        content_hash = _hash_file(Path(tmp)) if is_dir else digest.hexdigest()  # a zip is rewritten in place
        suffix = ".zip" if is_dir else _suffix(original)
        stored_name = f"originals/{content_hash[:2]}/{content_hash}{suffix}"
        target = data_dir / stored_name
        size = os.path.getsize(tmp)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)  # while its lock is held: a cleaner never takes a live copy
        return content_hash, stored_name, kind, size


# --- a checked submission, as the store records it --------------------------------------------

@dataclass(frozen=True)
class Checked:
    """A checked submission as the store records it: what its unit is found by, and the columns that come
    from the result alone, ready for the database. A load's workers make it where they check, so the one
    process that records does no converting (record_many takes a SubmissionResult too)."""
    source: str
    org_name: str | None
    org_category: str | None
    assess_year: int | None
    columns: dict = field(repr=False)

    def with_findings(self, found: list[Finding]) -> Checked:
        """The same with `found` added to its findings (and counts): what the recording process learns
        of a submission only then (its base year against the store)."""
        if not found:
            return self
        errors, warnings = count_by_severity(found)
        columns = dict(self.columns, findings=[*self.columns["findings"], *(_jsonable(f.as_dict()) for f in found)],
                       error_count=self.columns["error_count"] + errors,
                       warning_count=self.columns["warning_count"] + warnings)
        return replace(self, columns=columns)


def checked_for_store(result: SubmissionResult, city: City = CITY) -> Checked:
    errors, warnings = result.counts
    return Checked(result.source, result.org_name, result.org_category, result.assess_year, dict(
        assess_year=result.assess_year,
        edition=result.edition or city.config.edition_name(result.assess_year),
        source=_fit(name_text(result.source)),
        org_name=_fit(result.org_name),
        org_category=_fit(result.org_category),
        claimed_total=result.claimed_total,
        rescored_total=result.rescored_total,
        evidenced_total=result.evidenced_total,
        qualifies=bool(result.qualifies),
        error_count=errors,
        warning_count=warnings,
        rules={rid: _rule_json(r) for rid, r in result.rules.items()},
        figures={n: _cell_json((result.figures or result.values).get(n)) for n in ALL_FIGURE_NAMES},
        findings=[_jsonable(f.as_dict()) for f in result.findings],
        named_values={k: _cell_json(v) for k, v in result.values.items()},
        evidence=_jsonable(result.evidence),
    ))


class _RowValues:
    """A version row's column values (a dict) read as attributes, as from the row itself."""

    def __init__(self, values: dict):
        self.__dict__.update(values)


# --- the store -------------------------------------------------------------------------------

def _json_text(value: Any) -> str:
    """A JSON column's text: Chinese as it is, not as \\uXXXX escapes (which made a version's findings twice
    as long, and every insert and update write twice the pages). Text a database cannot hold as UTF-8 (a
    lone surrogate, which the store's own values never carry, see _fit) keeps its escapes."""
    written = json.dumps(value, ensure_ascii=False)
    if not written.isascii() and _has_surrogate(written):
        return json.dumps(value)
    return written


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, json_serializer=_json_text)
    memory = parsed.database in (None, "", ":memory:")
    engine = create_engine(
        url,
        json_serializer=_json_text,
        connect_args={"timeout": 60, "check_same_thread": False},
        poolclass=StaticPool if memory else None,
    )

    # pysqlite's own transaction handling starts transactions late and never for DDL; take it over
    # so every transaction is real and writers take the lock up front (BEGIN IMMEDIATE), which
    # makes concurrent writers wait for each other instead of failing with "database is locked".
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _begin(connection):
        write = connection.get_execution_options().get("jyjg_write")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema with the Alembic migrations beside this module."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.execution_options(jyjg_write=True).begin() as connection:
        _lock(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _lock(connection) -> None:
    """Serialize whole-store writes (migrations, roster, new versions). SQLite's BEGIN IMMEDIATE
    already does; PostgreSQL takes a transaction-scoped advisory lock."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(7284201)"))


class Store:
    """The review store over one database. Open one per thread or process; each has its own pool."""

    def __init__(self, url: str | None = None, data_dir: str | Path | None = None, *, sync: bool = True,
                 city: City = CITY):
        self.city = city  # its roster, categories, targets and rubric editions
        self.url = url or default_db_url()
        self.engine = _make_engine(self.url)
        self._writer = self.engine.execution_options(jyjg_write=True)
        self.data_dir = Path(data_dir) if data_dir else default_data_dir(self.url)
        _clean_incoming(self.data_dir / "incoming")
        upgrade_schema(self.engine)
        if sync:
            self.sync_roster()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def _write(self, lock: bool = False) -> Iterator[Session]:
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            if lock:
                _lock(session.connection())
            yield session

    # --- units -------------------------------------------------------------------------

    def sync_roster(self) -> int:
        """Bring the 附件4 units (the city's roster) into the store; returns how many were added or changed."""
        changed = 0
        with self._write(lock=True) as s:
            for order, entry in enumerate(self.city.roster):
                wanted = dict(name=entry.name, category=self.city.categories.city, district=None,
                              group_name=entry.group, creation_year=entry.year, listed=True, roster_order=order)
                changed += self._upsert_unit(s, self._key(entry.name), wanted, SYSTEM, "附件4名单")
        return changed

    def import_units(self, rows: Iterable[Mapping[str, Any] | tuple], district: str, *, by: str = SYSTEM) -> int:
        """Add or update a district's (区县) units: rows of (name, year, group) or mappings with those keys."""
        district = self.check_district(district)
        parsed = [self._district_row(row, district) for row in rows]
        changed = 0
        with self._write(lock=True) as s:
            for key, wanted in parsed:
                existing = s.scalar(select(UnitRow).where(UnitRow.name_key == key))
                if existing is not None and existing.listed and existing.district != district:
                    owner = existing.district or "市直名单（附件4）"
                    raise StoreError(
                        f"单位“{wanted['name']}”已在{owner}中，不能再导入到{district}。"
                        "同名单位请写全称（如冠以区县名称）。")
                changed += self._upsert_unit(s, key, wanted, by, f"{district}创建名单")
        return changed

    def check_district(self, district: str | None) -> str:
        """A district of the city (city.toml districts), or StoreError naming the ones there are."""
        district = (district or "").strip()
        if not district:
            raise StoreError("请填写区县（市）名称。")
        if district not in self.city.districts:
            raise StoreError(f"“{district}”不是{self.city.name}的区县（市）。可选：{'、'.join(self.city.districts)}。")
        return district

    def _key(self, name: str) -> str:
        return normalize_org_name(name, self.city.name)

    def unit_key(self, name: str) -> str:
        """The key a unit is stored under, whatever name it is given by: its roster name when it is on the
        city's roster, normalised, as every database can hold it ("" for no name)."""
        return self._unit_key(name)[0] or ""

    def _district_row(self, row, district: str) -> tuple[str, dict]:
        if isinstance(row, Mapping):
            name, year, group = row.get("name"), row.get("year"), row.get("group", "")
        else:
            name, year, group = (tuple(row) + ("",))[:3]
        name = str(name or "").strip()
        if not name:
            raise StoreError(f"{district}创建名单中有一行没有单位名称。")
        try:
            year = int(str(year).strip())
        except ValueError:
            raise StoreError(f"{district}创建名单中“{name}”的创建年度“{year}”不是四位数年份。") from None
        wanted = dict(name=name, category=self.city.categories.county, district=district,
                      group_name=str(group or "").strip(), creation_year=year, listed=True, roster_order=None)
        return self._key(name), wanted

    def _upsert_unit(self, s: Session, key: str, wanted: dict, by: str, source: str) -> int:
        row = s.scalar(select(UnitRow).where(UnitRow.name_key == key))
        if row is None:
            self._add_unit(s, key, wanted, by, source)
            return 1
        before = {k: getattr(row, k) for k in wanted}
        if before == wanted:
            return 0
        for k, v in wanted.items():
            setattr(row, k, v)
        self._audit(s, by, "unit_changed", f"按{source}更新单位“{row.name}”", unit_id=row.id, before=before, after=wanted)
        return 1

    def _add_unit(self, s: Session, key: str, wanted: dict, by: str, source: str) -> UnitRow:
        row = UnitRow(name_key=key, created_at=_now(), **wanted)
        s.add(row)
        s.flush()
        self._audit(s, by, "unit_added", f"按{source}新增单位“{row.name}”", unit_id=row.id, after=wanted)
        return row

    def _unit_key(self, org_name: str | None) -> tuple[str | None, Any]:
        """The unit key a submission's org_name is filed under, and its roster entry (None when unlisted);
        (None, None) for no name."""
        org_name = _fit(org_name)
        if not org_name or not str(org_name).strip():
            return None, None
        entry = self.city.find_roster_unit(org_name)
        return _fit(self._key(entry.name if entry else org_name), 200), entry

    def _unit_for(self, s: Session, org_name: str | None, org_category: str | None, by: str,
                  known: dict[str, UnitRow] | None = None) -> UnitRow | None:
        """The unit a submission belongs to, by normalized name; an unlisted unit is created. A name
        longer than the column is cut (the version keeps it whole). `known`: every unit of the names
        being recorded that the store holds, by key (units made here are added to it)."""
        key, entry = self._unit_key(org_name)
        if key is None:
            return None
        if known is not None and key in known:
            return known[key]
        row = s.scalar(select(UnitRow).where(UnitRow.name_key == key)) if known is None else None
        if row is not None:
            return row
        if entry is not None:
            order = self.city.roster.index(entry)
            wanted = dict(name=entry.name, category=self.city.categories.city, district=None, group_name=entry.group,
                          creation_year=entry.year, listed=True, roster_order=order)
        else:
            category = org_category if org_category in self.city.categories.all else self.city.categories.city
            wanted = dict(name=_fit(str(_fit(org_name)).strip(), 200), category=category, district=None, group_name="",
                          creation_year=None, listed=False, roster_order=None)
        row = self._add_unit(s, key, wanted, by, "申报材料" if entry is None else "附件4名单")
        if known is not None:
            known[key] = row
        return row

    def units(self) -> list[StoredUnit]:
        with self._read() as s:
            return [_unit(r) for r in s.scalars(select(UnitRow)).all()]

    def unit(self, name: str) -> StoredUnit | None:
        key = self.unit_key(name)
        with self._read() as s:
            row = s.scalar(select(UnitRow).where(UnitRow.name_key == key))
            return _unit(row) if row else None

    def compound_members(self, name: str) -> list[StoredUnit]:
        """The units that share a compound with this one (itself included); [] when it has none."""
        unit = self.unit(name)
        if unit is None or unit.compound is None:
            return []
        with self._read() as s:
            rows = s.scalars(select(UnitRow).where(
                UnitRow.group_name == unit.group,
                UnitRow.district.is_(None) if unit.district is None else UnitRow.district == unit.district,
            ).order_by(UnitRow.roster_order, UnitRow.name)).all()
            return [_unit(r) for r in rows]

    # --- versions ------------------------------------------------------------------------

    def record(self, result: SubmissionResult, original: str | Path, *, by: str = SYSTEM) -> Version:
        """Keep one checked submission as a version; the same original (by content hash) is kept once.

        A later version of the same unit and year supersedes the earlier one, whose decisions stay.
        A submission that cannot be recorded raises StoreError (UnkeptOriginal, RowRefused).
        """
        (outcome,) = self.record_many([(result, original)], by=by)
        if isinstance(outcome, StoreError):
            raise outcome
        return outcome

    def record_many(self, items: Iterable[tuple[SubmissionResult | Checked, str | Path | KeptOriginal]], *,
                    by: str = SYSTEM) -> list[Version | StoreError]:
        """Record a batch in one transaction (a load of 100,000 does not wait for 100,000 commits): each
        item's Version, or the StoreError that says why that one was not recorded; the others are. An item
        is a checked submission (its result, or the Checked a worker made of it) and its original (its
        path, or the KeptOriginal a worker made of it in this store's data folder).

        The originals are kept first, then every row is written in one transaction: a kill leaves the store
        as it was before the batch (kept originals without a row are harmless)."""
        by = _fit(by, 100)
        prepared: list[tuple[Checked, Path, tuple] | StoreError] = []
        for result, original in items:
            path = original.path if isinstance(original, KeptOriginal) else Path(original)
            checked = result if isinstance(result, Checked) else checked_for_store(result, self.city)
            try:
                prepared.append((checked, path, self._keep_original(original)))
            except UnkeptOriginal as error:
                prepared.append(error)
        from sqlalchemy.exc import InterfaceError, OperationalError, StatementError

        with self._write(lock=True) as s:
            # The whole batch in a few statements; when the database refuses one row, the batch is undone
            # and written again row by row, each in a savepoint, so only that row is refused.
            try:
                with s.begin_nested():
                    return self._record_batch(s, prepared, by)
            except StatementError as error:
                if isinstance(error, (OperationalError, InterfaceError)):
                    raise  # the database itself failed: the whole batch rolls back
            outcomes: list[Version | StoreError] = []
            for entry in prepared:
                if isinstance(entry, StoreError):
                    outcomes.append(entry)
                    continue
                checked, original, kept = entry
                try:
                    with s.begin_nested():
                        outcomes.append(self._record_batch(s, [entry], by)[0])
                except StatementError as error:
                    if isinstance(error, (OperationalError, InterfaceError)):
                        raise
                    detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:200]
                    outcomes.append(RowRefused(
                        f"“{_fit(name_text(checked.source))}”未能记入数据库（{detail}），其余申报照常记入。"
                        "请把这份材料交给系统管理员检查。"))
        return outcomes

    def _record_batch(self, s: Session, prepared: list, by: str) -> list[Version | StoreError]:
        """record_many's rows written together: what the batch needs of the store (versions of the same
        content, units, each unit's current version and last number) is read in one query each; the rows,
        the superseded versions and the audit entries are each written in one statement."""
        live = [entry for entry in prepared if not isinstance(entry, StoreError)]
        table = SubmissionRow.__table__
        hashes = {kept[0] for _, _, kept in live}
        same_content: dict[str, Any] = {
            row.content_hash: row for row in s.scalars(select(SubmissionRow).where(SubmissionRow.content_hash.in_(hashes)))
        } if hashes else {}
        new = [(checked, original, kept) for checked, original, kept in live if kept[0] not in same_content]
        units = self._units_for(s, [(checked.org_name, checked.org_category) for checked, _, _ in new], by)
        unit_ids = {unit.id for unit in units if unit is not None}
        last_number, current = self._latest_of(s, unit_ids)
        now = _now()
        rows: list[dict] = []
        previous: list[int | None] = []  # per new row: the version it supersedes (an id, or -1 - its index)
        originals: list[Path] = []
        for (checked, original, kept), unit in zip(new, units):
            content_hash, stored_name, kind, size = kept
            if content_hash in same_content:  # the same content twice in this batch: recorded once
                continue
            key = (unit.id, checked.assess_year) if unit is not None else None
            number = last_number.get(key, 0) + 1 if key else None
            previous.append(current.get(key, (0, None))[1] if key else None)
            if key:
                last_number[key], current[key] = number, (number, -1 - len(rows))
            same_content[content_hash] = len(rows)
            originals.append(original)
            rows.append(dict(
                checked.columns, unit_id=unit.id if unit else None, number=number, content_hash=content_hash,
                stored_name=stored_name, original_name=_fit(name_text(original.name), 500), kind=kind, size=size,
                status=AWAITING_REVIEW, revision=0, recorded_by=by, recorded_at=now, superseded_by=None,
                withdrawn_at=None, withdrawn_by=None, withdraw_reason=None))
        ids = s.scalars(insert(SubmissionRow).returning(SubmissionRow.id, sort_by_parameter_order=True),
                        rows).all() if rows else []
        for row, row_id in zip(rows, ids):
            row["id"] = row_id
        superseding = []
        for index, before in enumerate(previous):
            before = ids[-1 - before] if before is not None and before < 0 else before
            previous[index] = before
            if before is not None:
                superseding.append({"old": before, "new": ids[index]})
        if superseding:
            s.execute(update(table).where(table.c.id == bindparam("old"))
                      .values(superseded_by=bindparam("new"), revision=table.c.revision + 1), superseding)
        unit_names = {unit.id: unit.name for unit in units if unit is not None}
        made = [self._version_of(_RowValues(row), unit_names.get(row["unit_id"]), created=True) for row in rows]
        if made:
            s.execute(insert(AuditRow), [
                dict(at=now, actor=by, action="recorded", unit_id=version.unit_id, submission_id=version.id,
                     summary=f"收到{version.label}（{_fit(name_text(original.name))}）",
                     before={"superseded": before} if before is not None else None,
                     after={"content_hash": version.content_hash, "rescored_total": _jsonable(version.rescored_total),
                            "status": version.status})
                for version, original, before in zip(made, originals, previous)])
        answers: list[Version | StoreError] = []
        given: set[int] = set()
        for entry in prepared:
            if isinstance(entry, StoreError):
                answers.append(entry)
                continue
            found = same_content[entry[2][0]]
            if isinstance(found, int):  # made in this batch: created once, the same content again is not
                answers.append(made[found] if found not in given else replace(made[found], created=False))
                given.add(found)
            else:
                answers.append(self._version(s, found))
        return answers

    @staticmethod
    def _latest_of(s: Session, unit_ids: set[int]) -> tuple[dict, dict]:
        """Per (unit id, year) of these units: its last version number, and its current version as
        (number, id). Read from the index, and of the rows only each year's last (a row is long, its JSON
        spilling over several pages, and a unit resubmitting all year has many): that one is current unless
        it was withdrawn, and only then are the year's other live versions read."""
        table = SubmissionRow.__table__
        last_number: dict[tuple[int, int | None], int] = {}
        current: dict[tuple[int, int | None], tuple[int, int]] = {}
        if not unit_ids:
            return last_number, current
        for unit_id, year, number in s.execute(
                select(table.c.unit_id, table.c.assess_year, func.max(table.c.number))
                .where(table.c.unit_id.in_(unit_ids)).group_by(table.c.unit_id, table.c.assess_year)):
            last_number[unit_id, year] = number or 0
        lasts = {(unit_id, number) for (unit_id, _), number in last_number.items()}
        for unit_id, year, number, version_id, superseded, withdrawn in s.execute(
                select(table.c.unit_id, table.c.assess_year, table.c.number, table.c.id, table.c.superseded_by,
                       table.c.withdrawn_at).where(tuple_(table.c.unit_id, table.c.number).in_(lasts))):
            if number == last_number.get((unit_id, year)) and superseded is None and withdrawn is None:
                current[unit_id, year] = (number, version_id)
        others = {unit_id for unit_id, year in last_number if (unit_id, year) not in current}
        if others:  # a year whose last version was withdrawn: the one it had replaced is current again
            for unit_id, year, number, version_id in s.execute(
                    select(table.c.unit_id, table.c.assess_year, table.c.number, table.c.id)
                    .where(table.c.unit_id.in_(others), table.c.superseded_by.is_(None),
                           table.c.withdrawn_at.is_(None))):
                if (unit_id, year) not in current or (number or 0) > current[unit_id, year][0]:
                    current[unit_id, year] = (number or 0, version_id)
        return last_number, current

    def _units_for(self, s: Session, names: list[tuple[str | None, str | None]], by: str) -> list[UnitRow | None]:
        """_unit_for of each (org_name, org_category), the units already known read in one query."""
        keys = {key for key, _ in map(self._unit_key, (name for name, _ in names)) if key}
        known: dict[str, UnitRow | None] = {
            row.name_key: row for row in s.scalars(select(UnitRow).where(UnitRow.name_key.in_(keys)))} if keys else {}
        return [self._unit_for(s, name, category, by, known) for name, category in names]

    def add_run_findings(self, items: Iterable[tuple[int, Finding]], *, by: str = SYSTEM,
                         batch: int = 200) -> list[int]:
        """Add findings about a whole run (a unit submitted twice in one load) to versions already recorded:
        (version id, finding), `batch` per transaction. A version that already holds the same finding is
        left as it is, so loading the same files again adds nothing twice. The version's revision moves on
        (a reviewer's open page is told it changed) and the audit log says what was added. Returns the ids
        of the versions changed."""
        by = _fit(by, 100)
        table = SubmissionRow.__table__
        changed: list[int] = []
        items = iter(items)
        while chunk := list(itertools.islice(items, batch)):
            with self._write(lock=True) as s:
                rows = {row.id: row for row in s.execute(
                    select(table.c.id, table.c.unit_id, table.c.findings, table.c.error_count, table.c.warning_count)
                    .where(table.c.id.in_({version_id for version_id, _ in chunk})))}
                now, audits = _now(), []
                grown: dict[int, dict] = {}  # version id -> its new findings, counts and how many were added
                for version_id, found in chunk:
                    row = rows.get(version_id)
                    if row is None:
                        continue
                    entry = _jsonable(found.as_dict())
                    state = grown.get(version_id) or dict(findings=list(row.findings), errors=row.error_count,
                                                          warnings=row.warning_count, added=0)
                    if any(f.get("code") == entry["code"] and f.get("message") == entry["message"]
                           for f in state["findings"]):
                        continue
                    grown[version_id] = state
                    state["findings"].append(entry)
                    state["errors" if found.severity == "error" else "warnings"] += 1
                    state["added"] += 1
                    audits.append(dict(at=now, actor=by, action="finding_added", unit_id=row.unit_id,
                                       submission_id=version_id, summary=f"校验提示：{_fit(found.message, 1000)}",
                                       before=None, after={"finding": entry}))
                if grown:
                    s.execute(update(table).where(table.c.id == bindparam("version"))
                              .values(findings=bindparam("grown"), error_count=bindparam("errors"),
                                      warning_count=bindparam("warnings"), revision=table.c.revision + bindparam("added")),
                              [dict(version=version_id, grown=state["findings"], errors=state["errors"],
                                    warnings=state["warnings"], added=state["added"]) for version_id, state in grown.items()])
                    s.execute(insert(AuditRow), audits)
                    changed.extend(grown)
        return changed

    def _keep_original(self, original: str | Path | KeptOriginal) -> tuple[str, str, str, int]:
        """keep_original in this store's data folder: (content hash, stored name, kind, size), or
        UnkeptOriginal. An original a load's worker kept already is taken as it was kept, when it was kept
        here."""
        if isinstance(original, KeptOriginal):
            if original.data_dir != self.data_dir:
                original = keep_original(self.data_dir, original.path)
        else:
            original = keep_original(self.data_dir, Path(original))
        if original.refused is not None:
            raise UnkeptOriginal(original.refused)
        return original.kept

    def version(self, version_id: int) -> Version:
        with self._read() as s:
            return self._version(s, self._row(s, version_id))

    def versions(self, unit: str | None = None, year: int | None = None, *, current_only: bool = False,
                 include_withdrawn: bool = False) -> list[Version]:
        """Versions, by unit (any name it is known by) and year; oldest first within a unit.
        Withdrawn versions (撤回) are left out unless asked for."""
        query = select(SubmissionRow)
        if not include_withdrawn:
            query = query.where(SubmissionRow.withdrawn_at.is_(None))
        if unit is not None:
            found = self.unit(unit)
            if found is None:
                return []
            query = query.where(SubmissionRow.unit_id == found.id)
        if year is not None:
            query = query.where(SubmissionRow.assess_year == year)
        if current_only:
            query = query.where(SubmissionRow.superseded_by.is_(None))
        query = query.add_columns(UnitRow.name).outerjoin(UnitRow, UnitRow.id == SubmissionRow.unit_id)
        with self._read() as s:
            # the unit's name in the same query: one query for the list, not one more per unit
            rows = s.execute(query.order_by(SubmissionRow.unit_id, SubmissionRow.assess_year,
                                            SubmissionRow.number, SubmissionRow.id)).all()
            return [self._version_of(row, unit_name) for row, unit_name in rows]

    def yearly_figures(self, unit: str) -> list[tuple[int, int, dict]]:
        """(year, version id, 备案表 figures as scored) of the unit's current version of every year it
        submitted, oldest first: what shared/yearly.py's year-over-year view is made of."""
        return [(v.assess_year, v.id, dict(v.figures)) for v in self.versions(unit=unit, current_only=True)
                if v.assess_year is not None]

    def reported_figures(self, unit: str, year: int) -> tuple[dict, str] | None:
        """The figures the unit reported for a year (its current version) and that submission's file name."""
        versions = self.versions(unit=unit, year=year, current_only=True)
        return (dict(versions[-1].figures), versions[-1].original_name) if versions else None

    def reported_figures_of(self, wanted: Iterable[tuple[str, int]]) -> dict[tuple[str, int], tuple[dict, str]]:
        """reported_figures of many (unit name, year) in one query, by (unit_key, year): what a load asks of
        each batch."""
        keys = {(self.unit_key(name), year) for name, year in wanted}
        keys.discard(("", None))
        if not keys:
            return {}
        with self._read() as s:
            rows = s.execute(
                select(UnitRow.name_key, SubmissionRow.assess_year, SubmissionRow.figures, SubmissionRow.original_name)
                .join(UnitRow, UnitRow.id == SubmissionRow.unit_id)
                .where(UnitRow.name_key.in_({key for key, _ in keys}),
                       SubmissionRow.assess_year.in_({year for _, year in keys}),
                       SubmissionRow.superseded_by.is_(None), SubmissionRow.withdrawn_at.is_(None))
                .order_by(SubmissionRow.number, SubmissionRow.id))  # as versions(): the last one stands
            return {(key, year): (dict(figures), name) for key, year, figures, name in rows if (key, year) in keys}

    def original_path(self, version_id: int) -> Path:
        version_row = self._plain_row(version_id)
        if not version_row.stored_name:
            raise StoreError(f"该申报的原件（{version_row.original_name}）过大，超过校验的上限，没有保存副本。"
                             "请向报送单位索取。")
        path = self.data_dir / version_row.stored_name
        if not path.is_file():
            raise StoreError(f"数据文件夹 {self.data_dir} 中找不到该申报的原件（{version_row.stored_name}）。")
        return path

    def _plain_row(self, version_id: int) -> SubmissionRow:
        with self._read() as s:
            return self._row(s, version_id)

    @staticmethod
    def _row(s: Session, version_id: int, for_update: bool = False) -> SubmissionRow:
        row = s.get(SubmissionRow, version_id, with_for_update=for_update)
        if row is None:
            raise StoreError(f"没有编号为 {version_id} 的申报版本。")
        return row

    def _version(self, s: Session, row: SubmissionRow, created: bool = False) -> Version:
        unit = s.get(UnitRow, row.unit_id) if row.unit_id is not None else None
        return self._version_of(row, unit.name if unit else None, created)

    @staticmethod
    def _version_of(row: SubmissionRow | _RowValues, unit_name: str | None, created: bool = False) -> Version:
        return Version(
            id=row.id, unit_id=row.unit_id, unit_name=unit_name, assess_year=row.assess_year,
            number=row.number, status=row.status, superseded_by=row.superseded_by, revision=row.revision,
            content_hash=row.content_hash, original_name=row.original_name, source=row.source, kind=row.kind,
            edition=row.edition,
            org_name=row.org_name, org_category=row.org_category, claimed_total=row.claimed_total,
            rescored_total=row.rescored_total, evidenced_total=row.evidenced_total, qualifies=row.qualifies,
            error_count=row.error_count, warning_count=row.warning_count, recorded_by=row.recorded_by,
            recorded_at=row.recorded_at, rules=row.rules, figures=row.figures, findings=row.findings,
            values=row.named_values, evidence=row.evidence, created=created,
            withdrawn_at=row.withdrawn_at, withdrawn_by=row.withdrawn_by, withdraw_reason=row.withdraw_reason,
        )

    # --- writes guarded by the revision ----------------------------------------------------

    def _bump(self, s: Session, row: SubmissionRow, expected: int, **values) -> int:
        """Move the version to revision expected+1 only if it is still at `expected` and current."""
        result = s.execute(
            update(SubmissionRow)
            .where(SubmissionRow.id == row.id, SubmissionRow.revision == expected,
                   SubmissionRow.superseded_by.is_(None), SubmissionRow.withdrawn_at.is_(None))
            .values(revision=SubmissionRow.revision + 1, **values)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise self._stale(s, row.id, expected)
        s.refresh(row)
        return row.revision

    def _guarded_row(self, s: Session, version_id: int, expected: int) -> SubmissionRow:
        """The version's row for a write based on revision `expected`; StaleWrite when it has moved on.

        Read FOR UPDATE (PostgreSQL; SQLite's writes are one at a time anyway): a concurrent writer's
        transaction is waited for, so everything read after it belongs to the revision checked. A plain
        read could see the revision from before another reviewer's write and then that write's committed
        scores, and a write finding "nothing to change" would pass as done instead of being refused."""
        row = self._row(s, version_id, for_update=True)
        if row.revision != expected:
            raise self._stale(s, row.id, expected)
        return row

    def _stale(self, s: Session, version_id: int, expected: int) -> StaleWrite:
        s.expire_all()
        row = self._row(s, version_id)
        version = self._version(s, row)
        last = s.scalar(select(AuditRow).where(AuditRow.submission_id == version_id, AuditRow.action != "comment")
                        .order_by(AuditRow.id.desc()).limit(1))
        if row.superseded_by is not None and row.revision == expected:
            what = "单位已提交了新版本"
        elif row.withdrawn_at is not None and row.revision == expected:
            what = f"已被{row.withdrawn_by}撤回"
        elif last is not None:
            what = f"在您打开之后已被{last.actor}于 {last.at.astimezone(CHINA_TIME):%Y-%m-%d %H:%M:%S} 修改（最近一次：{last.summary}）"
        else:
            what = "在您打开之后已被他人修改"
        message = f"保存失败：{version.label}{what}。您这次的操作没有保存，请载入最新内容后再重新操作。"
        return StaleWrite(message, version_id, expected, row.revision)

    def decide(self, version_id: int, stage: str, outcome: str, opinion: str, reviewer: str,
               expected_revision: int) -> Decision:
        """初审 (通过 / 退回补正) or 实地验收 (通过 / 不通过) of one version, by a named reviewer."""
        with self._write() as s:
            row = self._guarded_row(s, version_id, expected_revision)
            version = self._version(s, row)
            card = self._card(s, row) if stage == STAGE_SITE else None
            opinion = check_decision(version, stage, outcome, opinion, reviewer, card, self._year_result(s, row),
                                     self.edition_of(row))
            new_status = WORKFLOW[stage][1][outcome]
            revision = self._bump(s, row, expected_revision, status=new_status)
            decision = DecisionRow(
                submission_id=row.id, stage=stage, outcome=outcome, opinion=opinion, reviewer=reviewer.strip(),
                decided_at=_now(), revision=revision,
                verified_total=card.total if card else None,
                marked_down=list(card.marked_down) if card else None)
            s.add(decision)
            s.flush()
            self._audit(s, reviewer.strip(), "decided", f"{stage}{outcome}：{version.label}", unit_id=row.unit_id,
                        version_id=row.id, before={"status": version.status, "revision": expected_revision},
                        after={"status": new_status, "revision": revision, "opinion": opinion})
            return _decision(decision)

    def _year_result(self, s: Session, row: SubmissionRow) -> str | None:
        """The unit's 实地验收 result for the version's year, if one was decided on any version."""
        if row.unit_id is None:
            return None
        year_is = SubmissionRow.assess_year.is_(None) if row.assess_year is None else SubmissionRow.assess_year == row.assess_year
        return s.scalar(select(SubmissionRow.status).where(
            SubmissionRow.unit_id == row.unit_id, year_is, SubmissionRow.withdrawn_at.is_(None),
            SubmissionRow.status.in_(FINAL_STATES)).limit(1))

    def decide_many(self, targets: Iterable[tuple[int, int]], stage: str, outcome: str, opinion: str,
                    reviewer: str) -> list[BulkResult]:
        """One decision with one opinion on several versions, (version id, expected revision) each.

        Each is decided on its own, under the same rules as `decide`: one refused or changed meanwhile
        does not stop the others, and says why."""
        results = []
        for version_id, expected in targets:
            label = f"编号 {version_id} 的申报"
            try:
                label = self.version(version_id).label
                decision = self.decide(version_id, stage, outcome, opinion, reviewer, expected)
            except StoreError as refused:
                results.append(BulkResult(version_id, label, None, str(refused)))
            else:
                results.append(BulkResult(version_id, label, decision, None))
        return results

    def revoke_decision(self, decision_id: int, reviewer: str, reason: str, expected_revision: int) -> Decision:
        """撤销决定: the version's latest standing decision is marked revoked (it stays in the history),
        the version's state is worked out again from the decisions that stand, and the audit log says
        who and why."""
        reviewer = self._reviewer(reviewer)
        reason = (reason or "").strip()
        if not reason:
            raise InvalidDecision("撤销决定须填写理由。")
        if len(reason) > REVOKE_REASON_MAX:
            raise InvalidDecision(f"撤销理由有 {len(reason)} 字，请精简到 {REVOKE_REASON_MAX} 字以内。")
        with self._write() as s:
            decision = s.get(DecisionRow, decision_id)
            if decision is None:
                raise StoreError(f"没有编号为 {decision_id} 的评审结论。")
            row = self._guarded_row(s, decision.submission_id, expected_revision)
            version = self._version(s, row)
            what = f"{decision.stage}{decision.outcome}"
            earlier = s.scalar(select(RevocationRow).where(RevocationRow.decision_id == decision.id))
            if earlier is not None:
                raise InvalidDecision(f"这条{what}结论已于 {earlier.revoked_at.astimezone(CHINA_TIME):%Y-%m-%d %H:%M} "
                                      f"被{earlier.revoked_by}撤销。")
            if row.withdrawn_at is not None:
                raise InvalidDecision(f"{version.label}已撤回，其结论不能再撤销。")
            if row.superseded_by is not None:
                raise InvalidDecision(f"{version.label}已被新版本替代，单位已重新提交；旧版本的{what}结论不能再撤销。")
            standing = self._standing_decisions(s, row.id)
            if standing[-1].id != decision.id:
                later = standing[-1]
                raise InvalidDecision(f"请先撤销其后的{later.stage}{later.outcome}结论，再撤销这条{what}结论。")
            new_status = state_after((d.stage, d.outcome) for d in standing[:-1])
            revision = self._bump(s, row, expected_revision, status=new_status)
            revocation = RevocationRow(decision_id=decision.id, submission_id=row.id, revoked_by=reviewer,
                                       revoked_at=_now(), reason=reason, revision=revision)
            s.add(revocation)
            s.flush()
            self._audit(s, reviewer, "revoked", f"撤销{what}结论（{decision.reviewer}作出）：{version.label}；理由：{reason}",
                        unit_id=row.unit_id, version_id=row.id,
                        before={"status": version.status, "revision": expected_revision, "decision": decision.id},
                        after={"status": new_status, "revision": revision, "reason": reason})
            return _decision(decision, revocation)

    @staticmethod
    def _standing_decisions(s: Session, version_id: int) -> list[DecisionRow]:
        revoked = select(RevocationRow.decision_id).where(RevocationRow.submission_id == version_id)
        return list(s.scalars(select(DecisionRow).where(DecisionRow.submission_id == version_id,
                                                        DecisionRow.id.not_in(revoked)).order_by(DecisionRow.id)))

    def withdraw(self, version_id: int, reviewer: str, reason: str, expected_revision: int) -> Version:
        """撤回 a version recorded by mistake (a wrong file, an unreadable upload): it leaves the lists and
        counts but is kept, with who, when and why; the version it had replaced is current again."""
        reviewer = self._reviewer(reviewer)
        reason = (reason or "").strip()
        if not reason:
            raise InvalidDecision("撤回须填写理由。")
        if len(reason) > REVOKE_REASON_MAX:
            raise InvalidDecision(f"撤回理由有 {len(reason)} 字，请精简到 {REVOKE_REASON_MAX} 字以内。")
        with self._write(lock=True) as s:
            row = self._guarded_row(s, version_id, expected_revision)
            version = self._version(s, row)
            if row.withdrawn_at is not None:
                raise InvalidDecision(f"{version.label}已于 {row.withdrawn_at.astimezone(CHINA_TIME):%Y-%m-%d %H:%M} "
                                      f"被{row.withdrawn_by}撤回。")
            if row.superseded_by is not None:
                raise InvalidDecision(f"{version.label}已被新版本替代，只能撤回单位的最新版本。")
            standing = self._standing_decisions(s, row.id)
            if standing:
                last = standing[-1]
                raise InvalidDecision(f"{version.label}已有{last.stage}{last.outcome}结论，请先在“决定”中撤销结论后再撤回。")
            now = _now()
            revision = self._bump(s, row, expected_revision, withdrawn_at=now, withdrawn_by=reviewer,
                                  withdraw_reason=reason)
            restored = s.scalar(select(SubmissionRow).where(SubmissionRow.superseded_by == row.id))
            if restored is not None:
                s.execute(update(SubmissionRow).where(SubmissionRow.id == restored.id)
                          .values(superseded_by=None, revision=SubmissionRow.revision + 1)
                          .execution_options(synchronize_session=False))
            self._audit(s, reviewer, "withdrawn", f"撤回{version.label}（{row.original_name}）；理由：{reason}",
                        unit_id=row.unit_id, version_id=row.id,
                        before={"revision": expected_revision, "status": row.status},
                        after={"revision": revision, "reason": reason,
                               "current_again": restored.id if restored is not None else None})
            s.flush()
            return self._version(s, s.get(SubmissionRow, row.id))

    def verify(self, version_id: int, rule_id: str, score: object, evidence_seen: bool, reason: str,
               reviewer: str, expected_revision: int) -> VerifiedCard:
        """核定得分 of one rule (see verify_rules)."""
        return self.verify_rules(version_id, {rule_id: (score, evidence_seen, reason)}, reviewer, expected_revision)

    def verify_rules(self, version_id: int, entries: Mapping[str, tuple[object, bool, str]], reviewer: str,
                     expected_revision: int) -> VerifiedCard:
        """核定得分 of several rules at once, as one revision: {rule_id: (score, evidence_seen, reason)}."""
        reviewer = self._reviewer(reviewer)
        with self._write() as s:
            row = self._guarded_row(s, version_id, expected_revision)
            self._check_verifiable(s, row)
            claims = _claims(row)
            checked, problems = {}, []
            for rule_id, (score, seen, reason) in entries.items():
                try:
                    value = check_verified_score(rule_id, score, reason, claims.get(rule_id, Decimal(0)),
                                                 self.edition_of(row))
                except InvalidDecision as refused:
                    problems.append(str(refused))
                    continue
                checked[rule_id] = (value, bool(seen), (reason or "").strip())
            if problems:
                raise InvalidDecision("\n".join(problems))
            changes = []
            for rule_id, (value, seen, reason) in checked.items():
                current = s.get(VerifiedScoreRow, (row.id, rule_id))
                before = None if current is None else _verdict_json(current.score, current.evidence_seen, current.reason)
                after = _verdict_json(value, seen, reason)
                if before != after:
                    changes.append((rule_id, current, before, after, value, seen, reason))
            if not changes:
                return self._card(s, row)
            revision = self._bump(s, row, expected_revision)
            for rule_id, current, before, after, value, seen, reason in changes:
                if current is None:
                    s.add(VerifiedScoreRow(submission_id=row.id, rule_id=rule_id, score=value, evidence_seen=seen,
                                           reason=reason, reviewer=reviewer, updated_at=_now()))
                else:
                    current.score, current.evidence_seen, current.reason = value, seen, reason
                    current.reviewer, current.updated_at = reviewer, _now()
                self._audit(s, reviewer, "verified", f"核定规则 {rule_id} 得分 {_shown(value)} 分",
                            unit_id=row.unit_id, version_id=row.id, before=before, after={**after, "revision": revision})
            s.flush()
            return self._card(s, row)

    def confirm_item(self, version_id: int, item_id: str, reviewer: str, expected_revision: int) -> VerifiedCard:
        """本项已查看佐证: one deliberate action for a whole item — every rule of it not verified yet is
        verified at its claim, and every rule of it is marked as having had its evidence seen."""
        card = self.verified_card(version_id)
        try:
            item = next(i for i in card.edition.items if i.id == item_id)
        except StopIteration:
            raise InvalidDecision(f"没有编号为“{item_id}”的评分项目。") from None
        entries = {}
        for rule in item.rules:
            verdict = card.rules[rule.id]
            if rule.computed or verdict.evidence_seen:
                continue
            entries[rule.id] = ((verdict.claimed, True, "") if verdict.verified is None
                                else (verdict.verified, True, verdict.reason))
        if not entries:
            if card.revision != expected_revision:
                raise self._stale_of(version_id, expected_revision)
            return card
        return self.verify_rules(version_id, entries, reviewer, expected_revision)

    def _stale_of(self, version_id: int, expected: int) -> StaleWrite:
        with self._read() as s:
            return self._stale(s, version_id, expected)

    def correct_figures(self, version_id: int, figures: Mapping[str, object], reviewer: str,
                        expected_revision: int, reason: str = "") -> VerifiedCard:
        """The 评价小组 corrects 备案表 energy figures; rules 1.1.x follow. A value of None undoes a correction."""
        reviewer = self._reviewer(reviewer)
        problems, checked = [], {}
        for name, raw in figures.items():
            label = LABELS.get(name, name)
            if name not in ALL_FIGURE_NAMES:
                problems.append(f"“{name}”不是备案表的能耗数据项。")
            elif raw is None or (isinstance(raw, str) and not raw.strip()):
                checked[name] = None
            elif (value := _number(raw)) is None or value <= 0:
                problems.append(f"{label}：更正值“{raw}”应为大于 0 的数值。")
            else:
                checked[name] = value
        if problems:
            raise InvalidDecision("\n".join(problems))
        with self._write() as s:
            row = self._guarded_row(s, version_id, expected_revision)
            self._check_verifiable(s, row)
            changes = [(n, v, s.get(FigureCorrectionRow, (row.id, n))) for n, v in checked.items()]
            changes = [(n, v, c) for n, v, c in changes if (c.value if c else None) != v]
            if not changes:
                return self._card(s, row)
            revision = self._bump(s, row, expected_revision)
            for name, value, current in changes:
                before = row.figures.get(name) if current is None else str(current.value)
                if value is None:
                    s.delete(current)
                elif current is None:
                    s.add(FigureCorrectionRow(submission_id=row.id, name=name, value=value, reason=reason.strip(),
                                              reviewer=reviewer, updated_at=_now()))
                else:
                    current.value, current.reason, current.reviewer, current.updated_at = value, reason.strip(), reviewer, _now()
                shown = "恢复为申报值" if value is None else f"更正为 {value}"
                self._audit(s, reviewer, "figures_corrected", f"{LABELS.get(name, name)}{shown}",
                            unit_id=row.unit_id, version_id=row.id, before={name: before},
                            after={name: row.figures.get(name) if value is None else str(value), "revision": revision,
                                   "reason": reason.strip()})
            s.flush()
            return self._card(s, row)

    @staticmethod
    def _reviewer(reviewer: str) -> str:
        if not (reviewer or "").strip():
            raise InvalidDecision("请填写评审人姓名。")
        return reviewer.strip()

    def _check_verifiable(self, s: Session, row: SubmissionRow) -> None:
        version = self._version(s, row)
        if row.withdrawn_at is not None:
            raise InvalidDecision(f"{version.label}已撤回，不能核定。")
        if row.superseded_by is not None:
            raise InvalidDecision(f"{version.label}已被新版本替代，请核定最新版本。")
        if row.status != VERIFY_STATE:
            if row.status in FINAL_STATES:
                raise InvalidDecision(f"{version.label}已有实地验收结论（{row.status}），核定得分不能再修改。")
            raise InvalidDecision(f"{version.label}尚未初审通过（当前状态：{row.status}），初审通过后评价小组方可核定得分。")

    def verified_card(self, version_id: int) -> VerifiedCard:
        with self._read() as s:
            return self._card(s, self._row(s, version_id))

    def edition_of(self, version: Version | SubmissionRow) -> Rubric:
        """The rubric edition a version was scored under (it never changes, whatever later years use)."""
        try:
            return self.city.edition(version.edition)
        except KeyError:
            raise StoreError(f"该申报按评价指标版本“{version.edition}”评分，但本系统没有安装该版本"
                             f"（已安装：{'、'.join(self.city.editions)}）。请把该版本文件放回 editions 文件夹。") from None

    def _card(self, s: Session, row: SubmissionRow) -> VerifiedCard:
        claims = _claims(row)
        edition = self.edition_of(row)
        verified = {v.rule_id: v for v in s.scalars(select(VerifiedScoreRow).where(VerifiedScoreRow.submission_id == row.id))}
        corrections = {c.name: c for c in s.scalars(select(FigureCorrectionRow).where(FigureCorrectionRow.submission_id == row.id))}
        figures = {n: row.figures.get(n) for n in ALL_FIGURE_NAMES}
        figures.update({n: c.value for n, c in corrections.items()})
        verdicts = {}
        for rule in edition.rules:
            claimed = claims.get(rule.id, Decimal(0))
            if rule.computed:
                score = computed_rule_score(rule, figures, row.assess_year, row.org_category, self.city.config)
                verdicts[rule.id] = RuleVerdict(rule.id, claimed, score, None, "", None, True)
            else:
                v = verified.get(rule.id)
                verdicts[rule.id] = RuleVerdict(rule.id, claimed, v.score if v else None, v.evidence_seen if v else None,
                                                v.reason if v else "", v.reviewer if v else None, False)
        # Items the unit marked 不适用 stay left out: the group verifies the rules of the items that apply.
        card = tally({rid: v.score for rid, v in verdicts.items()}, edition, skipped_of(row.named_values or {}, edition))
        return VerifiedCard(
            version_id=row.id, revision=row.revision, edition=edition, card=card, rules=verdicts, figures=figures,
            corrections={n: (row.figures.get(n), c.value) for n, c in corrections.items()},
            pending=tuple(r for r, v in verdicts.items() if v.verified is None),
            marked_down=tuple(r for r, v in verdicts.items() if v.score < v.claimed),
        )

    # --- comments, history, audit -----------------------------------------------------------

    def add_comment(self, version_id: int, author: str, text_: str) -> Comment:
        author = self._reviewer(author)
        if not (text_ or "").strip():
            raise StoreError("评论内容不能为空。")
        with self._write() as s:
            row = self._row(s, version_id)
            comment = CommentRow(submission_id=row.id, author=author, text=text_.strip(), created_at=_now())
            s.add(comment)
            s.flush()
            self._audit(s, author, "comment", "添加评论", unit_id=row.unit_id, version_id=row.id,
                        after={"comment": comment.id, "text": comment.text})
            return _comment(comment)

    def history(self, version_id: int) -> History:
        with self._read() as s:
            row = self._row(s, version_id)
            if row.unit_id is not None:
                year_is = SubmissionRow.assess_year.is_(None) if row.assess_year is None else SubmissionRow.assess_year == row.assess_year
                siblings = s.scalars(select(SubmissionRow).where(SubmissionRow.unit_id == row.unit_id, year_is)
                                     .order_by(SubmissionRow.number)).all()
            else:
                siblings = [row]
            return History(
                version=self._version(s, row),
                versions=[self._version(s, r) for r in siblings],
                decisions=self._decisions(s, row.id),
                audit=[_audit_entry(a) for a in s.scalars(select(AuditRow).where(
                    AuditRow.submission_id == row.id).order_by(AuditRow.id))],
                comments=[_comment(c) for c in s.scalars(select(CommentRow).where(
                    CommentRow.submission_id == row.id).order_by(CommentRow.id))],
            )

    def decisions(self, version_id: int, *, include_revoked: bool = False) -> list[Decision]:
        """The version's decisions, oldest first: those that stand, or with include_revoked every one
        (a revoked decision is kept, marked revoked)."""
        with self._read() as s:
            self._row(s, version_id)
            found = self._decisions(s, version_id)
        return found if include_revoked else [d for d in found if not d.revoked]

    @staticmethod
    def _decisions(s: Session, version_id: int) -> list[Decision]:
        revocations = {r.decision_id: r for r in s.scalars(select(RevocationRow).where(
            RevocationRow.submission_id == version_id))}
        return [_decision(d, revocations.get(d.id)) for d in s.scalars(select(DecisionRow).where(
            DecisionRow.submission_id == version_id).order_by(DecisionRow.id))]

    def audit_log(self, version_id: int | None = None) -> list[AuditEntry]:
        query = select(AuditRow).order_by(AuditRow.id)
        if version_id is not None:
            query = query.where(AuditRow.submission_id == version_id)
        with self._read() as s:
            return [_audit_entry(a) for a in s.scalars(query)]

    @staticmethod
    def _audit(s: Session, actor: str, action: str, summary: str, *, unit_id: int | None = None,
               version_id: int | None = None, before: Any = None, after: Any = None) -> None:
        s.add(AuditRow(at=_now(), actor=actor, action=action, unit_id=unit_id, submission_id=version_id,
                       summary=summary, before=_jsonable(before), after=_jsonable(after)))

    # --- the year's list ------------------------------------------------------------------

    def unit_states(self, year: int) -> list[UnitState]:
        """Every unit of a 创建年度: those listed for it, those that submitted for it, and those
        carried over after failing 实地验收 in an earlier year (with that year's 整改意见)."""
        with self._read() as s:
            units = s.scalars(select(UnitRow)).all()
            # only the columns the list needs: the JSON columns (findings, values, …) are decoded only for a
            # version whose 核定 total is shown
            rows = s.scalars(select(SubmissionRow).options(load_only(
                SubmissionRow.id, SubmissionRow.unit_id, SubmissionRow.assess_year, SubmissionRow.number,
                SubmissionRow.status, SubmissionRow.revision, SubmissionRow.rescored_total))
                .where(SubmissionRow.unit_id.is_not(None), SubmissionRow.withdrawn_at.is_(None),
                       SubmissionRow.assess_year <= year)).all()
            # the year's versions holding a 核定 score, in one query (not one per unit)
            verified = set(s.scalars(select(VerifiedScoreRow.submission_id).distinct()
                                     .join(SubmissionRow, SubmissionRow.id == VerifiedScoreRow.submission_id)
                                     .where(SubmissionRow.assess_year == year)))
            by_unit: dict[int, list[SubmissionRow]] = {}
            for r in rows:
                by_unit.setdefault(r.unit_id, []).append(r)
            states = []
            for unit in units:
                mine = by_unit.get(unit.id, [])
                this_year = sorted((r for r in mine if r.assess_year == year), key=lambda r: r.number)
                carried_from, rectification = self._carried(s, mine, year)
                if unit.creation_year != year and not this_year and carried_from is None:
                    continue
                final = next((r for r in this_year if r.status in FINAL_STATES), None)
                source = final or (this_year[-1] if this_year else None)
                verified_total = None
                if source is not None and source.id in verified:
                    verified_total = self._card(s, source).total
                states.append(UnitState(
                    unit=_unit(unit), year=year, state=source.status if source else NOT_SUBMITTED,
                    version_id=source.id if source else None, version_number=source.number if source else None,
                    revision=source.revision if source else None,
                    rescored_total=source.rescored_total if source else None, verified_total=verified_total,
                    carried_from=carried_from, rectification=rectification))
        order = self.roster_order()
        return sorted(states, key=lambda state: _list_order(state, order, self.city.name))

    def roster_order(self) -> dict[str, int]:
        """附件4's order of the city's units, by normalized name."""
        return {self._key(u.name): i for i, u in enumerate(self.city.roster)}

    @staticmethod
    def _carried(s: Session, rows: list[SubmissionRow], year: int) -> tuple[int | None, str | None]:
        """The latest earlier year the unit failed 实地验收 and has not passed since."""
        earlier = [r for r in rows if r.assess_year is not None and r.assess_year < year]
        failed = [r for r in earlier if r.status == FAILED]
        if not failed:
            return None, None
        last = max(failed, key=lambda r: r.assess_year)
        if any(r.status == PASSED and r.assess_year > last.assess_year for r in earlier):
            return None, None
        revoked = select(RevocationRow.decision_id).where(RevocationRow.submission_id == last.id)
        opinion = s.scalar(select(DecisionRow.opinion).where(
            DecisionRow.submission_id == last.id, DecisionRow.outcome == REJECT, DecisionRow.id.not_in(revoked))
            .order_by(DecisionRow.id.desc()).limit(1))
        return last.assess_year, opinion

    def shared_figures(self, year: int) -> list[FigureShare]:
        """Current versions of a year whose 备案表 figures are identical: allowed inside one
        compound (合署办公 may share energy figures), worth a look otherwise."""
        groups: dict[tuple, list[Version]] = {}
        for version in self.versions(year=year, current_only=True):
            values = tuple(version.figures.get(n) for n in ALL_FIGURE_NAMES)
            if version.unit_id is None or any(as_number(v) is None for v in values):
                continue
            key = tuple(str(as_number(v).normalize()) for v in values)
            groups.setdefault(key, []).append(version)
        units = {u.id: u for u in self.units()}
        shares = []
        for versions in groups.values():
            if len(versions) < 2:
                continue
            compounds = {(units[v.unit_id].district, units[v.unit_id].compound) for v in versions}
            same = len(compounds) == 1 and next(iter(compounds))[1] is not None
            shares.append(FigureShare(dict(versions[0].figures), tuple(v.id for v in versions),
                                      tuple(v.unit_name for v in versions), same))
        return shares


    # --- 抽查 (方案 四（三）): added for shared/sampling.py, which draws; the store only keeps ------

    def record_sample(self, year: int, seed: str, rate: Decimal, picks: Iterable[tuple[int, int | None]],
                      *, by: str = SYSTEM) -> list[SampleEntry]:
        """Keep a year's 抽查 draw, (unit id, passed version id) pairs, replacing any earlier draw of
        that year; the audit log keeps what was replaced."""
        picks = list(picks)
        with self._write(lock=True) as s:
            old = s.scalars(select(SampleRow).where(SampleRow.year == year).order_by(SampleRow.id)).all()
            before = [s.get(UnitRow, r.unit_id).name for r in old]
            for r in old:
                s.delete(r)
            s.flush()
            now = _now()
            names = []
            for unit_id, version_id in picks:
                unit = s.get(UnitRow, unit_id)
                if unit is None or unit.district is None:
                    raise StoreError(f"编号为 {unit_id} 的单位不是区县（市）单位，不能列入抽查。")
                s.add(SampleRow(year=year, district=unit.district, unit_id=unit_id, submission_id=version_id,
                                seed=str(seed), rate=Decimal(rate), drawn_by=by, drawn_at=now))
                names.append(unit.name)
            self._audit(s, by, "sample_drawn", f"抽取 {year} 年度区县（市）抽查单位 {len(names)} 家",
                        before={"units": before} if old else None,
                        after={"year": year, "seed": str(seed), "rate": Decimal(rate), "units": names})
        return self.sample(year)

    def sample(self, year: int) -> list[SampleEntry]:
        """The year's recorded 抽查 draw, by district and unit name; [] when none was drawn."""
        with self._read() as s:
            rows = s.scalars(select(SampleRow).where(SampleRow.year == year)).all()
            entries = [SampleEntry(r.year, r.district, _unit(s.get(UnitRow, r.unit_id)), r.submission_id, r.seed,
                                   r.rate, r.drawn_by, r.drawn_at) for r in rows]
        return sorted(entries, key=lambda e: (e.district, e.unit.name))

# --- row -> value helpers ------------------------------------------------------------------

def _unit(row: UnitRow) -> StoredUnit:
    return StoredUnit(row.id, row.name, row.category, row.district, row.group_name, row.creation_year, row.listed)


def _decision(row: DecisionRow, revocation: RevocationRow | None = None) -> Decision:
    return Decision(row.id, row.submission_id, row.stage, row.outcome, row.opinion, row.reviewer, row.decided_at,
                    row.revision, row.verified_total, tuple(row.marked_down or ()),
                    revocation.revoked_at if revocation else None, revocation.revoked_by if revocation else None,
                    revocation.reason if revocation else None)


def _comment(row: CommentRow) -> Comment:
    return Comment(row.id, row.submission_id, row.author, row.text, row.created_at)


def _audit_entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(row.id, row.at, row.actor, row.action, row.unit_id, row.submission_id, row.summary,
                      row.before, row.after)


def _list_order(state: UnitState, roster_order: Mapping[str, int], city_name: str) -> tuple:
    """附件4 order first, then district units by district, then unlisted units."""
    unit = state.unit
    if unit.listed and unit.district is None:
        return (0, roster_order.get(normalize_org_name(unit.name, city_name), 0), "", unit.name)
    if unit.listed:
        return (1, 0, unit.district or "", unit.name)
    return (2, 0, "", unit.name)


def _claims(row: SubmissionRow) -> dict[str, Decimal]:
    """The re-scored self-assessment of each rule, as recorded."""
    claims = {}
    for rule_id, entry in (row.rules or {}).items():
        score = entry.get("score") if isinstance(entry, dict) else None
        claims[rule_id] = Decimal(score) if score is not None else Decimal(0)
    return claims


def _rule_json(entry: Mapping[str, Any]) -> dict:
    score = entry.get("score")
    return {"claimed": _cell_json(entry.get("claimed")),
            "score": None if score is None else str(Decimal(score)),
            "evidenced": entry.get("evidenced")}


def _cell_json(raw: Any) -> Any:
    """A raw cell value for a JSON column; NaN and infinities (not JSON) become their text."""
    if type(raw) is str and raw.isascii() and "\x00" not in raw:  # most cells: nothing to do (a load makes ~100 a row)
        return raw
    value = json_value(raw)
    if isinstance(value, str):
        return _fit(value, None)
    return str(value) if isinstance(value, float) and not math.isfinite(value) else value


def _fit(text: str | None, length: int | None = None) -> str | None:
    """Text as every database can hold it: no NUL (Excel writes one as _x0000_; PostgreSQL refuses it),
    no lone surrogate, and within a column's length (the full value is kept in a Text column beside)."""
    if text is None:
        return None
    text = str(text)
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii() and _has_surrogate(text):
        text = text.encode("utf-8", "replace").decode("utf-8")
    if length is not None and len(text) > length:
        text = text[:length - 1] + "…"
    return text


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _verdict_json(score: Decimal, seen: bool, reason: str) -> dict:
    return {"score": str(score), "evidence_seen": bool(seen), "reason": reason}


def _jsonable(value: Any) -> Any:
    """Plain JSON values for JSON columns: Decimals become text (exact), others their JSON form."""
    # The usual values first, by exact type: a load converts some 500 of them per submission.
    kind = type(value)
    if kind is str:
        return value if value.isascii() and "\x00" not in value else _fit(value)
    if value is None or kind is bool or kind is int:
        return value
    if kind is dict:
        return {(key if type(key) is str and key.isascii() and "\x00" not in key else _fit(str(key))): _jsonable(item)
                for key, item in value.items()}
    if kind is list:
        return [_jsonable(item) for item in value]
    if isinstance(value, str):
        return _fit(value)
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, Mapping):
        return {_fit(str(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return _cell_json(value)
    return _cell_json(value)


# --- 抽查 (方案 四（三）): the table and value behind record_sample / sample ---------------------

class SampleRow(Base):
    __tablename__ = "samples"
    __table_args__ = (UniqueConstraint("year", "unit_id", name="uq_samples_year"),
                      Index("ix_samples_year", "year"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    district: Mapped[str] = mapped_column(String(50))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", name="fk_samples_unit_id_units"))
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", name="fk_samples_submission_id_submissions"))
    seed: Mapped[str] = mapped_column(String(100))
    rate: Mapped[Decimal] = mapped_column(ExactDecimal)
    drawn_by: Mapped[str] = mapped_column(String(100))
    drawn_at: Mapped[datetime] = mapped_column(UtcDateTime)


@dataclass(frozen=True)
class SampleEntry:
    year: int
    district: str
    unit: StoredUnit
    version_id: int | None  # the passed version the unit was drawn on
    seed: str
    rate: Decimal
    drawn_by: str
    drawn_at: datetime


# --- accounts and 年度备案 (issue 12): the tables behind shared/accounts.py and district filings ---

class AccountRow(Base):
    """Who may log in (multi-user mode), with one role and, for some roles, a district or a unit.
    The password lives with the Hub's authenticator, not here; nothing is ever deleted."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("login", name="uq_accounts_login"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))  # a scope.Role value
    district: Mapped[str | None] = mapped_column(String(50))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", name="fk_accounts_unit_id_units"))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DistrictFilingRow(Base):
    """A district's 年度备案: its 创建总体情况 (units, results, scores) as filed to the city.
    Append-only: filing again adds a row, the latest counts."""

    __tablename__ = "district_filings"
    __table_args__ = (Index("ix_district_filings_year", "year", "district"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district: Mapped[str] = mapped_column(String(50))
    year: Mapped[int] = mapped_column(Integer)
    filed_by: Mapped[str] = mapped_column(String(100))
    filed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    units: Mapped[list] = mapped_column(JSON)  # [{"unit", "state", "rescored_total", "verified_total"}]


@dataclass(frozen=True)
class DistrictFiling:
    district: str
    year: int
    filed_by: str
    filed_at: datetime
    units: tuple[dict, ...]


# A district cannot file while any of its units is still being reviewed.
IN_PROGRESS_STATES = (AWAITING_REVIEW, AWAITING_SITE)


def _filing(row: DistrictFilingRow) -> DistrictFiling:
    return DistrictFiling(row.district, row.year, row.filed_by, row.filed_at, tuple(row.units or ()))


def file_district(store: Store, district: str, year: int, *, by: str) -> DistrictFiling:
    """File a district's 创建总体情况 of a year with the city: every unit of the district in the year
    with its state and scores. Refused while any unit is still awaiting 初审 or 实地验收."""
    district = (district or "").strip()
    states = [s for s in store.unit_states(year) if s.unit.district == district]
    if not states:
        raise StoreError(f"{district or '该区县（市）'} {year} 年度没有创建单位，不能备案。请先导入本区县（市）的创建名单。")
    busy = [s for s in states if s.state in IN_PROGRESS_STATES]
    if busy:
        listed = "、".join(f"{s.unit.name}（{s.state}）" for s in busy)
        raise StoreError(f"{district} {year} 年度还有 {len(busy)} 家单位未完成评审：{listed}。请完成初审和实地验收后再备案。")
    units = [{"unit": s.unit.name, "state": s.state, "version_id": s.version_id,
              "rescored_total": _jsonable(s.rescored_total), "verified_total": _jsonable(s.verified_total)}
             for s in states]
    with store._write(lock=True) as s:
        row = DistrictFilingRow(district=district, year=year, filed_by=by, filed_at=_now(), units=units)
        s.add(row)
        s.flush()
        passed = sum(1 for u in units if u["state"] == PASSED)
        store._audit(s, by, "district_filed", f"{district} {year} 年度创建总体情况备案：{len(units)} 家单位，验收通过 {passed} 家",
                     after={"district": district, "year": year, "units": units})
        return _filing(row)


def district_filings(store: Store, year: int) -> dict[str, DistrictFiling]:
    """The latest 年度备案 of each district that filed for the year."""
    with store._read() as s:
        rows = s.scalars(select(DistrictFilingRow).where(DistrictFilingRow.year == year)
                         .order_by(DistrictFilingRow.id)).all()
        return {r.district: _filing(r) for r in rows}
