"""Every shipped edition's template, and the made-up one's, recalculated by LibreOffice, equals the core's
re-score (issue 15): gates just met and just missed, a ★ at 0 with a total above the pass mark, items
marked 不适用, deduction counts, benchmark band edges, bonus points, grades — and random valid and invalid
entries. One soffice run for all of them.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from shared.office import recalculate
from shared.rubric import CITY, Benchmarks, City, load_city
from shared.scoring import parse_year, rescore
from shared.template import build_template, named_cell, workbook_bytes, write_named_values

pytestmark = pytest.mark.engine

MADE_UP = load_city(Path(__file__).resolve().parents[1] / "data" / "made_up" / "city.toml")
# The shipped examples under 益阳's targets, with same-type averages for the bands (a city would configure them).
AVERAGES = Benchmarks(2020, "测试用", {"市直党政机关": {"energy_per_capita": Decimal("400"), "energy_per_area": Decimal("20")},
                                     "*": {"energy_per_capita": Decimal("500"), "energy_per_area": Decimal("25"),
                                           "water_per_capita": Decimal("30")}})
EXAMPLES = replace(CITY, config=replace(CITY.config, benchmarks={2020: AVERAGES}))
EDITIONS = {"central-2024-example": EXAMPLES, "model-unit-example": EXAMPLES, "made-up-2099": MADE_UP}
CASES_PER_EDITION = 45


@dataclass(frozen=True)
class Case:
    id: str
    edition: str
    values: dict[str, Any]


def claim(rng: random.Random, rule) -> Any:
    allowed = [float(a) if a % 1 else int(a) for a in rule.allowed]
    return rng.choice([rng.choice(allowed)] * 8 + [None, "满分", str(allowed[-1]), -1, allowed[-1] + 1,
                                                   (allowed[0] + allowed[-1]) / 2 + 0.25, True])


def figures(energy_ratio: float, water_change: float, per_capita_ratio: float) -> dict[str, Any]:
    """1000 m², 50 people: energy per m² at `energy_ratio` × 20 (the 市直 average), water `water_change`."""
    tce = round(energy_ratio * 20, 12)
    return {"floor_area_m2": 1000, "headcount": 50, "energy_tce": tce, "water_t": round(1000 * (1 + water_change), 9),
            "base_floor_area_m2": 1000, "base_headcount": 50,
            "base_energy_tce": round(tce / (1 - 0.03) if per_capita_ratio else tce, 9),
            "base_water_t": 1000}


EDGES = [0.8, 0.8 + 1e-11, 0.8 + 1e-9, 0.9, 0.9 + 1e-9, 1.0, 1.0 + 1e-9, 1.1, 1.2, 1.2 + 1e-9, 1.25, 1.25 + 1e-9,
         0.5, 1.6]


def build_cases() -> list[Case]:
    rng = random.Random(20991231)
    cases = []
    for name, city in EDITIONS.items():
        edition = city.edition(name)
        categories = [*city.categories.all, "其他", None]
        for index in range(CASES_PER_EDITION):
            values: dict[str, Any] = {"assess_year": rng.choice([2020, 2020, 2020, 2021, None, 2019]),
                                      "org_category": rng.choice(categories)}
            values.update(figures(rng.choice(EDGES), rng.choice([-0.05, -0.02, -0.03, -0.0299999999, 0.01]),
                                  rng.random()))
            # Every third case claims everything at its best, then one in three of those misses a gate and one
            # a ★ item: the boundaries of the pass rule; the rest reach the grades by their figures.
            full = index % 3 == 0
            for rule in edition.rules:
                if rule.computed:
                    continue
                if rule.deduct is not None:
                    values[rule.count_name] = 0 if full else rng.choice([0, 0, 1, 2, 3, 9, 1.5, -1, "两项", None])
                else:
                    values[rule.score_name] = (int(rule.points) if full else claim(rng, rule))
            for item in edition.items:
                if item.may_skip:
                    values[item.skip_name] = rng.choice(["不适用", " 不适用", None, None, "不用"])
            if full and index % 9 == 0 and edition.gate_rules:  # a gate just missed, all else met
                gate = rng.choice([r for r in edition.gate_rules if not r.computed])
                values[gate.score_name] = 0
            elif full and index % 9 == 3 and any(i.star for i in edition.items):  # a ★ item at 0, total above
                star = next(i for i in edition.items if i.star)
                for rule in star.rules:
                    values[rule.claim_name] = 0
            cases.append(Case(f"{name}-{index:02d}", name, values))
    return cases


CASES = build_cases()


def expected(case: Case):
    city = EDITIONS[case.edition]
    edition = city.edition(case.edition)
    values = case.values
    claims = {r.id: values.get(r.claim_name) for r in edition.rules}
    skipped = {i.id for i in edition.items if i.may_skip and isinstance(values.get(i.skip_name), str)
               and values[i.skip_name].strip() == "不适用"}
    category = values.get("org_category")
    return edition, rescore(claims, values, parse_year(values.get("assess_year")), edition, city.config,
                            category.strip() if isinstance(category, str) else None, skipped).card


def test_the_cases_reach_every_outcome():
    cards = [expected(c)[1] for c in CASES]
    assert {c.qualifies for c in cards} == {True, False}
    assert any(c.gates_failed and c.reaches_pass_mark for c in cards)
    assert any(c.stars_failed and c.reaches_pass_mark for c in cards)
    assert any(c.skipped for c in cards) and len({c.grade for c in cards}) >= 3
    band_points = {c.rules["3.1.1"] for c, case in zip(cards, CASES) if case.edition == "made-up-2099"}
    assert band_points == {0, 6, 12, 20}


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


@pytest.fixture(scope="module")
def computed(soffice, tmp_path_factory) -> dict[str, dict[str, Any]]:
    work = tmp_path_factory.mktemp("editions")
    templates = {}
    for name, city in EDITIONS.items():
        templates[name] = work / f"template-{name}.xlsx"
        templates[name].write_bytes(workbook_bytes(build_template(city.edition(name), city.config, city)))
    (work / "in").mkdir()
    paths = [write_named_values(templates[c.edition], work / "in" / f"{i:04d}.xlsx", c.values)
             for i, c in enumerate(CASES)]
    results = {}
    for case, output in zip(CASES, recalculate(paths, work / "out")):
        wb = openpyxl.load_workbook(output, data_only=True)
        edition = EDITIONS[case.edition].edition(case.edition)
        names = ["total_score", "qualifies", "grade", *(i.score_name for i in edition.items),
                 *(r.score_name for r in edition.rules if r.computed or r.deduct is not None)]
        results[case.id] = {n: named_cell(wb, n).value for n in names} | {"verdict": wb["自评表"]["A3"].value}
    return results


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_template_equals_the_core(case, computed):
    edition, card = expected(case)
    got = computed[case.id]
    for rule in edition.rules:
        if rule.computed or rule.deduct is not None:
            assert _number(got[rule.score_name]) == card.rules[rule.id], (rule.id, got[rule.score_name])
    for item in edition.items:
        assert _number(got[item.score_name]) == card.items[item.id], (item.id, got[item.score_name])
    assert _number(got["total_score"]) == card.total
    assert got["qualifies"] == (1 if card.qualifies else 0), card
    assert (got["grade"] or None) == card.grade
    assert got["verdict"].startswith("符合") == card.qualifies
