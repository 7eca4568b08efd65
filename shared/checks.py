"""Checks over one submission's named values and evidence; each check yields findings."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Iterable, Iterator, Protocol

from .energy import (ENERGY, NEGATIVE as CARRIER_NEGATIVE, EnergyConfig, YearUse, adopted_energy, energy_name,
                     total_name, typed_name, year_use)
from .findings import Finding, count_by_severity, finding
from .names import (ACHIEVEMENTS_RANGE, BASE_FIGURES, DERIVED, EDITION, FIGURES, LABELS, ORG_PROFILE_MAX,
                    REQUIRED_FIELDS, TOTAL, city_names)
from .rubric import CITY, INDICATORS, City, Rubric, Rule, normalize_org_name
from .numbers import shown
from .scoring import (ABOVE, BETWEEN, BLANK, NEGATIVE, TEXT, Figures, Rescore, ScoreCard, as_number, benchmark_ratio,
                      describe_decline, is_blank,
                      parse_year, plain_number, rescore, tally, tally_total)


@dataclass
class SubmissionResult:
    """What checking one submission gives: the CONTRACT's JSON record plus what the store keeps."""

    source: str
    org_name: str | None = None
    org_category: str | None = None
    assess_year: int | None = None
    claimed_total: Decimal | None = None
    rescored_total: Decimal | None = None
    evidenced_total: Decimal | None = None
    qualifies: bool = False
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {"claimed", "score", "evidenced"}
    items: dict[str, Decimal] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)  # every named value read, for the store
    figures: dict[str, Any] = field(default_factory=dict)  # the 备案表 figures as scored (energy_tce adopted)
    cells: dict[str, str] = field(default_factory=dict)  # name -> 'Sheet!A1'
    evidence: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # rule id -> [{path, status, reason}]
    workbook_name: str | None = None  # the workbook's path inside the package
    edition: str | None = None  # the rubric edition it was scored under (its year's)

    @property
    def counts(self) -> tuple[int, int]:
        return count_by_severity(self.findings)

    def as_contract(self) -> dict:
        return {
            "source": self.source,
            "org_name": self.org_name,
            "org_category": self.org_category,
            "assess_year": self.assess_year,
            "claimed_total": plain_number(self.claimed_total),
            "rescored_total": plain_number(self.rescored_total),
            "evidenced_total": plain_number(self.evidenced_total),
            "qualifies": self.qualifies,
            "rules": {
                rid: {"claimed": json_value(r["claimed"]), "score": plain_number(r["score"])}
                for rid, r in self.rules.items()
            },
            "findings": [f.as_contract() for f in self.findings],
        }


def json_value(raw: Any) -> Any:
    """A raw cell value as strict JSON: finite numbers stay numbers, everything else is its text."""
    if isinstance(raw, float) and not math.isfinite(raw):
        return str(raw)  # NaN and Infinity are not JSON
    if raw is None or isinstance(raw, (bool, int, float, str)):
        return raw
    if isinstance(raw, Decimal):
        return plain_number(raw)
    return str(raw)


# --- what a check sees ------------------------------------------------------------------------

class Values(Protocol):
    """Named cell values of one workbook (workbook.NamedValues, or the add-in's live book)."""

    def value(self, name: str) -> Any: ...

    def address(self, name: str) -> str | None: ...


class EvidenceLookup(Protocol):
    def __call__(self, path_text: str) -> Any: ...  # -> submission.EvidenceStatus(path, status, reason)


@dataclass(frozen=True)
class Context:
    values: Values
    where: str  # the submission as users name it, e.g. 市委办公室.zip
    year: int | None  # the assessed year the targets come from
    rescore: Rescore
    evidence: EvidenceLookup | None
    figures: Figures  # the 备案表 figures, worked out once (energy_tce as adopted, see energy.py)
    rubric: Rubric  # the edition the year calls for: the workbook is scored under it
    city: City
    uses: dict[bool, YearUse]  # each year's 能耗折算 (key: base year?)
    energy: EnergyConfig
    category: str | None = None  # 单位类别: benchmark bands compare with its same-type average

    def cell(self, name: str) -> str | None:
        return self.values.address(name)

    def figure_cell(self, name: str) -> str | None:
        """Where a figure comes from: for energy_tce, the cell the adopted total was taken from."""
        if name.removeprefix("base_") != "energy_tce":
            return self.cell(name)
        base = name.startswith("base_")
        _, source = adopted_energy(self.values.value, base, self.uses[base])
        return self.cell(source) or self.cell(name)


