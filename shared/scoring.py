"""Exact re-scoring: claims to allowed values, the energy-target rule, item caps and the total.

All arithmetic is Decimal/Fraction so that a decline of exactly 2.5 % meets a 2.5 % target.
Raw cell values go in (numbers, text, booleans, None, error markers); only real numbers score.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Iterable, Mapping

from .numbers import half_up_units, round_half_up, shown
from .rubric import CONFIG, INDICATORS, RUBRIC, SCORED, Config, EnergyTargets, Indicator, Rubric, Rule

# Why a claim did not score as written. None means it scored exactly what it claimed.
BLANK = "blank"
TEXT = "text"  # text, a boolean or an error value: not a number
NEGATIVE = "negative"
BETWEEN = "between"  # between two allowed values: rounded down
ABOVE = "above"  # above the rule's maximum: capped

FIGURE_NAMES = ("floor_area_m2", "headcount", "energy_tce", "water_t")
BASE_FIGURE_NAMES = tuple(f"base_{n}" for n in FIGURE_NAMES)


def as_number(raw: object) -> Decimal | None:
    """A cell value as an exact Decimal, or None when it is not a finite number.

    Text is never a number here, even text that looks like one: the template's own formulas
    (ISNUMBER) treat it the same way, so the workbook and the checker always agree.
    """
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return None
        return Decimal(repr(raw))  # the shortest decimal that round-trips: what the user typed
    if isinstance(raw, (int, Decimal)):
        try:
            return Decimal(raw) if Decimal(raw).is_finite() else None
        except InvalidOperation:
            return None
    if isinstance(raw, Fraction):
        return Decimal(raw.numerator) / Decimal(raw.denominator)
    return None


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


@dataclass(frozen=True)
class ClaimScore:
    score: Decimal
    problem: str | None  # BLANK, TEXT, NEGATIVE, BETWEEN, ABOVE or None


def score_claim(rule: Rule, raw: object) -> ClaimScore:
    """The CONTRACT's rule: allowed value as is; between steps down; above max capped; else 0."""
    try:
        return _cached_score_claim(rule, raw)
    except TypeError:  # an unhashable value (never from a workbook): score it as it is
        return _score_claim(rule, raw)


def _usable_number(raw: object) -> Decimal | ClaimScore:
    """The claim as a number, or the zero score a blank, text or negative claim earns (any rule alike)."""
    if is_blank(raw):
        return ClaimScore(Decimal(0), BLANK)
    value = as_number(raw)
    if value is None:
        return ClaimScore(Decimal(0), TEXT)
    if value < 0:
        return ClaimScore(Decimal(0), NEGATIVE)
    return value


def _score_claim(rule: Rule, raw: object) -> ClaimScore:
    value = _usable_number(raw)
    if isinstance(value, ClaimScore):
        return value
    if value > rule.points:
        return ClaimScore(rule.points, ABOVE)
    floor = max(a for a in rule.allowed if a <= value)
    return ClaimScore(floor, None if floor == value else BETWEEN)


# Claims come from a handful of allowed values: each (rule, value) is worked out once. typed: True is not 1.
_cached_score_claim = functools.lru_cache(maxsize=8192, typed=True)(_score_claim)


# --- item 1.1: the energy-target rule -------------------------------------------------------

class Figures:
    """A workbook's 备案表 figures (any mapping with .get), each figure, indicator and decline worked
    out once: the checks ask for the same ones many times, and exact Fraction arithmetic is not free."""

    def __init__(self, source: Mapping[str, object]):
        self._source = source
        self._figures: dict[str, Fraction | None] = {}
        self._indicators: dict[tuple[str, bool], Fraction | None] = {}
        self._declines: dict[str, Fraction | None] = {}

    def raw(self, name: str) -> object:
        """A figure as its source holds it (for messages about why it is unusable)."""
        return self._source.get(name)

    def figure(self, name: str) -> Fraction | None:
        """A figure as an exact positive Fraction, or None when missing, zero, negative or text."""
        if name not in self._figures:
            try:
                self._figures[name] = _positive_fraction(self._source.get(name))
            except TypeError:  # an unhashable value cannot be a number anyway
                self._figures[name] = None
        return self._figures[name]

    def indicator(self, indicator: Indicator, base: bool = False) -> Fraction | None:
        key = (indicator.key, base)
        if key not in self._indicators:
            prefix = "base_" if base else ""
            num = self.figure(prefix + indicator.numerator)
            den = self.figure(prefix + indicator.denominator)
            self._indicators[key] = None if num is None or den is None else _ratio(num, den, indicator.factor)
        return self._indicators[key]

    def decline(self, indicator: Indicator) -> Fraction | None:
        """(baseline − assessed) / baseline of one indicator, exactly; None when figures are unusable."""
        if indicator.key not in self._declines:
            now, before = self.indicator(indicator), self.indicator(indicator, base=True)
            self._declines[indicator.key] = None if now is None or before is None else _decline(before, now)
        return self._declines[indicator.key]


