"""The city's 抽查 of 区县 units: at least the rate (rounded up, at least one) of each district's passed
units, only passed units, reproducible from the seed in any process, recorded in the store."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from shared.sampling import check_rate, default_seed, draw_sample, sample_size
from shared.store import PASSED, StoreError, district_filings, file_district
from year_fixtures import DISTRICT_AWAITING_SITE, DISTRICTS, FILED_DISTRICTS as FILED, build_scenario

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sampling")
    year = build_scenario(folder)
    year.folder = folder
    yield year
    year.close()


def names(entries) -> list[tuple[str, str]]:
    return [(e.district, e.unit.name) for e in entries]


def passed_units(store, year: int) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for s in store.unit_states(year):
        if s.unit.district and s.state == PASSED:
            found.setdefault(s.unit.district, set()).add(s.unit.name)
    return found


@pytest.mark.parametrize("passed, rate, expected", [
    (21, "0.05", 2), (20, "0.05", 1), (40, "0.05", 2), (1, "0.05", 1), (0, "0.05", 0), (2, "0.05", 1),
    (3, "1", 3), (7, "0.5", 4), (100, "0.07", 7),
])
def test_sample_size_rounds_up_exactly_and_takes_at_least_one(passed, rate, expected):
    assert sample_size(passed, Decimal(rate)) == expected  # 40 × 0.05 is 2, not float's 2.0000000000000004


@pytest.mark.parametrize("rate", ["0.05", "0.1", "0.3", "1"])
def test_each_district_gets_at_least_the_rate_and_only_its_passed_units(scenario, rate):
    entries = draw_sample(scenario.store, 2020, Decimal(rate), seed="s")
    passed = passed_units(scenario.store, 2020)
    assert set(passed) == {d for d, (_, k) in DISTRICTS.items() if k}
    for district, units in passed.items():
        if district not in FILED:
            assert district not in {e.district for e in entries}
            continue
        drawn = [e.unit.name for e in entries if e.district == district]
        assert len(drawn) == max(1, math.ceil(len(units) * Decimal(rate)))
        assert len(drawn) / len(units) >= float(rate) and set(drawn) <= units
    assert DISTRICT_AWAITING_SITE not in {e.unit.name for e in entries}
    assert all(e.unit.district is not None and e.version_id is not None for e in entries)


def test_same_seed_same_sample_and_the_default_seed_comes_from_the_year(scenario):
    store = scenario.store
    first = draw_sample(store, 2020)
    again = draw_sample(store, 2020)
    assert names(first) == names(again) and first[0].seed == default_seed(2020) == "节约型机关抽查-2020"
    by_seed = {seed: names(draw_sample(store, 2020, seed=seed)) for seed in ("甲", "乙", "丙", "丁", 42)}
    assert by_seed["甲"] == names(draw_sample(store, 2020, seed="甲"))
    assert len(set(map(tuple, by_seed.values()))) > 1  # the seed does choose
    assert names(draw_sample(store, 2020, seed=42)) == names(draw_sample(store, 2020, seed="42"))


def test_the_draw_is_recorded_replacing_the_last_and_audited(scenario):
    store = scenario.store
    drawn = draw_sample(store, 2020, Decimal("0.1"), seed="记录", by="赵科长")
    kept = store.sample(2020)
    assert names(kept) == names(drawn)
    assert {(e.seed, e.rate, e.drawn_by) for e in kept} == {("记录", Decimal("0.1"), "赵科长")}
    assert store.sample(2021) == []
    draw_sample(store, 2020, Decimal("0.05"), seed="另一次")
    assert {e.seed for e in store.sample(2020)} == {"另一次"}
    audit = [a for a in store.audit_log() if a.action == "sample_drawn"]
    assert audit[-1].before == {"units": [e.unit.name for e in drawn]}
    assert audit[-1].after["seed"] == "另一次" and audit[-1].after["rate"] == "0.05"


def test_sample_entries_carry_the_passed_version_for_verified_scoring(scenario):
    for entry in draw_sample(scenario.store, 2020, Decimal("1"), seed="all"):
        card = scenario.store.verified_card(entry.version_id)
        assert card.complete and card.total == 100
        assert scenario.store.version(entry.version_id).status == PASSED


def test_another_process_draws_the_same_sample(scenario):
    """str seeds must not depend on PYTHONHASHSEED: the city and a district check the same draw."""
    expected = names(draw_sample(scenario.store, 2020, seed="跨进程"))
    code = ("import json, sys; from shared.store import Store; from shared.sampling import draw_sample;"
            f"s = Store({str('sqlite:///' + str(scenario.folder / 'jyjg.db'))!r}, data_dir={str(scenario.folder / 'jyjg-data')!r});"
            "print(json.dumps([[e.district, e.unit.name] for e in draw_sample(s, 2020, seed='跨进程')], ensure_ascii=False))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True,
                          env={**os.environ, "PYTHONHASHSEED": "12345", "PYTHONIOENCODING": "utf-8"})
    assert [tuple(x) for x in json.loads(done.stdout)] == expected


@pytest.mark.parametrize("rate, expected", [("0.05", Decimal("0.05")), ("5%", Decimal("0.05")), (Decimal("1"), Decimal(1))])
def test_rate_accepts_fractions_and_percent(rate, expected):
    assert check_rate(rate) == expected


@pytest.mark.parametrize("rate", ["0", "-0.1", "1.5", "abc", "NaN", ""])
def test_bad_rates_are_refused_in_chinese(scenario, rate):
    with pytest.raises(StoreError, match="抽查比例"):
        draw_sample(scenario.store, 2020, rate)


def test_a_year_without_passed_district_units_draws_nothing(scenario):
    assert draw_sample(scenario.store, 2022) == []
    assert scenario.store.sample(2022) == []


def test_record_sample_refuses_city_units(scenario):
    city = scenario.store.unit("市委办公室")
    with pytest.raises(StoreError, match="不是区县"):
        scenario.store.record_sample(2020, "x", Decimal("0.05"), [(city.id, None)])


def test_only_districts_that_filed_are_drawn_and_a_busy_district_cannot_file(scenario):
    assert set(district_filings(scenario.store, 2020)) == set(FILED)
    with pytest.raises(StoreError, match=f"还有 1 家单位未完成评审：{DISTRICT_AWAITING_SITE}（待验收）"):
        file_district(scenario.store, "资阳区", 2020, by="区县审核员")
    drawn = {e.district for e in draw_sample(scenario.store, 2020, Decimal("1"), seed="filed")}
    assert drawn == {"赫山区"}  # 沅江市 filed but passed none; 资阳区 passed two but has not filed
    everyone = {e.district for e in draw_sample(scenario.store, 2020, Decimal("1"), seed="all", only_filed=False)}
    assert everyone == {"赫山区", "资阳区"}
    filing = district_filings(scenario.store, 2020)["赫山区"]
    assert len(filing.units) == DISTRICTS["赫山区"][0] and sum(u["state"] == PASSED for u in filing.units) == 21
    assert any(a.action == "district_filed" and a.actor == "区县审核员" for a in scenario.store.audit_log())