def _fmt(value: Any) -> str:
    """A value as a user reads it in a message (numbers through numbers.shown: never 2.632e+05)."""
    return shown(value)


@functools.cache
def _allowed(rule: Rule) -> str:
    return "、".join(_fmt(a) for a in rule.allowed) + " 分"


# --- the checks: each yields findings ---------------------------------------------------------

def check_fields(ctx: Context) -> Iterator[Finding]:
    for name, label in REQUIRED_FIELDS.items():
        raw = ctx.values.value(name)
        if is_blank(raw):
            yield finding("field_missing", cell=ctx.cell(name), where=ctx.where, label=label)
    category = ctx.values.value("org_category")
    categories = ctx.city.categories.all
    if not is_blank(category) and str(category).strip() not in categories:
        yield finding("field_missing/category", cell=ctx.cell("org_category"), where=ctx.where, value=_fmt(category),
                      categories="”或“".join(categories))
    year = ctx.values.value("assess_year")
    if not is_blank(year) and parse_year(year) is None:
        yield finding("field_missing/year", cell=ctx.cell("assess_year"), where=ctx.where, value=_fmt(year))


def check_text_lengths(ctx: Context) -> Iterator[Finding]:
    profile = ctx.values.value("org_profile")
    if isinstance(profile, str) and len(profile) > ORG_PROFILE_MAX:
        yield finding("text_length", cell=ctx.cell("org_profile"), where=ctx.where, label=LABELS["org_profile"],
                      length=len(profile), limit=f"在 {ORG_PROFILE_MAX} 字以内", fix=f"精简到 {ORG_PROFILE_MAX} 字以内")
    text = ctx.values.value("achievements")
    low, high = ACHIEVEMENTS_RANGE
    if isinstance(text, str) and text.strip() and not (low <= len(text) <= high):
        fix = f"补充到 {low} 字以上" if len(text) < low else f"精简到 {high} 字以内"
        yield finding("text_length", cell=ctx.cell("achievements"), where=ctx.where, label=LABELS["achievements"],
                      length=len(text), limit=f"{low}–{high} 字", fix=fix)


def check_claims(ctx: Context) -> Iterator[Finding]:
    for rule in ctx.rubric.rules:
        if rule.computed:
            continue
        judged = ctx.rescore.claims[rule.id]
        if judged.problem in (None, BLANK):
            continue
        raw = ctx.values.value(rule.claim_name)
        if rule.deduct is not None:
            yield from _count_problem(ctx, rule, judged, raw)
            continue
        common = dict(rule=rule.id, item=rule.item_id, cell=ctx.cell(rule.score_name), where=ctx.where,
                      value=_fmt(raw), allowed=_allowed(rule))
        if judged.problem == TEXT:
            looks_numeric = isinstance(raw, str) and as_number(_to_float(raw)) is not None
            yield finding("invalid_value/number_as_text" if looks_numeric else "invalid_value/text", **common)
        elif judged.problem == NEGATIVE:
            yield finding("invalid_value/negative", **common)
        elif judged.problem == BETWEEN:
            yield finding("invalid_value/between", score=_fmt(judged.score), **common)
        elif judged.problem == ABOVE:
            yield finding("cap_exceeded", max=_fmt(rule.points), **common)


def _count_problem(ctx: Context, rule: Rule, judged, raw: Any) -> Iterator[Finding]:
    """A deduction rule's count of what is missing: text, negative, or not a whole number."""
    common = dict(rule=rule.id, item=rule.item_id, cell=ctx.cell(rule.count_name), where=ctx.where, value=_fmt(raw))
    if judged.problem == TEXT:
        yield finding("invalid_value/count_text", **common)
    elif judged.problem == NEGATIVE:
        yield finding("invalid_value/count_negative", **common)
    elif judged.problem == BETWEEN:
        missing = (rule.points - judged.score) / rule.deduct if judged.score else as_number(raw).to_integral_value(
            rounding="ROUND_CEILING")
        yield finding("invalid_value/count_between", missing=_fmt(missing), score=_fmt(judged.score), **common)