def _ratio(top: Fraction, bottom: Fraction, factor: int = 1) -> Fraction:
    """factor × top / bottom (bottom > 0), exactly, reduced once (Fraction arithmetic reduces at every step)."""
    return Fraction(factor * top.numerator * bottom.denominator, top.denominator * bottom.numerator)


def _decline(before: Fraction, now: Fraction) -> Fraction:
    """(before − now) / before for before > 0, exactly: with before = a/b and now = c/d, (ad − bc) / ad."""
    ad = before.numerator * now.denominator
    return Fraction(ad - before.denominator * now.numerator, ad)


def figures_of(figures: Mapping[str, object]) -> Figures:
    return figures if isinstance(figures, Figures) else Figures(figures)


@functools.lru_cache(maxsize=8192, typed=True)  # typed: True must not hit the entry for 1
def _positive_fraction(raw: object) -> Fraction | None:
    value = as_number(raw)
    if value is None or value <= 0:
        return None
    return Fraction(value)


def figure(figures: Mapping[str, object], name: str) -> Fraction | None:
    """A 备案表 figure as an exact positive Fraction, or None when missing, zero, negative or text."""
    return figures_of(figures).figure(name)


def indicator_value(figures: Mapping[str, object], indicator: Indicator, base: bool = False) -> Fraction | None:
    return figures_of(figures).indicator(indicator, base)


def decline(figures: Mapping[str, object], indicator: Indicator) -> Fraction | None:
    """(baseline − assessed) / baseline of one indicator, exactly; None when figures are unusable."""
    return figures_of(figures).decline(indicator)


# The CONTRACT's declared precision: the decline, rounded half up to this many decimal places, meets the
# target when it is at least the target. Every spreadsheet engine can reproduce it (ROUND(decline,10)).
DECLINE_PLACES = 10


_DECLINE_SCALE = 10 ** DECLINE_PLACES


def rounded_decline(fall: Fraction) -> Decimal:
    """The decline as the energy rule sees it: rounded half up (away from zero, as ROUND) to 10 places."""
    return round_half_up(fall, DECLINE_PLACES)


def meets_target(fall: Fraction | None, target: Fraction) -> bool:
    """The one energy-target rule of the checker, the template, the reports and the dashboard."""
    if fall is None:
        return False
    # rounded_decline(fall) >= target, in integers: units of 10^-10 against the target's numerator and denominator
    target = target if isinstance(target, Fraction) else Fraction(target)
    return half_up_units(fall, DECLINE_PLACES) * target.denominator >= target.numerator * _DECLINE_SCALE


def energy_rule_score(rule: Rule, figures: Mapping[str, object], year: int | None, config: Config = CONFIG) -> Decimal:
    indicator = INDICATORS[rule.indicator]
    met = meets_target(decline(figures, indicator), config.energy_targets(year).share[indicator.key])
    return rule.points if met else Decimal(0)


def describe_decline(fall: Fraction, target: Fraction) -> str:
    """A decline as a person reads it, never contradicting its verdict: "下降 2.5%", "上升 0.66%",
    "与上年持平". Two decimals of a percent, more when two would round a shortfall up to the target
    (a decline 10⁻⁹ short of 2 % reads 下降 1.9999999%, not 下降 2.00%)."""
    met = meets_target(fall, target)
    basis = Fraction(rounded_decline(fall)) if met else fall
    for places in range(2, DECLINE_PLACES - 1):
        percent = round_half_up(basis * 100, places)
        if (Fraction(percent) / 100 >= target) == met:
            break
    else:
        percent = round_half_up(basis * 100, DECLINE_PLACES - 2)  # = the rounded decline: agrees by definition
    if percent == 0:
        if basis == 0 or met:
            return "与上年持平"
        for places in range(3, DECLINE_PLACES - 1):  # a rise too small for two decimals still reads as a rise
            percent = round_half_up(basis * 100, places)
            if percent:
                break
    word = "下降" if percent > 0 else "上升"
    return f"{word} {shown(abs(percent))}%"


# --- benchmark bands and deductions --------------------------------------------------------

