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
from typing import Mapping

from .numbers import round_half_up, shown
from .rubric import CONFIG, INDICATORS, RUBRIC, Config, EnergyTargets, Indicator, Rubric, Rule

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


def _score_claim(rule: Rule, raw: object) -> ClaimScore:
    if is_blank(raw):
        return ClaimScore(Decimal(0), BLANK)
    value = as_number(raw)
    if value is None:
        return ClaimScore(Decimal(0), TEXT)
    if value < 0:
        return ClaimScore(Decimal(0), NEGATIVE)
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
            self._indicators[key] = None if num is None or den is None else num * indicator.factor / den
        return self._indicators[key]

    def decline(self, indicator: Indicator) -> Fraction | None:
        """(baseline − assessed) / baseline of one indicator, exactly; None when figures are unusable."""
        if indicator.key not in self._declines:
            now, before = self.indicator(indicator), self.indicator(indicator, base=True)
            self._declines[indicator.key] = None if now is None or before is None else (before - now) / before
        return self._declines[indicator.key]


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


def rounded_decline(fall: Fraction) -> Decimal:
    """The decline as the energy rule sees it: rounded half up (away from zero, as ROUND) to 10 places."""
    return round_half_up(fall, DECLINE_PLACES)


def meets_target(fall: Fraction | None, target: Fraction) -> bool:
    """The one energy-target rule of the checker, the template, the reports and the dashboard."""
    return fall is not None and rounded_decline(fall) >= target


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


# --- items and total ------------------------------------------------------------------------

@dataclass(frozen=True)
class ScoreCard:
    rules: Mapping[str, Decimal]
    items: Mapping[str, Decimal]
    total: Decimal
    qualify_at: Decimal

    @property
    def qualifies(self) -> bool:
        return self.total >= self.qualify_at


def tally(rule_scores: Mapping[str, Decimal], rubric: Rubric = RUBRIC) -> ScoreCard:
    """Item score = min(cap, sum of its rules); total = sum of items. Missing rules count 0."""
    rules = {r.id: Decimal(rule_scores.get(r.id, 0)) for r in rubric.rules}
    items = {
        item.id: min(item.cap, sum((rules[r.id] for r in item.rules), Decimal(0)))
        for item in rubric.items
    }
    return ScoreCard(rules, items, sum(items.values(), Decimal(0)), rubric.qualify_at)


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
) -> Rescore:
    """Re-score one workbook: claims by rule id (raw cell values), 备案表 figures by name."""
    judged = {r.id: score_claim(r, claims.get(r.id)) for r in rubric.rules}
    figures = figures_of(figures)
    scores = {
        r.id: energy_rule_score(r, figures, year, config) if r.computed else judged[r.id].score
        for r in rubric.rules
    }
    return Rescore(tally(scores, rubric), judged, config.energy_targets(year))


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
