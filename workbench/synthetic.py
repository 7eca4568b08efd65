"""Synthetic submissions for tests and benchmarks: a checked result from plain values, no workbook."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from shared.checks import SubmissionResult, check_values
from shared.rubric import CATEGORY_CITY, CITY, RUBRIC
from shared.store import Store, Version


class PlainValues:
    """Named values from a dict (what workbook.NamedValues gives for a real workbook)."""

    def __init__(self, values: Mapping[str, Any]):
        self._values = dict(values)

    def value(self, name: str) -> Any:
        return self._values.get(name)

    def address(self, name: str) -> str | None:
        return None


def full_values(org_name: str, category: str = CATEGORY_CITY, year: int = 2020,
                scores: Mapping[str, float] | None = None) -> dict[str, Any]:
    """A complete 自评表 whose figures meet the energy targets; every rule at its maximum unless given."""
    values: dict[str, Any] = {
        "org_name": org_name, "org_category": category, "org_address": f"{CITY.name}{CITY.demo_district}", "contact_name": "张三",
        "contact_phone": "13800000000", "assess_year": year,
        "floor_area_m2": 5000, "headcount": 100, "energy_tce": 90, "water_t": 3000,
        "base_floor_area_m2": 5000, "base_headcount": 100, "base_energy_tce": 100, "base_water_t": 3300,
        "org_profile": "单位基本情况。" * 10, "achievements": "创建工作完成情况。" * 80,
    }
    total = Decimal(0)
    for rule in RUBRIC.rules:
        score = Decimal(str((scores or {}).get(rule.id, rule.points)))
        values[rule.score_name] = float(score)
        total += score
    values["total_score"] = float(total)
    return values


def record_synthetic(store: Store, folder: Path, org_name: str, **kwargs) -> Version:
    """Check the values and record them, with a small unique original file, as one version."""
    values = full_values(org_name, **kwargs)
    source = f"{org_name}.xlsx"
    result: SubmissionResult = check_values(PlainValues(values), where=source, source=source)
    folder.mkdir(parents=True, exist_ok=True)
    original = folder / f"{abs(hash((org_name, repr(sorted(kwargs.items()))))):x}.xlsx"
    original.write_text(f"{org_name}|{sorted(kwargs.items())}", encoding="utf-8")
    return store.record(result, original)
