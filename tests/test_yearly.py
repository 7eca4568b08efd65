"""shared/yearly.py: a unit's figures across the years, the basis changes worth a question, and a base year
that disagrees with what the unit reported before — in the view and, through `jyjg load`, as a finding."""
from __future__ import annotations

from fractions import Fraction

import pytest

from shared.batch import load_paths
from shared.store import Store
from shared.template import write_named_values, write_template
from shared.yearly import base_year_mismatches, figures_differ, year_over_year

Y2019 = {"floor_area_m2": 8000, "headcount": 200, "energy_tce": 100, "water_t": 5000,
         "base_floor_area_m2": 8000, "base_headcount": 200, "base_energy_tce": 104, "base_water_t": 5200}
Y2020 = {"floor_area_m2": 8400, "headcount": 226, "energy_tce": 99, "water_t": 4900,  # 13 % more people
         "base_floor_area_m2": 8000, "base_headcount": 200, "base_energy_tce": 100, "base_water_t": 5000}
Y2021 = {"floor_area_m2": 8400, "headcount": 226, "energy_tce": 95, "water_t": 4800,
         "base_floor_area_m2": 8400, "base_headcount": 220, "base_energy_tce": 99.0000000000001, "base_water_t": 4900}


def test_year_over_year_rows_hold_the_indicators_declines_and_questions():
    rows = year_over_year([(2021, 7, Y2021), (2019, 3, Y2019), (2020, 5, Y2020)])
    assert [(r.year, r.version_id) for r in rows] == [(2019, 3), (2020, 5), (2021, 7)]
    y2020 = rows[1]
    assert y2020.indicators["energy_per_capita"] == Fraction(99000, 226)
    assert y2020.base_indicators["energy_per_capita"] == Fraction(100000, 200)
    assert y2020.declines["energy_per_capita"] == 1 - Fraction(99000, 226) / 500
    assert y2020.declines["energy_per_area"] == 1 - Fraction(99000, 8400) / Fraction(100000, 8000)
    assert y2020.targets["energy_per_capita"] == Fraction(1, 40)
    assert y2020.basis_changes == {"headcount": Fraction(13, 100), "floor_area_m2": Fraction(5, 100)}
    assert y2020.basis_flagged == ("headcount",)  # 13 % > 10 %; 5 % is not
    assert rows[0].basis_flagged == () and rows[0].mismatches == ()  # no 2018 submission to compare with
    assert y2020.mismatches == ()  # its base is 2019's current year
    # 2021 says 2020 had 220 people: 2020's own submission said 226. Energy differs only by float noise.
    assert [(m.name, m.reported, m.submitted) for m in rows[2].mismatches] == [("headcount", 226, 220)]
    assert rows[2].basis_changes["headcount"] == Fraction(6, 220)


def test_a_basis_change_of_exactly_the_configured_share_is_not_flagged():
    figures = dict(Y2019, headcount=220)  # exactly 10 %
    (row,) = year_over_year([(2019, 1, figures)])
    assert row.basis_changes["headcount"] == Fraction(1, 10) and row.basis_flagged == ()


@pytest.mark.parametrize("before, now, differ", [
    (226, 220, True), (99, 99.0000000000001, False), (100, "100", False), (None, 5, False), (0.1, 0.1000001, True),
])
def test_what_counts_as_a_different_figure(before, now, differ):
    assert figures_differ(before, now) is differ


def test_no_previous_submission_no_mismatch():
    assert base_year_mismatches(Y2021, None) == [] and base_year_mismatches(Y2021, {}) == []


# --- through the store: two years of one unit, loaded as `jyjg load` does -----------------------------

@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'jyjg.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = Store(url, data_dir=tmp_path / "jyjg-data")
    yield opened
    opened.close()


COMMON = {"org_name": "市委办公室", "org_category": "市直党政机关", "org_address": "益阳市赫山区",
          "contact_name": "张三", "contact_phone": "13800000000", "org_profile": "本单位" * 30,
          "achievements": "创建" * 350}


