"""The 能耗折算 sheet's formulas, computed by LibreOffice, equal the core's exact conversion (shared/energy.py),
and the checker reading the saved workbooks scores 1.1 as the template did.

Many filled copies (bills only, a typed total only, both, neither; blanks, text, negatives, booleans in the
carriers; two configured years with different coefficients) go through one soffice run.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from shared.checks import check_values
from shared.energy import (CARRIERS, ENERGY, Coefficient, Conversion, EnergyConfig, adopted_energy, energy_name,
                           total_name, typed_name, year_use)
from shared.office import recalculate
from shared.rubric import RUBRIC
from shared.scoring import parse_year, rescore
from shared.template import build_template, named_cell, workbook_bytes, write_named_values
from shared.workbook import read_named_values

pytestmark = pytest.mark.engine

SEED = 20210301
RANDOM_CASES = 90

# A second energy configuration: from 2022 on the city switches to 油田天然气 and a lighter diesel, so the
# template's LOOKUP of the coefficients by 创建年度 is really exercised.
_LATER = dict(ENERGY.conversion[2020].coefficients)
_LATER["natural_gas_m3"] = Coefficient(Decimal("1.3300"), "kgce/m³", "GB/T 2589 附录A，油田天然气")
_LATER["diesel_l"] = Coefficient(Decimal("1.4571"), "kgce/kg", "柴油", Decimal("0.84"), "kg/L")
MULTI = EnergyConfig({2020: ENERGY.conversion[2020], 2022: Conversion(2022, _LATER)}, ENERGY.plausibility)
CONFIGS = {"city": ENERGY, "multi": MULTI}

# Typical yearly bills of an agency of some hundred people, per carrier.
RANGES = {"electricity_kwh": (2e5, 3e6), "natural_gas_m3": (5e3, 2e5), "gasoline_l": (2e3, 6e4),
          "diesel_l": (5e2, 2e4), "lpg_kg": (1e2, 5e3), "heat_gj": (10, 3000), "other_tce": (0.5, 40)}
BROKEN = ["约100", "12,000", "-", -5, -0.01, True, False, "#N/A", "  ", "", "1e3"]


@dataclass(frozen=True)
class Case:
    id: str
    config: str
    values: dict[str, Any]


def bills(rng: random.Random, base: bool, scale: float, broken: bool) -> dict[str, Any]:
    """Some carriers filled with realistic amounts (rounded as bills are), maybe one broken, maybe a zero."""
    chosen = [c for c in CARRIERS if rng.random() < (0.9 if c.key == "electricity_kwh" else 0.45)]
    values = {}
    for carrier in chosen:
        low, high = RANGES[carrier.key]
        values[carrier.name(base)] = round(rng.uniform(low, high) * scale, rng.choice([0, 0, 1, 2]))
    if chosen and rng.random() < 0.08:
        values[rng.choice(chosen).name(base)] = 0
    if broken:
        values[rng.choice(CARRIERS).name(base)] = rng.choice(BROKEN)
    return values


def year_values(rng: random.Random, base: bool, scale: float) -> dict[str, Any]:
    mode = rng.choices(["bills", "typed", "both", "neither"], weights=[55, 20, 15, 10])[0]
    values: dict[str, Any] = {}
    if mode in ("bills", "both"):
        values.update(bills(rng, base, scale, broken=rng.random() < 0.15))
    if mode in ("typed", "both"):
        values[typed_name(base)] = (round(rng.uniform(50, 900) * scale, 2) if rng.random() < 0.85
                                    else rng.choice(["约300", True, -3, 0, " "]))
    return values


def random_case(rng: random.Random, index: int) -> Case:
    config = "multi" if index % 3 == 2 else "city"
    heads, area = rng.randint(40, 900), round(rng.uniform(3000, 40000))
    values = {"headcount": heads, "base_headcount": heads + rng.choice([0, 0, -3, 4]),
              "floor_area_m2": area, "base_floor_area_m2": area,
              "water_t": round(rng.uniform(2000, 30000)), "base_water_t": round(rng.uniform(2000, 30000)),
              "assess_year": rng.choice([2020, 2021, 2022, 2023, 2019, None]) if config == "multi" else 2020}
    values.update(year_values(rng, True, 1.0))
    values.update(year_values(rng, False, rng.uniform(0.93, 1.02)))
    return Case(f"random{index:03d}-{config}", config, values)


def edge_cases() -> list[Case]:
    common = {"headcount": 100, "base_headcount": 100, "floor_area_m2": 5000, "base_floor_area_m2": 5000,
              "water_t": 9750, "base_water_t": 10000, "assess_year": 2020}
    cases = {
        # Electricity only, exactly 2.5 % less: 1.1.1 and 1.1.3 are met exactly (CONTRACT: a tie meets).
        "bills_exact_target": {"base_use_electricity_kwh": 100000, "use_electricity_kwh": 97500},
        "bills_just_short": {"base_use_electricity_kwh": 100000, "use_electricity_kwh": 97501},
        # Every carrier, both years; the typed totals (ignored) disagree.
        "every_carrier": {**{c.name(True): 1000 for c in CARRIERS}, **{c.name(False): 900 for c in CARRIERS},
                          "energy_tce_typed": 5, "base_energy_tce_typed": 5},
        "typed_only": {"energy_tce_typed": 97.5, "base_energy_tce_typed": 100},
        "bills_now_typed_before": {"use_electricity_kwh": 790000, "base_energy_tce_typed": 100},
        "all_zero_bills": {"use_electricity_kwh": 0, "base_use_electricity_kwh": 1000},
        "text_bill": {"use_electricity_kwh": "97500", "base_use_electricity_kwh": 100000},
        "negative_bill": {"use_electricity_kwh": 97500, "use_heat_gj": -1, "base_use_electricity_kwh": 100000},
        "spaces_only_bill_counts_as_blank": {"use_electricity_kwh": "  ", "energy_tce_typed": 11.9,
                                             "base_energy_tce_typed": 12.29},
        "boolean_typed": {"energy_tce_typed": True, "base_energy_tce_typed": 10},
    }
    return [Case(f"edge-{label}", "city", {**common, **values}) for label, values in cases.items()]


def build_cases() -> list[Case]:
    rng = random.Random(SEED)
    return edge_cases() + [random_case(rng, i) for i in range(RANDOM_CASES)]


CASES = build_cases()
FULL_CLAIMS = {r.score_name: float(r.points) for r in RUBRIC.rules if not r.computed}


def core(case: Case) -> dict[str, Any]:
    """What the core makes of the values as written (energy_tce itself is never written: a formula)."""
    year = parse_year(case.values.get("assess_year"))
    conversion = CONFIGS[case.config].conversion_for(year)
    out = {}
    figures = dict(case.values)
    for base in (False, True):
        use = year_use(case.values.get, base, conversion)
        out[total_name(base)] = use.total_tce
        figures[energy_name(base)] = out[energy_name(base)] = adopted_energy(case.values.get, base, use)[0]
    out["rescore"] = rescore({}, figures, year)
    return out


def test_cases_cover_what_the_formulas_must_get_right():
    results = [core(c) for c in CASES]
    totals = [r[total_name(base)] for r in results for base in (False, True)]
    assert sum(t is None for t in totals) > 20 and sum(t is not None for t in totals) > 60
    filled_values = [v for c in CASES for k, v in c.values.items() if "use_" in k]
    assert {"str", "bool", "int", "float"} <= {type(v).__name__ for v in filled_values}
    assert any(isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0 for v in filled_values)
    scores = {r["rescore"].card.rules["1.1.1"] for r in results}
    assert scores == {0, 4}
    exact = core(next(c for c in CASES if c.id == "edge-bills_exact_target"))
    assert exact["rescore"].card.rules["1.1.1"] == 4 and exact["rescore"].card.rules["1.1.3"] == 3
    short = core(next(c for c in CASES if c.id == "edge-bills_just_short"))
    assert short["rescore"].card.rules["1.1.1"] == 0


@pytest.fixture(scope="module")
def recalculated(soffice, tmp_path_factory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("conversion")
    templates = {}
    for key, energy in CONFIGS.items():
        templates[key] = work / f"template-{key}.xlsx"
        templates[key].write_bytes(workbook_bytes(build_template(energy=energy)))
    (work / "in").mkdir()
    paths = [write_named_values(templates[c.config], work / "in" / f"{i:04d}.xlsx", {**FULL_CLAIMS, **c.values})
             for i, c in enumerate(CASES)]
    return dict(zip((c.id for c in CASES), recalculate(paths, work / "out")))


NAMES = [total_name(False), total_name(True), energy_name(False), energy_name(True),
         *(r.score_name for r in RUBRIC.computed_rules), "total_score"]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_sheet_converts_exactly_as_the_core_and_the_checker_agrees(case, recalculated):
    path = recalculated[case.id]
    wb = openpyxl.load_workbook(path, data_only=True)
    got = {name: named_cell(wb, name).value for name in NAMES}
    expected = core(case)
    for name in NAMES[:4]:
        want = expected[name]
        if want is None or isinstance(want, (bool, str)):  # blank, text or a boolean: the formula shows nothing
            assert got[name] in (None, ""), (name, got[name])
        else:
            assert isinstance(got[name], (int, float)) and not isinstance(got[name], bool), (name, got[name])
            assert got[name] == pytest.approx(float(want), rel=1e-12), name
    card = expected["rescore"].card
    for rule in RUBRIC.computed_rules:
        assert Decimal(repr(got[rule.score_name])) == card.rules[rule.id], rule.id
    # The checker on the file as LibreOffice saved it: the same 1.1, no disagreement about the totals.
    result = check_values(read_named_values(path), where=f"{case.id}.xlsx", energy=CONFIGS[case.config])
    for rule in RUBRIC.computed_rules:
        assert result.rules[rule.id]["score"] == card.rules[rule.id], rule.id
    kinds = {f.kind for f in result.findings}
    assert "energy_data_invalid/conversion" not in kinds and "energy_mismatch" not in kinds
    assert Decimal(repr(got["total_score"])) == result.rescored_total