SKIPPED = "不适用"  # what a unit selects in an item's 不评分 cell


def skipped_items(values: Values, rubric: Rubric) -> set[str]:
    """The items a workbook marks 不适用 (only items that may be left out)."""
    return {item.id for item in rubric.items if item.may_skip and _skip_mark(values.value(item.skip_name))}


def skipped_of(named: dict[str, Any], rubric: Rubric) -> set[str]:
    """The same from named values as stored (a version's), for re-tallying it."""
    return {item.id for item in rubric.items if item.may_skip and _skip_mark(named.get(item.skip_name))}


def card_of(rules: dict[str, Any], named: dict[str, Any], rubric: Rubric) -> ScoreCard:
    """A re-score as a card from what a result or a stored version keeps (rule id -> {"score"}, the named values):
    items, gates, ★ items, the pass rule and the grade, under the edition it was scored under."""
    scores = {rid: Decimal(str(e["score"])) for rid, e in (rules or {}).items()
              if isinstance(e, dict) and e.get("score") is not None}
    return tally(scores, rubric, skipped_of(named or {}, rubric))


def _skip_mark(raw: Any) -> bool:
    return isinstance(raw, str) and raw.strip() == SKIPPED


def check_skips(ctx: Context) -> Iterator[Finding]:
    for item in ctx.rubric.items:
        if not item.may_skip:
            continue
        raw = ctx.values.value(item.skip_name)
        if not is_blank(raw) and not _skip_mark(raw):
            yield finding("invalid_value/skip", item=item.id, cell=ctx.cell(item.skip_name), where=ctx.where,
                          value=_fmt(raw))


def check_outcome(ctx: Context) -> Iterator[Finding]:
    """What fails a unit besides its score: a gate not met, a ★ item or rule at 0."""
    card = ctx.rescore.card
    for rule_id in card.gates_failed:
        rule = ctx.rubric.rule(rule_id)
        yield finding("gate_failed", rule=rule.id, item=rule.item_id, cell=ctx.cell(rule.score_name), where=ctx.where,
                      label=rule.label)
    for star in card.stars_failed:
        if star in {i.id for i in ctx.rubric.items}:
            item = ctx.rubric.item(star)
            yield finding("star_zero", item=item.id, cell=ctx.cell(item.score_name), where=ctx.where, what="项目",
                          id=item.id, label=item.name)
        else:
            rule = ctx.rubric.rule(star)
            yield finding("star_zero", rule=rule.id, item=rule.item_id, cell=ctx.cell(rule.score_name),
                          where=ctx.where, what="规则", id=rule.id, label=rule.label)


def _to_float(text: str) -> float | None:
    try:
        return float(text.strip().replace(",", ""))
    except ValueError:
        return None


def check_item_cells(ctx: Context) -> Iterator[Finding]:
    for item in ctx.rubric.items:
        if item.gate:  # 1 met / 0 not: no cap to exceed
            continue
        saved = as_number(ctx.values.value(item.score_name))
        if saved is not None and saved > item.cap:
            yield finding("cap_exceeded/item", item=item.id, cell=ctx.cell(item.score_name), where=ctx.where,
                          value=_fmt(saved), max=_fmt(item.cap))


def check_total(ctx: Context) -> Iterator[Finding]:
    raw = ctx.values.value(TOTAL)
    saved = as_number(raw)
    if saved is None and is_blank(raw):  # a program that does not calculate wrote it: the re-score stands
        yield finding("total_mismatch/unsaved", cell=ctx.cell(TOTAL), where=ctx.where,
                      rescored=_fmt(ctx.rescore.total))
    elif saved is None:
        yield finding("total_mismatch/not_number", cell=ctx.cell(TOTAL), where=ctx.where, value=_fmt(raw),
                      rescored=_fmt(ctx.rescore.total))
    elif saved != ctx.rescore.total:
        yield finding("total_mismatch", cell=ctx.cell(TOTAL), where=ctx.where,
                      claimed=_fmt(saved), rescored=_fmt(ctx.rescore.total))


