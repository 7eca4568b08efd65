"""One unit's energy figures across the years it submitted: the year-over-year view reviewers see, and the
check that the base year (上年度) a unit submits now is what it reported as its current year the year before.

Pure functions of stored figures (figure name -> raw value); the store supplies them (Store.yearly_figures)
and the batch (load_paths) supplies the previous year's when it records a submission.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterable, Mapping

from .energy import CARRIERS, ENERGY, EnergyConfig, total_name, typed_name
from .findings import Finding, finding
from .names import LABELS
from .rubric import CONFIG, INDICATORS, Config
from .scoring import FIGURE_NAMES, Figures, as_number, is_blank

# The figures a per-capita or per-area indicator divides by: a change in them moves every indicator.
BASIS_FIGURES = ("headcount", "floor_area_m2")


def figures_differ(before: Any, now: Any) -> bool:
    """Two reported values of one figure disagree: both numbers, apart by more than rounding noise.

    Energy converted from bills travels as binary floating point; one part in a billion is far above its
    noise and far below any real difference."""
    a, b = as_number(before), as_number(now)
    if a is None or b is None:
        return False
    return abs(a - b) > max(abs(a), abs(b)) * Decimal("1e-9")


@dataclass(frozen=True)
class Mismatch:
    name: str  # the plain figure name (headcount), compared as base_headcount now vs headcount then
    reported: Any  # what the unit reported as its current year the year before
    submitted: Any  # what it now submits for that year as its base


def base_year_mismatches(figures: Mapping[str, Any], previous: Mapping[str, Any] | None) -> list[Mismatch]:
    """This year's base_* figures against last year's submission's current figures."""
    if not previous:
        return []
    return [Mismatch(name, previous.get(name), figures.get("base_" + name)) for name in FIGURE_NAMES
            if figures_differ(previous.get(name), figures.get("base_" + name))]


def base_year_findings(where: str, year: int, figures: Mapping[str, Any], values: Mapping[str, Any],
                       cells: Mapping[str, str], previous: Mapping[str, Any] | None,
                       previous_source: str) -> list[Finding]:
    """Warnings for a base year that disagrees with what the unit reported for that year before.

    figures: as scored (energy adopted); values and cells: the workbook's named cells, to point at the one
    the unit filled."""
    found = []
    for m in base_year_mismatches(figures, previous):
        cell = cells.get(_filled_cell(m.name, values))
        found.append(finding("energy_data_invalid/base_year", cell=cell, where=where,
                             sheet=cell.split("!", 1)[0] if cell else "备案表", label=LABELS["base_" + m.name],
                             submitted=_shown(m.submitted), year=year - 1, reported=_shown(m.reported),
                             plain=LABELS[m.name], previous=previous_source))
    return found


def _filled_cell(name: str, values: Mapping[str, Any]) -> str:
    """The cell a base figure was filled in: energy by bills (the 能耗折算 total), typed, or energy_tce."""
    if name != "energy_tce":
        return "base_" + name
    if any(not is_blank(values.get(c.name(base=True))) for c in CARRIERS):
        return total_name(base=True)
    if not is_blank(values.get(typed_name(base=True))):
        return typed_name(base=True)
    return "base_energy_tce"


def _shown(raw: Any) -> str:
    number = as_number(raw)
    if number is None:
        return "空白" if raw in (None, "") else f"“{raw}”"
    return f"{float(number):,.4f}".rstrip("0").rstrip(".")


# --- the view ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class YearRow:
    """One submitted year: its figures, indicators, declines, and what a reviewer should ask about."""
    year: int
    version_id: int
    figures: Mapping[str, Any]
    indicators: Mapping[str, Fraction | None]  # key -> this year's value
    base_indicators: Mapping[str, Fraction | None]
    declines: Mapping[str, Fraction | None]  # key -> (base - now) / base
    targets: Mapping[str, Fraction]  # key -> the year's required decline
    basis_changes: Mapping[str, Fraction | None]  # headcount / floor_area_m2 -> (now - base) / base
    basis_flagged: tuple[str, ...]  # those that moved by more than the configured share
    mismatches: tuple[Mismatch, ...]  # base figures that differ from last year's submission


def year_over_year(submissions: Iterable[tuple[int, int, Mapping[str, Any]]], config: Config = CONFIG,
                   energy: EnergyConfig = ENERGY) -> list[YearRow]:
    """(year, version id, figures) of one unit, one per year (its current version), as rows by year."""
    by_year = {year: (vid, figs) for year, vid, figs in sorted(submissions, key=lambda s: (s[0], s[1]))}
    rows = []
    for year in sorted(by_year):
        version_id, raw = by_year[year]
        figures = Figures(raw)
        share = Fraction(energy.plausibility_for(year).basis_change_percent) / 100
        changes = {}
        for name in BASIS_FIGURES:
            now, before = figures.figure(name), figures.figure("base_" + name)
            changes[name] = None if now is None or before is None else (now - before) / before
        previous = by_year.get(year - 1)
        rows.append(YearRow(
            year=year, version_id=version_id, figures=dict(raw),
            indicators={k: figures.indicator(i) for k, i in INDICATORS.items()},
            base_indicators={k: figures.indicator(i, base=True) for k, i in INDICATORS.items()},
            declines={k: figures.decline(i) for k, i in INDICATORS.items()},
            targets=dict(config.energy_targets(year).share),
            basis_changes=changes,
            basis_flagged=tuple(n for n, c in changes.items() if c is not None and abs(c) > share),
            mismatches=tuple(base_year_mismatches(raw, previous[1] if previous else None)),
        ))
    return rows