def benchmark_ratio(rule: Rule, figures: Mapping[str, object], year: int | None, category: str | None,
                    config: Config = CONFIG) -> Fraction | None:
    """This year's indicator over the same-type average (config [benchmarks]); None when either is missing."""
    value = figures_of(figures).indicator(INDICATORS[rule.indicator])
    average, _ = config.benchmark(year, category, rule.indicator)
    if value is None or average is None:
        return None
    return value / Fraction(average)


def band_points(rule: Rule, ratio: Fraction | None) -> Decimal:
    """The band the ratio falls in: above < ratio <= up_to, the ratio rounded half up to 10 places as a
    decline is (the same declared precision, which the template's ROUND reproduces)."""
    if ratio is None:
        return Decimal(0)
    rounded = round_half_up(ratio, DECLINE_PLACES)
    for band in rule.bands:
        if (band.above is None or rounded > band.above) and (band.up_to is None or rounded <= band.up_to):
            return band.points
    return Decimal(0)


def band_rule_score(rule: Rule, figures: Mapping[str, object], year: int | None, category: str | None,
                    config: Config = CONFIG) -> Decimal:
    return band_points(rule, benchmark_ratio(rule, figures, year, category, config))


def computed_rule_score(rule: Rule, figures: Mapping[str, object], year: int | None, category: str | None,
                        config: Config = CONFIG) -> Decimal:
    """A rule scored from the 备案表 figures: a decline against its target, or a band by the same-type average."""
    if rule.bands:
        return band_rule_score(rule, figures, year, category, config)
    return energy_rule_score(rule, figures, year, config)


def score_deduction(rule: Rule, raw: object) -> ClaimScore:
    """每缺一项扣 deduct 分, down to 0: the claim is how many requirements are missing. A count between
    whole numbers counts the next one up (half a requirement is missing all the same); blank, text or a
    negative count earns 0, as any claim does."""
    value = _usable_number(raw)
    if isinstance(value, ClaimScore):
        return value
    missing = value.to_integral_value(rounding="ROUND_CEILING")
    score = max(Decimal(0), rule.points - rule.deduct * missing)
    return ClaimScore(score, None if missing == value else BETWEEN)


def judge_claim(rule: Rule, raw: object) -> ClaimScore:
    return score_deduction(rule, raw) if rule.deduct is not None else score_claim(rule, raw)


# --- items and total ------------------------------------------------------------------------

@dataclass(frozen=True)
class ScoreCard:
    rules: Mapping[str, Decimal]
    items: Mapping[str, Decimal]  # gate items: 1 all met, 0 not; items marked 不适用: 0
    total: Decimal  # every scored item, bonus included
    qualify_at: Decimal
    applicable: Decimal | None = None  # base points that apply (the base total less 不评分 items)
    base_total: Decimal | None = None  # the edition's base total
    skipped: tuple[str, ...] = ()  # items marked 不适用
    gates_failed: tuple[str, ...] = ()  # gate rules not met
    stars_failed: tuple[str, ...] = ()  # ★ items and rules at 0
    conditions_failed: tuple[str, ...] = ()  # labels of further pass conditions not met
    grades: tuple = ()  # the edition's grades, highest first

    @property
    def pass_score(self) -> Fraction:
        """The score the pass mark is judged on: the total, scaled to the base total when items do not apply."""
        if self.applicable is None or self.base_total is None or self.applicable == self.base_total:
            return Fraction(self.total)
        if self.applicable <= 0:
            return Fraction(0)
        return Fraction(self.total) * Fraction(self.base_total) / Fraction(self.applicable)

    @property
    def reaches_pass_mark(self) -> bool:
        return self.pass_score >= self.qualify_at

    @property
    def qualifies(self) -> bool:
        return (self.reaches_pass_mark and not self.gates_failed and not self.stars_failed
                and not self.conditions_failed)

    @property
    def grade(self) -> str | None:
        """The highest grade reached, for a unit that qualifies; None otherwise (or without grades)."""
        if not self.qualifies:
            return None
        return next((g.name for g in self.grades if self.pass_score >= g.at), None)


