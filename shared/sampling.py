"""The city's 抽查 of 区县（市） units (方案 四（三）): a reproducible draw from each district's passed units.

Each district gives at least `rate` of its units that passed 实地验收 in the year (rounded up, and at
least one when it has any). The draw depends only on the seed, the year and the passed units, so
anyone holding the seed can draw the same sample again; it is recorded in the store.
"""
from __future__ import annotations

import math
import random
from decimal import Decimal, InvalidOperation

from .store import PASSED, SYSTEM, SampleEntry, Store, StoreError, UnitState, district_filings

DEFAULT_RATE = Decimal("0.05")


def default_seed(year: int) -> str:
    """The seed used when none is given: fixed by the year, so a year's default draw never changes."""
    return f"节约型机关抽查-{year}"


def sample_size(passed: int, rate: Decimal) -> int:
    """ceil(passed × rate), at least one when there is anything to draw from."""
    if passed <= 0:
        return 0
    return min(passed, max(1, math.ceil(Decimal(passed) * rate)))


def check_rate(rate: object) -> Decimal:
    try:
        value = Decimal(str(rate).strip().rstrip("%")) / (100 if str(rate).strip().endswith("%") else 1)
    except (InvalidOperation, ValueError):
        raise StoreError(f"抽查比例“{rate}”不是数值，请填写如 0.05 或 5%。") from None
    if not value.is_finite() or not (0 < value <= 1):
        raise StoreError(f"抽查比例“{rate}”应大于 0 且不超过 1（如 0.05 表示 5%）。")
    return value


def passed_by_district(store: Store, year: int, districts: set[str] | None = None) -> dict[str, list[UnitState]]:
    """区县 units that passed 实地验收 in the year, by district (only `districts` when given), each
    district's units by name."""
    found: dict[str, list[UnitState]] = {}
    for state in store.unit_states(year):
        if state.unit.district and state.state == PASSED and (districts is None or state.unit.district in districts):
            found.setdefault(state.unit.district, []).append(state)
    return {d: sorted(units, key=lambda s: s.unit.name) for d, units in sorted(found.items())}


def pick(units: list[UnitState], count: int, seed: str, year: int, district: str) -> list[UnitState]:
    """The draw for one district: its own generator, so one district's list never shifts another's."""
    generator = random.Random(f"{seed}|{year}|{district}")  # str seeds hash the same in every process
    return sorted(generator.sample(units, count), key=lambda s: s.unit.name)


def draw_sample(store: Store, year: int, rate: Decimal | str = DEFAULT_RATE, seed: str | int | None = None,
                *, by: str = SYSTEM, only_filed: bool = True) -> list[SampleEntry]:
    """Draw and record the year's 抽查 (replacing an earlier draw of the year); returns the entries,
    by district and unit name. The same seed, year and passed units always give the same sample.

    The city draws from the districts that have filed their 年度备案 for the year (`only_filed`)."""
    rate = check_rate(rate)
    seed = default_seed(year) if seed is None or str(seed).strip() == "" else str(seed).strip()
    districts = set(district_filings(store, year)) if only_filed else None
    picks = []
    for district, units in passed_by_district(store, year, districts).items():
        for state in pick(units, sample_size(len(units), rate), seed, year, district):
            picks.append((state.unit.id, state.version_id))
    return store.record_sample(year, seed, rate, picks, by=by)