# Which 1.1 rules each 备案表 figure feeds.
@functools.cache
def _rules_using(rubric: Rubric, figure_name: str) -> list[Rule]:
    plain = figure_name.removeprefix("base_")
    return [r for r in rubric.computed_rules
            if plain in (INDICATORS[r.indicator].numerator, INDICATORS[r.indicator].denominator)]


def check_energy_figures(ctx: Context) -> Iterator[Finding]:
    for name in (*FIGURES, *BASE_FIGURES):
        if ctx.figures.figure(name) is not None:
            continue
        rules = "、".join(r.id for r in _rules_using(ctx.rubric, name))
        base = name.startswith("base_")
        if name == energy_name(base) and ctx.uses[base].filled:
            yield from _carrier_problems(ctx, base, rules)
            continue
        raw = ctx.figures.raw(name)
        if is_blank(raw):
            problem = "未填写"
        elif as_number(raw) is None:
            problem = f"“{_fmt(raw)}”不是数值"
        elif as_number(raw) == 0:
            problem = "填写为 0"
        else:
            problem = f"填写为负数 {_fmt(raw)}"
        yield finding("energy_data_invalid", cell=ctx.figure_cell(name), where=ctx.where, label=LABELS[name],
                      problem=problem, rules=rules)
    yield from _check_conversion(ctx)
    yield from _check_derived(ctx)
    yield from _check_magnitudes(ctx)
    yield from _check_jumps(ctx)


def _carrier_problems(ctx: Context, base: bool, rules: str) -> Iterator[Finding]:
    """A year whose carriers are filled but cannot be converted: each unusable carrier, or a zero total."""
    use = ctx.uses[base]
    for problem in use.problems:
        name = problem.carrier.name(base)
        what = (f"填写为负数 {_fmt(problem.raw)}" if problem.problem == CARRIER_NEGATIVE
                else f"“{_fmt(problem.raw)}”不是数值")
        yield finding("energy_data_invalid/carrier", cell=ctx.cell(name), where=ctx.where, label=LABELS[name],
                      problem=what, rules=rules)
    if not use.problems:
        name = total_name(base)
        yield finding("energy_data_invalid/carrier", cell=ctx.cell(name), where=ctx.where, label=LABELS[name],
                      problem="各能源品种用量合计为 0", rules=rules)


def _check_conversion(ctx: Context) -> Iterator[Finding]:
    """A year filled by carrier: the saved totals must be the exact conversion, and a total also typed in the
    备案表 (which the conversion overrides) should say the same."""
    for base in (False, True):
        expected = ctx.uses[base].total_tce
        if expected is None:
            continue
        for name in (energy_name(base), total_name(base)):
            saved = as_number(ctx.values.value(name))
            # Saved values are the engine's binary floating point: one part in a billion is far above its noise.
            if saved is not None and abs(saved - expected) > expected * Decimal("1e-9"):
                cell = ctx.cell(name)
                yield finding("energy_data_invalid/conversion", cell=cell, where=ctx.where, label=LABELS[name],
                              sheet=cell.split("!", 1)[0] if cell else "", saved=_fmt(saved), expected=_fmt(expected))
        name = typed_name(base)
        typed = as_number(ctx.values.value(name))
        if typed is not None and not _rounds_to(expected, typed):
            yield finding("energy_data_invalid/typed_total", cell=ctx.cell(name), where=ctx.where,
                          label=LABELS[name], typed=_fmt(typed), expected=_fmt(expected))


def _rounds_to(exact: Decimal, typed: Decimal) -> bool:
    """A typed total agrees with the exact one when it is that total rounded to the places typed."""
    places = min(typed.as_tuple().exponent, 0)
    return exact.quantize(Decimal(1).scaleb(places), rounding=ROUND_HALF_UP) == typed


def _check_derived(ctx: Context) -> Iterator[Finding]:
    """A saved kgce/m², kgce/人 or t/人 must agree with the totals it is computed from."""
    for name in DERIVED:
        saved = as_number(ctx.values.value(name))
        expected = ctx.figures.indicator(INDICATORS[name])
        if saved is None or expected is None:
            continue
        # Exactly (a float overflows on absurd figures): a tolerance of one part in a million.
        if abs(Fraction(saved) - expected) > max(expected / 10 ** 6, Fraction(1, 10 ** 9)):
            yield finding("energy_data_invalid/derived", cell=ctx.cell(name), where=ctx.where, label=LABELS[name],
                          saved=_fmt(saved), expected=_fmt(expected))


