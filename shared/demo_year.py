"""The demo's year as the 评价小组 plays it, through the store's own methods: the inbox is loaded and
初审 (通过 or 退回补正), some returned units send corrected packages (补正材料/), every rule is 核定 (a
few marked down with reasons, one unit's energy figure corrected), 实地验收 passes most and fails some
with 整改意见; the demo district files its 年度备案 and the city draws its 抽查 of the 区县 units.

Every step acts only on the demo's own versions and only on those still waiting for it, so a second
`jyjg demo` finds the year already played and changes nothing.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

from .batch import load_paths
from .demo import DEMO_DISTRICT, DEMO_YEAR, DISTRICT_LIST, INBOX_DIR, RESUBMISSION_DIR, RUBRIC
from .names import LABELS
from .numbers import shown
from .roster_import import read_unit_rows
from .rubric import CATEGORY_CITY, CATEGORY_COUNTY, Rubric
from .sampling import draw_sample
from .scoring import verdict_reasons
from .store import (
    APPROVE, AWAITING_REVIEW, AWAITING_SITE, FAILED, REJECT, RETURN, STAGE_REVIEW, STAGE_SITE, SampleEntry, Store,
    StoreError, Version, district_filings, file_district, rectification_draft, rescored_card,
)

RECORDED_BY = "演示"  # who `jyjg demo` records the demo's submissions as
REVIEWER = "刘建华"  # 评价小组 member who decides 初审 and 实地验收 of the 市直 units
VERIFIER = "陈敏"  # 评价小组 member who verifies the scores on site
DISTRICT_REVIEWER = "王芳"  # the demo district's reviewer: it reviews its own units and files its 年度备案
SHOWN_PROBLEMS = 3  # problems quoted in a 退回补正 opinion

# 核定 as the group would find things on site: (rule, verified score, reason), applied in order.
MARK_DOWNS: dict[str, tuple[tuple[str, Decimal, str], ...]] = {
    "one": (("5.1.3", Decimal(0), "所附报道为单位内部简报，不属于媒体或主管部门平台报道。"),),
    "two": (("2.2.3", Decimal(4), "数据机房未单独装表计量。"),
            ("3.1.2", Decimal(0), "办公区走廊仍有部分非节能灯具。")),
    "fail": (("2.2.3", Decimal(2), "仅有总表，未实行分区、分项计量。"),
             ("4.2.1", Decimal(0), "现场未见分类垃圾容器，仅有普通垃圾桶。"),
             ("4.3.3", Decimal(0), "未签订餐厨垃圾收运合同。"),
             ("3.2.2", Decimal(0), "本年度新增公务用车为燃油车。"),
             ("5.1.1", Decimal(0), "未提供宣传活动的照片或记录。"),
             ("2.2.1", Decimal(2), "未制定创建实施方案和年度目标。"),
             ("4.2.3", Decimal(0), "抽查办公室垃圾桶，分类投放不正确。"),
             ("5.2.1", Decimal(0), "节能节水未纳入干部职工培训计划。")),
}
# Which 市直 units (by place among those awaiting 实地验收, in load order) get which 核定.
MARK_DOWN_PLAN = {1: "one", 4: "two", 7: "fail", 13: "fail"}
ENERGY_CORRECTION_FROM = 10  # the first unit from this place whose 1.1.1 a corrected figure changes
CORRECTED_DECLINE = Decimal("0.01")  # what the corrected 综合能耗 declines per head: short of every target


@dataclass
class DemoYear:
    """What playing the year did this time, and the year's result."""

    year: int
    loaded: int  # versions of the demo's packages in the store
    new: int  # of them recorded just now
    decisions: Counter = field(default_factory=Counter)  # (stage, outcome) -> count, made just now
    verified: int = 0  # versions whose rules were verified just now
    corrected: list[str] = field(default_factory=list)  # units whose energy figures were corrected just now
    states: Counter = field(default_factory=Counter)  # the year's units by state
    sample: list[SampleEntry] = field(default_factory=list)
    failed_unit: str | None = None  # a unit that failed 实地验收, for the sample 验收评分表

    @property
    def acted(self) -> bool:
        return bool(self.new or self.decisions or self.verified or self.corrected)


def check_demo_store(store: Store) -> None:
    """The demo writes a whole year of decisions: never into a store that holds real submissions."""
    others = [v for v in store.versions() if v.recorded_by != RECORDED_BY]
    if others:
        raise StoreError(
            f"评审数据库 {store.url} 中已有 {len(others)} 份非演示的申报，演示不会写入其中。"
            "请用 --db 指定另一个数据库（如 --db sqlite:///jyjg-demo.db）再运行 jyjg demo。")