def tally(rule_scores: Mapping[str, Decimal], rubric: Rubric = RUBRIC, skipped: Iterable[str] = ()) -> ScoreCard:
    """Item score = min(cap, sum of its rules) (0 for an item marked 不适用; a gate item is met when every
    rule of it is); total = sum of the scored items, bonus included. Missing rules count 0."""
    plan = _tally_plan(rubric)
    rules, skipped, items, total = _items_and_total(plan, rule_scores, skipped)
    applicable = rubric.total - sum((plan.scored_caps.get(i, Decimal(0)) for i in skipped), Decimal(0))
    stars = tuple([i for i in plan.star_items if i not in skipped and items[i] == 0]
                  + [r for r, item_id in plan.star_rules if item_id not in skipped and rules[r] == 0])
    conditions = tuple(label for unit_items, at, label in plan.conditions
                       if sum((items[i] for i in unit_items), Decimal(0)) < at)
    return ScoreCard(rules, items, total, rubric.qualify_at, applicable, rubric.total, skipped,
                     tuple(r for r in plan.gate_rules if rules[r] < 1), stars, conditions, rubric.grades)


def tally_total(rule_scores: Mapping[str, Decimal], rubric: Rubric = RUBRIC, skipped: Iterable[str] = ()) -> Decimal:
    """tally(...).total alone (the evidence-backed total needs nothing else)."""
    return _items_and_total(_tally_plan(rubric), rule_scores, skipped)[3]


def _items_and_total(plan: "_TallyPlan", rule_scores: Mapping[str, Decimal], skipped: Iterable[str]
                     ) -> tuple[dict[str, Decimal], tuple[str, ...], dict[str, Decimal], Decimal]:
    """(every rule's score, the items marked 不适用 that may be, every item's score, the total)."""
    # Written out rather than with sum() and min() over generators: it runs twice for every workbook checked.
    score_of = rule_scores.get
    rules = {}
    for rule_id in plan.rule_ids:
        score = score_of(rule_id, _ZERO)
        rules[rule_id] = score if score.__class__ is Decimal else Decimal(score)
    marked = set(skipped)
    skipped = tuple(item_id for item_id in plan.may_skip if item_id in marked) if marked else ()
    items = {}
    for item_id, gate, cap, rule_ids in plan.items:
        if gate:
            items[item_id] = Decimal(1) if all(rules[r] >= 1 for r in rule_ids) else Decimal(0)
        elif item_id in skipped:
            items[item_id] = Decimal(0)
        else:
            subtotal = _ZERO
            for rule_id in rule_ids:
                subtotal += rules[rule_id]
            items[item_id] = subtotal if subtotal < cap else cap  # min(cap, subtotal), cap when equal
    total = _ZERO
    for item_id in plan.scored_ids:
        total += items[item_id]
    return rules, skipped, items, total


_ZERO = Decimal(0)


@dataclass(frozen=True)
class _TallyPlan:
    """An edition's shape as tally walks it, worked out once per edition (tally runs twice per workbook)."""
    rule_ids: tuple[str, ...]
    items: tuple[tuple[str, bool, Decimal, tuple[str, ...]], ...]  # (id, gate, cap, its rule ids)
    may_skip: tuple[str, ...]  # items a unit may mark 不适用, in the edition's order
    scored_ids: tuple[str, ...]
    scored_caps: dict[str, Decimal]  # the caps of scored (base) items: what 不适用 takes off the base total
    star_items: tuple[str, ...]
    star_rules: tuple[tuple[str, str], ...]  # (rule id, its item id)
    gate_rules: tuple[str, ...]
    conditions: tuple[tuple[tuple[str, ...], Decimal, str], ...]  # (the unit's item ids, at least, label)


@functools.lru_cache(maxsize=64)
def _tally_plan(rubric: Rubric) -> _TallyPlan:
    units = {unit.id: tuple(item.id for item in unit.items) for unit in rubric.units}
    return _TallyPlan(
        rule_ids=tuple(rule.id for rule in rubric.rules),
        items=tuple((item.id, item.gate, item.cap, tuple(rule.id for rule in item.rules)) for item in rubric.items),
        may_skip=tuple(item.id for item in rubric.items if item.may_skip),
        scored_ids=tuple(item.id for item in rubric.scored_items),
        scored_caps={item.id: item.cap for item in rubric.items if item.kind == SCORED},
        star_items=tuple(item.id for item in rubric.items if item.star),
        star_rules=tuple((rule.id, rule.item_id) for rule in rubric.rules if rule.star),
        gate_rules=tuple(rule.id for rule in rubric.gate_rules),
        conditions=tuple((units[c.unit_id], c.at, c.label or f"单元 {c.unit_id} 得分不低于 {shown(c.at)} 分")
                         for c in rubric.conditions),
    )


@dataclass(frozen=True)
class Rescore:
    card: ScoreCard
    claims: Mapping[str, ClaimScore]  # how each claim fared (1.1 rules too, though not used)
    targets: EnergyTargets  # the targets the 1.1 rules were scored against

    @property
    def total(self) -> Decimal:
        return self.card.total