def test_two_years_of_one_unit_give_the_view_and_the_base_year_warning(store, tmp_path):
    template = write_template(tmp_path / "template.xlsx")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # 2020, typed: 300 people, 120 tce. 2021 fills its bills for both years: 2020's 1 000 000 kWh convert to
    # 122.9 tce, not the 120 it reported then; and it says 2020 had 300 people, as reported.
    write_named_values(template, inbox / "市委办公室_2020.xlsx", {
        **COMMON, "assess_year": 2020, "floor_area_m2": 10000, "headcount": 300, "energy_tce_typed": 120,
        "water_t": 9000, "base_floor_area_m2": 10000, "base_headcount": 300, "base_energy_tce_typed": 125,
        "base_water_t": 9300})
    write_named_values(template, inbox / "市委办公室_2021.xlsx", {
        **COMMON, "assess_year": 2021, "floor_area_m2": 10000, "headcount": 340, "use_electricity_kwh": 950000,
        "water_t": 8800, "base_floor_area_m2": 10000, "base_headcount": 300, "base_use_electricity_kwh": 1000000,
        "base_water_t": 9000})
    versions = load_paths(store, [inbox])  # one load: 2021 is compared with 2020 found before it
    assert [v.assess_year for v in versions] == [2020, 2021]

    v2021 = store.version(versions[1].id)
    (warning,) = [f for f in v2021.findings if f["kind"] == "energy_data_invalid/base_year"]
    assert warning["severity"] == "warning" and warning["code"] == "energy_data_invalid"
    assert warning["cell"].startswith("能耗折算!")  # where 2021's base energy was filled: the bills' total
    assert "122.9" in warning["message"] and "120" in warning["message"] and "市委办公室_2020.xlsx" in warning["message"]
    assert v2021.warning_count >= 1
    assert not [f for f in store.version(versions[0].id).findings if f["kind"] == "energy_data_invalid/base_year"]

    rows = year_over_year(store.yearly_figures("中共益阳市委办公室"))  # any name the unit is known by
    assert [r.year for r in rows] == [2020, 2021]
    assert rows[1].figures["energy_tce"] == pytest.approx(116.755)  # 950 000 kWh × 0.1229 kgce/kWh
    assert rows[1].declines["energy_per_capita"] == 1 - (Fraction("116.755") / 340) / (Fraction("122.9") / 300)
    assert rows[1].basis_flagged == ("headcount",)  # 300 -> 340: 13.3 %
    assert [(m.name, m.reported, m.submitted) for m in rows[1].mismatches] == [("energy_tce", 120, 122.9)]
    assert rows[0].declines["energy_per_capita"] == Fraction(1, 25)  # 125 -> 120 tce, same 300 people

    # Loading 2021 again changes nothing; a later 2020 version with 122.9 tce makes the two agree.
    assert load_paths(store, [inbox / "市委办公室_2021.xlsx"])[0].id == versions[1].id
    write_named_values(template, tmp_path / "2020_v2.xlsx", {
        **COMMON, "assess_year": 2020, "floor_area_m2": 10000, "headcount": 300, "use_electricity_kwh": 1000000,
        "water_t": 9000, "base_floor_area_m2": 10000, "base_headcount": 300, "base_energy_tce_typed": 125,
        "base_water_t": 9300})
    load_paths(store, [tmp_path / "2020_v2.xlsx"])
    rows = year_over_year(store.yearly_figures("市委办公室"))
    assert rows[1].mismatches == ()


def test_through_an_accounts_scope_the_upload_warns_and_only_its_units_years_are_shown(tmp_path):
    from shared.accounts import Accounts
    from shared.scoped_store import ScopedStore, ScopeRefused
    from test_store import Uploads, make_result

    template = write_template(tmp_path / "template.xlsx")
    with Store(f"sqlite:///{tmp_path / 'jyjg.db'}", data_dir=tmp_path / "data") as store:
        store.record(make_result("市委组织部"), Uploads(tmp_path)("org"))
        load_paths(store, [write_named_values(template, tmp_path / "2020.xlsx", {
            **COMMON, "assess_year": 2020, "floor_area_m2": 10000, "headcount": 300, "energy_tce_typed": 120,
            "water_t": 9000, "base_floor_area_m2": 10000, "base_headcount": 300, "base_energy_tce_typed": 125,
            "base_water_t": 9300})])
        Accounts(store).add("swbgs", "创建单位", unit="市委办公室", name="市委办丁")
        scoped = ScopedStore(store, "swbgs")
        versions, refused = scoped.load_paths([write_named_values(template, tmp_path / "2021.xlsx", {
            **COMMON, "assess_year": 2021, "floor_area_m2": 10000, "headcount": 300, "energy_tce_typed": 110,
            "water_t": 8800, "base_floor_area_m2": 10000, "base_headcount": 280, "base_energy_tce_typed": 120,
            "base_water_t": 9000})])
        assert refused == []
        (warning,) = [f for f in versions[0].findings if f["kind"] == "energy_data_invalid/base_year"]
        assert warning["cell"].startswith("备案表!") and "280" in warning["message"] and "300" in warning["message"]
        assert [year for year, _, _ in scoped.yearly_figures("市委办公室")] == [2020, 2021]
        with pytest.raises(ScopeRefused):
            scoped.yearly_figures("市委组织部")