def play_demo_year(store: Store, out: Path, progress: Callable[[str], None] | None = None) -> DemoYear:
    """Load the demo packages written under `out` and play the year on them (see the module's text)."""
    say = progress or (lambda message: None)
    check_demo_store(store)
    out = Path(out)
    store.import_units(read_unit_rows(out / DISTRICT_LIST), DEMO_DISTRICT, by=RECORDED_BY)  # as `jyjg roster import`
    result = DemoYear(DEMO_YEAR, 0, 0)

    say("记入评审数据库并初审……")
    first = load_paths(store, [out / INBOX_DIR], by=RECORDED_BY)
    _review(store, first, result)
    say("收到退回单位的补正材料，再次初审……")
    second = load_paths(store, [out / RESUBMISSION_DIR], by=RECORDED_BY)
    _review(store, second, result)
    ours = {v.id for v in first + second}
    result.loaded = len(ours)
    result.new = sum(1 for v in first + second if v.created)

    say("评价小组实地核定得分……")
    waiting = [v for v in store.versions(year=DEMO_YEAR, current_only=True) if v.id in ours and v.status == AWAITING_SITE]
    _verify(store, waiting, result)
    say("实地验收……")
    for version in waiting:
        _site_visit(store, store.version(version.id), result)
    if DEMO_DISTRICT not in district_filings(store, DEMO_YEAR):  # the city draws only from filed districts
        say(f"{DEMO_DISTRICT}报送年度备案，市里抽查……")
        file_district(store, DEMO_DISTRICT, DEMO_YEAR, by=DISTRICT_REVIEWER)
    result.sample = store.sample(DEMO_YEAR) or draw_sample(store, DEMO_YEAR, by=REVIEWER)

    states = [s for s in store.unit_states(DEMO_YEAR) if s.version_id in ours]
    result.states = Counter(s.state for s in states)
    result.failed_unit = next((s.unit.name for s in states if s.state == FAILED), None)
    return result


def _reviewer(version: Version, city_reviewer: str) -> str:
    """A district reviews its own units; the city's 评价小组 the 市直 ones."""
    return DISTRICT_REVIEWER if version.org_category == CATEGORY_COUNTY else city_reviewer


# --- 初审 --------------------------------------------------------------------------------------

def review_verdict(version: Version, edition: Rubric = RUBRIC) -> tuple[str, str]:
    """The 初审 the group gives a version scored under an edition: (outcome, opinion)."""
    # Errors, and a name not on the roster: the 通报 must name the unit as the roster does.
    errors = [f["message"] for f in version.findings if f.get("severity") == "error" or f.get("code") == "not_on_roster"]
    qualify = shown(edition.qualify_at)
    if version.rescored_total is None:
        reason = errors[0] if errors else "无法读取"
        return RETURN, f"{reason}\n请使用《自评表.xlsx》模板填写，连同佐证材料打包后重新提交。"
    if edition.simple and version.rescored_total < edition.qualify_at:
        return RETURN, (f"按评分规则重新计算的自评分为 {shown(version.rescored_total)} 分，低于 {qualify} 分，"
                        "暂不符合申报条件。请对照评价指标补齐短板后再申报。")
    card = None if edition.simple else rescored_card(version, edition)  # gates, ★ items, conditions
    if card is not None and not card.qualifies:
        return RETURN, (f"按评分规则重新计算，{'；'.join(verdict_reasons(card))}，暂不符合申报条件。"
                        "请对照评价指标补齐短板后再申报。")
    if errors:
        listed = "\n".join(f"{n}. {brief_problem(message)}" for n, message in enumerate(errors[:SHOWN_PROBLEMS], 1))
        more = f"\n（另有 {len(errors) - SHOWN_PROBLEMS} 处问题，详见校验结果。）" if len(errors) > SHOWN_PROBLEMS else ""
        return RETURN, f"请按以下问题补正后重新提交：\n{listed}{more}"
    return APPROVE, f"材料齐全，重新计算自评分 {shown(version.rescored_total)} 分，同意进入实地验收。"


def brief_problem(message: str) -> str:
    """A finding as an opinion lists it: where in the workbook and what is wrong, without the package's name
    (the opinion is on it) and the how-to (the unit reads that in the check's findings)."""
    place, _, detail = message.partition("：")
    if not detail:
        return message.rstrip("。")
    return f"{place.split(' › ')[-1]}：{detail.split('。')[0]}"


