"""Progress against the year's creation targets: the one computation behind the dashboard's 总览 chart,
the export's 进度 sheet and the 通报's 创建进展 sentences.

A unit counts as built (累计建成) once a version of it passed 实地验收 in the year or before; the target
is a share of the units on the city's list (市直, each 区县（市）, the whole city: targets.toml). Units
not on the list count towards no target.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Sequence

from .rubric import City
from .store import AWAITING_REVIEW, AWAITING_SITE, PASSED, RETURNED, StoredUnit, Version

ALL_CITY = "全市"  # targets.toml's key for the overall target (方案: 到2022年底全市70%左右)
DISTRICT_PREFIX = "其中："  # a district's row under the 区县 total
IN_REVIEW = (AWAITING_REVIEW, RETURNED, AWAITING_SITE)


@dataclass(frozen=True)
class Progress:
    label: str
    units: int  # units on the list: the target is a share of these
    built: int  # passed 实地验收 in the year or before
    target: Decimal | None  # percent
    in_review: int = 0  # submitted this year, not decided yet (and not built before)

    @property
    def rate(self) -> Decimal | None:
        return None if self.units == 0 else Decimal(self.built) / Decimal(self.units)

    @property
    def met(self) -> bool | None:
        """Exactly: built / units >= target %, without rounding the rate."""
        if self.target is None or self.units == 0:
            return None
        return self.built * 100 >= self.target * self.units

    @property
    def target_count(self) -> int | None:
        """How many units the target asks for (rounded up)."""
        return None if self.target is None else math.ceil(self.units * self.target / 100)

    def percent(self, count: int) -> float:
        """`count` as a percentage of the units, for drawing."""
        return 100.0 * count / self.units if self.units else 0.0

    @property
    def is_district(self) -> bool:
        return self.label.startswith(DISTRICT_PREFIX)


def built_years(versions: Iterable[Version], year: int) -> dict[int, int]:
    """Unit id → the first year (up to `year`) a version of it passed 实地验收."""
    built: dict[int, int] = {}
    for v in versions:
        if v.unit_id is not None and v.status == PASSED and v.assess_year is not None and v.assess_year <= year:
            built[v.unit_id] = min(built.get(v.unit_id, v.assess_year), v.assess_year)
    return built


def progress(units: Sequence[StoredUnit], versions: Sequence[Version], year: int, place: City) -> list[Progress]:
    """市直, then 区县 in total and by district, then 全市; listed units only. `versions`: every version the
    store holds (a unit built in an earlier year counts)."""
    built = set(built_years(versions, year))
    busy = {v.unit_id for v in versions
            if v.unit_id is not None and v.current and v.assess_year == year and v.status in IN_REVIEW}
    config, categories = place.config, place.categories

    def row(label: str, members: list[StoredUnit], target: Decimal | None) -> Progress:
        ids = {u.id for u in members}
        return Progress(label, len(ids), len(ids & built), target, len((ids & busy) - built))

    city = [u for u in units if u.listed and u.district is None]
    districts: dict[str, list[StoredUnit]] = {}
    for u in units:
        if u.listed and u.district:
            districts.setdefault(u.district, []).append(u)
    county = [u for name in sorted(districts) for u in districts[name]]
    county_target = config.creation_target(year, categories.county)
    rows = [row(categories.city, city, config.creation_target(year, categories.city)),
            row(f"{categories.county}（合计）", county, county_target)]
    rows += [row(f"{DISTRICT_PREFIX}{name}", districts[name], county_target) for name in sorted(districts)]
    rows.append(row(ALL_CITY, city + county, config.creation_target(year, ALL_CITY)))
    return rows