# What slip a figure far off its typical level usually is (the levels themselves are energy.toml's).
MAGNITUDE_HINTS = {
    "energy_per_capita": "如把 kgce 填成了 tce，或人数少填了位数",
    "water_per_capita": "如把吨填成了万吨或升",
    "energy_per_area": "如把 m² 填成了万 m²，或把 kgce 填成了 tce",
}


def _check_magnitudes(ctx: Context) -> Iterator[Finding]:
    plausibility = ctx.energy.plausibility_for(ctx.year)
    bounds = plausibility.magnitude_bounds
    for key, typical in plausibility.typical.items():
        indicator = INDICATORS[key]
        lowest, highest = bounds[key]
        for base in (False, True):
            value = ctx.figures.indicator(indicator, base=base)
            if value is not None and _outside(value, lowest, highest):
                ratio = value / Fraction(typical.value)
                name = ("base_" if base else "") + indicator.numerator
                label = ("上年度" if base else "") + indicator.label
                times = f"{_whole(ratio)} 倍" if ratio > 1 else f"1/{_whole(1 / ratio)}"
                typical_text = f"{typical.source} {shown(typical.value)} {indicator.unit}"
                yield finding("energy_data_invalid/magnitude", cell=ctx.figure_cell(name), where=ctx.where,
                              label=label, value=shown(value, significant=4), unit=indicator.unit,
                              typical=typical_text, ratio=times, hint=MAGNITUDE_HINTS[key])


def _outside(value: Fraction, lowest: Fraction, highest: Fraction) -> bool:
    """value > highest or value < lowest, exactly (an absurd figure such as a headcount of 1e-320 overflows
    a float), in integers: cross-multiplied, as Fraction's own comparisons cost several times more."""
    top, bottom = value.numerator, value.denominator
    return (top * highest.denominator > highest.numerator * bottom
            or top * lowest.denominator < lowest.numerator * bottom)


JUMP_FACTOR = 2  # a figure that doubles or halves in a year is worth a second look


def _check_jumps(ctx: Context) -> Iterator[Finding]:
    for name in FIGURES:
        now, before = ctx.figures.figure(name), ctx.figures.figure("base_" + name)
        if now is None or before is None:
            continue
        # now > 2 × before or 2 × now < before, exactly (no float overflows), in integers: cross-multiplied
        now_across, before_across = now.numerator * before.denominator, before.numerator * now.denominator
        if now_across > before_across * JUMP_FACTOR or now_across * JUMP_FACTOR < before_across:
            rise = (now - before) / before * 100
            change = ("+" if rise > 0 else "-") + _whole(abs(rise)) + "%"
            yield finding("energy_data_invalid/jump", cell=ctx.figure_cell(name), where=ctx.where, label=LABELS[name],
                          now=_fmt(ctx.figures.raw(name)), before=_fmt(ctx.figures.raw("base_" + name)),
                          change=change)


WHOLE_UP_TO = 10 ** 6


def _whole(value: Fraction) -> str:
    """A ratio or percentage for a warning, to a whole number; past a million (an absurd figure such
    as a headcount of 1e-320 gives 10^320) it says so rather than print hundreds of digits."""
    return shown(value, places=0) if value < WHOLE_UP_TO else f"{shown(WHOLE_UP_TO)} 以上"


def check_benchmarks(ctx: Context) -> Iterator[Finding]:
    """A band rule whose same-type average is not configured for the year and 单位类别 scores 0: say so."""
    for rule in ctx.rubric.computed_rules:
        if not rule.bands:
            continue
        average, _ = ctx.city.config.benchmark(ctx.year, ctx.category, rule.indicator)
        if average is None:
            yield finding("energy_data_invalid/benchmark", rule=rule.id, item=rule.item_id, where=ctx.where,
                          year=_year_text(ctx.year), category=ctx.category or "", label=INDICATORS[rule.indicator].label,
                          lead=ctx.city.lead_agency)