def rescore(
    claims: Mapping[str, object],
    figures: Mapping[str, object],
    year: int | None,
    rubric: Rubric = RUBRIC,
    config: Config = CONFIG,
    category: str | None = None,
    skipped: Iterable[str] = (),
) -> Rescore:
    """Re-score one workbook: claims by rule id (raw cell values; a deduction rule's is its count of what is
    missing), 备案表 figures by name, the 单位类别 (benchmark bands compare with its average) and the items
    marked 不适用."""
    judged = {r.id: judge_claim(r, claims.get(r.id)) for r in rubric.rules}
    figures = figures_of(figures)
    scores = {
        r.id: computed_rule_score(r, figures, year, category, config) if r.computed else judged[r.id].score
        for r in rubric.rules
    }
    return Rescore(tally(scores, rubric, skipped), judged, config.energy_targets(year))


def verdict_reasons(card: ScoreCard) -> list[str]:
    """Why a card does not qualify, in Chinese, one reason a line ([] when it qualifies)."""
    reasons = []
    if not card.reaches_pass_mark:
        scaled = "" if card.pass_score == card.total else f"（按适用项目折算为 {shown(card.pass_score, places=2)} 分）"
        reasons.append(f"得分 {shown(card.total)} 分{scaled}，低于 {shown(card.qualify_at)} 分")
    if card.gates_failed:
        reasons.append(f"必须完成项 {'、'.join(card.gates_failed)} 未达到")
    if card.stars_failed:
        reasons.append(f"★ 项 {'、'.join(card.stars_failed)} 得 0 分")
    reasons += list(card.conditions_failed)
    return reasons


def verdict_text(card: ScoreCard) -> str:
    """The verdict of an edition that judges more than a total: 符合通过条件（等级：优秀）, or 不符合 with why."""
    if card.qualifies:
        scaled = [] if card.pass_score == card.total else [f"按适用项目折算 {shown(card.pass_score, places=2)} 分"]
        notes = scaled + ([f"等级：{card.grade}"] if card.grade else [])
        return "符合通过条件" + (f"（{'，'.join(notes)}）" if notes else "")
    return "不符合通过条件：" + "；".join(verdict_reasons(card))


# How an item reads where its score would stand: a gate item is met or not, an item marked 不评分 does not apply.
GATE_MET, GATE_NOT_MET, NOT_APPLICABLE = "符合", "不符合", "不适用"


def item_shown(item, value: Decimal | None, skipped: Iterable[str]) -> Decimal | str | None:
    """An item's score as a table shows it: 符合 / 不符合 for a gate item, 不适用 for an item marked so, else the
    score itself (None stays None: no score recorded)."""
    if value is None:
        return None
    if item.gate:
        return GATE_MET if value >= 1 else GATE_NOT_MET
    return NOT_APPLICABLE if item.id in set(skipped) else value


def pass_rule_text(rubric: Rubric) -> str:
    """The edition's pass rule in words: 得分达到 N 分（含）以上, with its gates, ★ and conditions."""
    parts = []
    if rubric.gate_rules:
        parts.append("必须完成项全部达到")
    parts += [c.label or f"单元 {c.unit_id} 得分不低于 {shown(c.at)} 分" for c in rubric.conditions]
    judged = "（有不评分项目的，按适用项目折算）" if any(i.may_skip for i in rubric.items) else ""
    parts.append(f"得分达到 {shown(rubric.qualify_at)} 分（含）以上{judged}")
    if any(i.star for i in rubric.items) or any(r.star for r in rubric.rules):
        parts.append("★ 项均不得 0 分")
    return "、".join(parts)


def plain_number(value: Decimal | Fraction | None) -> int | float | None:
    """A score for JSON and display: 4 rather than 4.0, 2.5 as 2.5."""
    if value is None:
        return None
    value = Decimal(value) if not isinstance(value, Fraction) else Decimal(value.numerator) / value.denominator
    return int(value) if value == value.to_integral_value() else float(value)


FIRST_YEAR, LAST_YEAR = 1900, 2200  # the years a 创建年度 (or --year) may be


def parse_year(raw: object) -> int | None:
    """创建年度 as an int, or None. Only a number counts (as in the template's LOOKUP)."""
    value = as_number(raw)
    if value is None or not (FIRST_YEAR <= value <= LAST_YEAR):
        return None
    return int(value)  # 2021.5 is read as 2021, as LOOKUP does