def _review(store: Store, versions: list[Version], result: DemoYear) -> None:
    for version in versions:
        version = store.version(version.id)
        if version.status != AWAITING_REVIEW or not version.current:
            continue
        outcome, opinion = review_verdict(version, store.edition_of(version))
        store.decide(version.id, STAGE_REVIEW, outcome, opinion, _reviewer(version, REVIEWER), version.revision)
        result.decisions[(STAGE_REVIEW, outcome)] += 1


# --- 核定 --------------------------------------------------------------------------------------

def mark_downs(version: Version, plan: str, edition: Rubric = RUBRIC) -> dict[str, tuple[Decimal, str]]:
    """The rules a plan marks down on this version: each only if the edition scores it with that step and it
    lowers the claim; a "fail" plan stops once the total is below the qualifying score."""
    claims = {rid: Decimal(r["score"]) for rid, r in version.rules.items() if r.get("score") is not None}
    steps = {r.id: set(r.allowed) for r in edition.rules if not r.computed}
    total = version.rescored_total
    chosen = {}
    for rule_id, score, reason in MARK_DOWNS[plan]:
        if plan == "fail" and total < edition.qualify_at:
            break
        if rule_id not in steps or (steps[rule_id] and score not in steps[rule_id]):
            continue  # another edition's rule, or not one of its steps
        if claims.get(rule_id, Decimal(0)) > score:
            chosen[rule_id] = (score, reason)
            total -= claims[rule_id] - score
    return chosen


def corrected_energy(version: Version) -> Decimal | None:
    """A 综合能耗 figure that declines per head by CORRECTED_DECLINE only (short of the target), when the
    declared figures met 1.1.1 and can be read; else None."""
    figures = version.figures
    if Decimal(version.rules.get("1.1.1", {}).get("score") or 0) == 0:
        return None
    try:
        base_energy, base_people, people = (Decimal(str(figures[n])) for n in
                                            ("base_energy_tce", "base_headcount", "headcount"))
    except (KeyError, ArithmeticError, ValueError):
        return None
    if min(base_energy, base_people, people) <= 0:
        return None
    return (base_energy / base_people * people * (1 - CORRECTED_DECLINE)).quantize(Decimal("0.01"))


def _verify(store: Store, waiting: list[Version], result: DemoYear) -> None:
    city = [v for v in waiting if v.org_category == CATEGORY_CITY]
    plans = {city[place].id: plan for place, plan in MARK_DOWN_PLAN.items() if place < len(city)}
    energy_unit = next((v for v in city[ENERGY_CORRECTION_FROM:] if v.id not in plans and corrected_energy(v)), None)
    for version in waiting:
        edition = store.edition_of(version)
        changed = mark_downs(version, plans[version.id], edition) if version.id in plans else {}
        entries = {}
        for rule in edition.rules:
            if rule.computed:
                continue
            claimed = (version.rules.get(rule.id) or {}).get("score")
            score, reason = changed.get(rule.id, (Decimal(claimed or 0), ""))
            entries[rule.id] = (score, not reason, reason)
        store.verify_rules(version.id, entries, _reviewer(version, VERIFIER), version.revision)
        result.verified += 1
        if energy_unit is not None and version.id == energy_unit.id:
            value = corrected_energy(version)
            current = store.version(version.id)
            store.correct_figures(version.id, {"energy_tce": value}, VERIFIER, current.revision,
                                  reason=f"经核对电费、燃气费票据，{LABELS['energy_tce']}应为 {value}（申报时漏计食堂燃气）。")
            result.corrected.append(version.unit_name)


# --- 实地验收 ------------------------------------------------------------------------------------

def _site_visit(store: Store, version: Version, result: DemoYear) -> None:
    card = store.verified_card(version.id)
    total = shown(card.total)
    if card.card.qualifies:
        marked = f"，{len(card.marked_down)} 条规则核减" if card.marked_down else ""
        opinion = f"现场核查情况与申报材料基本相符{marked}，核定总分 {total} 分，同意通过验收。"
        outcome = APPROVE
    else:
        opinion = rectification_draft(card) + "\n请按上述意见完成整改，纳入下一年度评价验收。"
        outcome = REJECT
    store.decide(version.id, STAGE_SITE, outcome, opinion, _reviewer(version, REVIEWER), version.revision)
    result.decisions[(STAGE_SITE, outcome)] += 1