def check_energy_scores(ctx: Context) -> Iterator[Finding]:
    for rule in ctx.rubric.computed_rules:
        raw = ctx.values.value(rule.score_name)
        if is_blank(raw):
            continue  # a formula saved without its value: total_mismatch/unsaved says so once
        saved = as_number(raw)
        score = ctx.rescore.card.rules[rule.id]
        if saved != score:
            yield finding("energy_mismatch", rule=rule.id, item=rule.item_id, cell=ctx.cell(rule.score_name),
                          where=ctx.where, claimed=_fmt(raw), score=_fmt(score), reason=_energy_reason(ctx, rule))


def _energy_reason(ctx: Context, rule: Rule) -> str:
    indicator = INDICATORS[rule.indicator]
    if rule.bands:
        ratio = benchmark_ratio(rule, ctx.figures, ctx.year, ctx.category, ctx.city.config)
        average, source = ctx.city.config.benchmark(ctx.year, ctx.category, rule.indicator)
        if ratio is None:
            return f"{indicator.label}所需数据或同类平均值不完整"
        return (f"{indicator.label}为同类平均值（{_fmt(average)} {indicator.unit}，{source}）的 "
                f"{shown(ratio, places=4)} 倍")
    fall = ctx.figures.decline(indicator)
    target = ctx.rescore.targets.percent[indicator.key]
    if fall is None:
        return f"{indicator.label}所需数据不完整"
    return (f"{indicator.label}{describe_decline(fall, ctx.rescore.targets.share[indicator.key])}"
            f"（目标下降 {_fmt(target)}%）")


def evidence_paths(raw: Any) -> list[str]:
    """The evidence cell's paths: one per line; blank lines and surrounding spaces ignored."""
    if not isinstance(raw, str):
        return [] if raw is None else [_fmt(raw)]
    if "\n" not in raw and "\r" not in raw:
        text = raw.strip()
        return [text] if text else []
    return [line.strip() for line in raw.replace("\r", "\n").split("\n") if line.strip()]


EVIDENCE_CODES = {"not_found": "evidence_not_found", "unsafe": "evidence_unsafe", "broken": "evidence_broken"}
@functools.cache
def _evidence_plan(rubric: Rubric) -> tuple[tuple[tuple[str, str, str], ...], tuple[str, ...]]:
    """(rule id, item id, evidence cell name) of each rule that needs evidence; and the computed rules,
    whose figures are their own evidence."""
    return (tuple((rule.id, rule.item_id, rule.evidence_name) for rule in rubric.rules if not rule.computed),
            tuple(rule.id for rule in rubric.computed_rules))


def check_evidence(ctx: Context, backed: dict[str, bool], statuses: dict[str, list[dict]]) -> Iterator[Finding]:
    """Fills `backed` (rule id -> counts in the evidence-backed total) and `statuses` as it goes."""
    evidenced_rules, computed_rule_ids = _evidence_plan(ctx.rubric)
    backed.update(dict.fromkeys(computed_rule_ids, True))  # the figures are the evidence
    scores = ctx.rescore.card.rules
    lookup = ctx.evidence
    value, address, where = ctx.values.value, ctx.values.address, ctx.where  # looked up some 40 times a check
    for rule_id, item_id, name in evidenced_rules:
        paths = evidence_paths(value(name))
        if not paths:
            backed[rule_id] = False
            if scores[rule_id] > 0:
                yield finding("evidence_missing", rule=rule_id, item=item_id, cell=address(name), where=where,
                              score=_fmt(scores[rule_id]))
            continue
        all_ok = True
        statuses[rule_id] = seen = []
        cell = address(name)
        for path in paths:
            status = lookup(path) if lookup else None
            state, reason = (status.status, status.reason) if status else ("not_found", "")
            seen.append({"path": path, "status": state, "reason": reason})
            if state != "ok":
                all_ok = False
                yield finding(EVIDENCE_CODES[state], rule=rule_id, item=item_id, cell=cell, where=where, path=path,
                              reason=reason)
        backed[rule_id] = all_ok


CHECKS = (check_fields, check_text_lengths, check_claims, check_skips, check_item_cells, check_total,
          check_energy_figures, check_benchmarks, check_energy_scores, check_outcome)


def check_edition(values: Values, where: str, year: int | None, required: Rubric, city: City) -> Iterator[Finding]:
    """A workbook filled on another edition's template than its year calls for (an old 附件1, most often).

    It is scored under its year's edition all the same: rules the template lacks score 0. A template from
    before editions were named carries no rubric_edition: it is the first configured year's."""
    raw = values.value(EDITION)
    if is_blank(raw):
        filled = city.editions.get(city.config.edition_name(None))
    else:
        filled = city.editions.get(str(raw).strip())
        if filled is None:
            yield finding("not_a_template/unknown_edition", cell=values.address(EDITION), where=where,
                          value=_fmt(raw), required=required.label, year=_year_text(year))
            return
    if filled is not None and filled.name != required.name:
        yield finding("not_a_template/edition", cell=values.address(EDITION), where=where, filled=filled.label,
                      required=required.label, year=_year_text(year))


def _year_text(year: int | None) -> str:
    return f"{year} 年度" if year is not None else "本年度"


def check_values(values: Values, where: str, year: int | None = None,
                 evidence: EvidenceLookup | None = None, source: str | None = None,
                 city: City = CITY, energy: EnergyConfig = ENERGY) -> SubmissionResult:
    """Every per-workbook check on one workbook's named values, scored under the rubric edition its year
    calls for. `year` is used when the workbook has none."""
    own_year = parse_year(values.value("assess_year"))
    target_year = own_year if own_year is not None else year
    rubric = city.edition_for(target_year)
    claims = {r.id: values.value(r.claim_name) for r in rubric.rules}
    conversion = energy.conversion_for(target_year)  # both years converted alike: see energy.toml
    uses = {base: year_use(values.value, base, conversion) for base in (False, True)}
    view = _FigureView(values, uses)
    figures = Figures(view)
    category = _text_or_none(values.value("org_category"))
    skipped = skipped_items(values, rubric)
    judged = rescore(claims, figures, target_year, rubric, city.config, category, skipped)
    ctx = Context(values, where, target_year, judged, evidence, figures, rubric, city, uses, energy, category)
    findings = list(check_edition(values, where, target_year, rubric, city))
    findings += [f for check in CHECKS for f in check(ctx)]
    backed: dict[str, bool] = {}
    statuses: dict[str, list[dict]] = {}
    findings += check_evidence(ctx, backed, statuses)
    card = judged.card
    evidenced_total = tally_total({rid: s if backed.get(rid) else Decimal(0) for rid, s in card.rules.items()},
                                  rubric, skipped)
    org_name = values.value("org_name")
    named, cells = _kept(values, city_names(city))
    return SubmissionResult(
        source=source or where,
        org_name=_text_or_none(org_name),
        org_category=category,
        assess_year=own_year,
        claimed_total=as_number(values.value(TOTAL)),
        rescored_total=card.total,
        evidenced_total=evidenced_total,
        qualifies=card.qualifies,
        rules={r.id: {"claimed": claims[r.id], "score": card.rules[r.id], "evidenced": backed.get(r.id, False)}
               for r in rubric.rules},
        items=dict(card.items),
        findings=findings,
        values=named,
        figures={n: view.get(n) for n in ALL_FIGURES},
        cells=cells,
        evidence=statuses,
        edition=rubric.name,
    )


ALL_FIGURES = (*FIGURES, *BASE_FIGURES)


def _kept(values: Values, names: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    """What a result keeps of the workbook: every name's value, and the address of each name found."""
    as_dicts = getattr(values, "as_dicts", None)  # a workbook read from a file copies them whole
    if as_dicts is not None:
        return as_dicts(names)
    return ({n: values.value(n) for n in names}, {n: a for n in names if (a := values.address(n))})


class _FigureView:
    """Figures by name as scored (scoring takes any mapping-like .get): read straight from the values, but
    energy_tce as adopted from the 能耗折算 sheet or the typed total (energy.adopted_energy)."""

    def __init__(self, values: Values, uses: dict[bool, YearUse]):
        self._values = values
        self._uses = uses

    def get(self, name: str, default: Any = None) -> Any:
        if name.removeprefix("base_") == "energy_tce":
            base = name.startswith("base_")
            return adopted_energy(self._values.value, base, self._uses[base])[0]
        return self._values.value(name)


def _text_or_none(raw: Any) -> str | None:
    if is_blank(raw):
        return None
    return _fmt(raw).strip()


# --- checks across the batch --------------------------------------------------------------------

def check_duplicates(results: list[SubmissionResult], city: City = CITY) -> None:
    """Two submissions for one unit in one run: each gets a finding naming the other(s)."""
    duplicates = Duplicates(city)
    for result in results:
        duplicates.see(result.org_name, result.source)
    for result in results if duplicates else ():
        found = duplicates.finding_for(result.org_name, result.source)
        if found is not None:
            result.findings.append(found)


# Each submission's duplicate_submission finding names at most this many of its unit's other submissions;
# beyond, it names these and says how many there are (a finding stays readable, and a run's memory bounded).
DUPLICATES_NAMED = 9


class _Group:
    """A unit submitted more than once in a run: its first sources, how many, and its tagged submissions."""

    __slots__ = ("named", "count", "tagged")

    def __init__(self, first: tuple[str, str, Any]):
        source, _, tag = first
        self.named: list[str] = [source]
        self.count = 1
        self.tagged: list[tuple[str, str, Any]] = [] if tag is None else [first]

    def finding(self, org_name: str, source: str) -> Finding:
        others = [named for named in self.named if named != source][:DUPLICATES_NAMED]
        if self.count - 1 <= DUPLICATES_NAMED:
            return finding("duplicate_submission", where=source, other="”“".join(others), org=org_name)
        return finding("duplicate_submission/many", where=source, other="”“".join(others), org=org_name,
                       count=self.count - 1)


class Duplicates:
    """The one cross-submission check, in two passes over a run of any size. First `see` each submission as
    it arrives: the run remembers each unit name's first source, and, for a unit seen again, its first few
    sources and how many it has (and, for submissions given a `tag` such as the store's version id, each
    one). Then `finding_for` each: every submission of a unit with more than one in the run gets a
    duplicate_submission finding naming the others, as CONTRACT.md asks (the first DUPLICATES_NAMED of
    them, then how many in all)."""

    def __init__(self, city: City = CITY) -> None:
        self._first: dict[str, tuple[str, str, Any]] = {}
        self._groups: dict[str, _Group] = {}
        self._city_name = city.name  # whose name prefixes fold away (normalize_org_name)

    def see(self, org_name: str | None, source: str, tag: Any = None) -> None:
        if not org_name:
            return
        key = normalize_org_name(org_name, self._city_name)
        first = self._first.get(key)
        if first is None:
            self._first[key] = (source, org_name, tag)
            return
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(first)
        group.count += 1
        if len(group.named) <= DUPLICATES_NAMED:
            group.named.append(source)
        if tag is not None:
            group.tagged.append((source, org_name, tag))

    def __bool__(self) -> bool:
        """Whether any unit was seen more than once."""
        return bool(self._groups)

    def finding_for(self, org_name: str | None, source: str) -> Finding | None:
        """The finding for the submission of `org_name` from `source`, when its unit has others in the run."""
        group = self._groups.get(normalize_org_name(org_name, self._city_name)) if org_name and self._groups else None
        return None if group is None else group.finding(org_name, source)

    def tagged_findings(self) -> Iterator[tuple[Any, Finding]]:
        """(tag, its finding) for each tagged submission of a unit seen more than once, unit by unit."""
        for group in self._groups.values():
            for source, org_name, tag in group.tagged:
                yield tag, group.finding(org_name, source)


def check_roster(result: SubmissionResult, city: City = CITY) -> None:
    """A 市直 unit must be on 附件4; 区县 units are listed by their districts, not here. A near miss names
    the roster's spelling."""
    if (result.org_name and result.org_category == city.categories.city
            and city.find_roster_unit(result.org_name) is None):
        near = city.closest_roster_unit(result.org_name)
        kind, fields = ("not_on_roster/near", {"suggestion": near.name}) if near else ("not_on_roster", {})
        result.findings.append(finding(kind, cell=result.cells.get("org_name"), where=result.source,
                                       org=result.org_name, roster=city.roster_title, lead=city.lead_agency,
                                       **fields))
