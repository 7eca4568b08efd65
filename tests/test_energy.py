"""shared/energy.py: the carriers, the yearly coefficients and plausibility levels (energy.toml), the exact
conversion and which energy total is adopted."""
from decimal import Decimal
from fractions import Fraction

import pytest

from shared.energy import (CARRIERS, DATA_FILE, ENERGY, NEGATIVE, NOT_A_NUMBER, adopted_energy, convert, load_energy_config,
                           total_name, typed_name)
from shared.names import BASE_USES, USES
from shared.rubric import INDICATORS, RubricError

C2020 = ENERGY.conversion_for(2020)


def test_the_carriers_are_the_contracts_names():
    assert [c.name() for c in CARRIERS] + [total_name()] == list(USES)
    assert [c.name(base=True) for c in CARRIERS] + [total_name(base=True)] == list(BASE_USES)


def test_the_configured_coefficients_are_gb_t_2589s_with_their_sources():
    coefficients = C2020.coefficients
    assert coefficients["electricity_kwh"].kgce_per_unit == Decimal("0.1229")
    assert coefficients["natural_gas_m3"].kgce_per_unit == Decimal("1.2143")
    assert coefficients["gasoline_l"].kgce_per_unit == Decimal("1.4714") * Decimal("0.73")
    assert coefficients["diesel_l"].kgce_per_unit == Decimal("1.4571") * Decimal("0.86")
    assert coefficients["lpg_kg"].kgce_per_unit == Decimal("1.7143")
    assert coefficients["heat_gj"].kgce_per_unit == Decimal("34.12")  # 0.03412 kgce/MJ × 1000 MJ/GJ
    assert coefficients["other_tce"].kgce_per_unit == 1000
    for key, coefficient in coefficients.items():
        assert coefficient.source, key
    assert coefficients["gasoline_l"].text == "1.4714 kgce/kg × 0.73 kg/L"
    assert "GB/T 2589" in coefficients["electricity_kwh"].source


def test_plausibility_levels_are_the_2020_national_averages():
    levels = ENERGY.plausibility_for(2020)
    assert {k: v.value for k, v in levels.typical.items()} == {
        "energy_per_area": Decimal("18.48"), "energy_per_capita": Decimal("329.56"),
        "water_per_capita": Decimal("21.53")}
    assert levels.basis_change_percent == 10 and levels.magnitude_factor == 20
    assert ENERGY.plausibility_for(2031) is levels and ENERGY.plausibility_for(None) is levels


def test_conversion_is_exact_decimal_arithmetic():
    use = convert({"electricity_kwh": 123456.7, "gasoline_l": 1000, "heat_gj": 12.5, "other_tce": 0.5,
                   "natural_gas_m3": None, "lpg_kg": "  "}, C2020)
    assert use.filled and not use.problems
    assert use.tce == {"electricity_kwh": Decimal("15.17282843"), "gasoline_l": Decimal("1.074122"),
                       "heat_gj": Decimal("0.4265"), "other_tce": Decimal("0.5")}
    assert use.total_tce == Decimal("17.17345043")
    # 0.1 + 0.2 in binary floating point is not 0.3; here it is.
    assert convert({"other_tce": 0.1, "electricity_kwh": 0}, C2020).total_tce + Decimal("0.2") == Decimal("0.3")


def test_absurd_numbers_convert_exactly_without_failing():
    huge = int("9" * 400)  # a cell may hold any number of digits
    use = convert({"electricity_kwh": huge, "other_tce": 1e-300, "heat_gj": 1.7976931348623157e308}, C2020)
    assert Fraction(use.total_tce) == (huge * Fraction("0.1229") + Fraction("1.7976931348623157e308") * Fraction("34.12")
                                       ) / 1000 + Fraction("1e-300")


@pytest.mark.parametrize("raw, problem", [("约100", NOT_A_NUMBER), ("100", NOT_A_NUMBER), (True, NOT_A_NUMBER),
                                          (-0.01, NEGATIVE), ("#N/A", NOT_A_NUMBER)])
def test_an_unusable_carrier_makes_the_years_total_unusable(raw, problem):
    use = convert({"electricity_kwh": 100000, "diesel_l": raw}, C2020)
    assert use.filled and use.total_tce is None
    assert [(p.carrier.key, p.problem) for p in use.problems] == [("diesel_l", problem)]
    assert use.tce == {"electricity_kwh": Decimal("12.29")}


def test_blank_carriers_are_nothing_filled():
    use = convert({"electricity_kwh": None, "heat_gj": "", "other_tce": "   "}, C2020)
    assert not use.filled and use.total_tce is None and not use.problems
    assert convert({"electricity_kwh": 0}, C2020).total_tce == 0  # filled, and zero


def test_the_adopted_total_follows_the_contract():
    cells = {"use_electricity_kwh": 100000, "energy_tce": 12.29, "energy_tce_typed": 99,
             "base_energy_tce": None, "base_energy_tce_typed": 15}
    value = cells.get
    now = convert({"electricity_kwh": 100000}, C2020)
    before = convert({}, C2020)
    assert adopted_energy(value, False, now) == (Decimal("12.29"), "use_total_tce")  # bills win over the typed 99
    assert adopted_energy(value, True, before) == (15, typed_name(True))  # nothing saved: the typed cell stands
    cells["base_energy_tce"] = 14  # a program wrote energy_tce itself (an older template has only that cell)
    assert adopted_energy(value, True, before) == (14, "base_energy_tce")


def _config_text() -> str:
    return DATA_FILE.read_text(encoding="utf-8")


def test_a_province_sets_its_own_levels_and_coefficients(tmp_path):
    text = _config_text()
    text = text.replace('value = "329.56"', 'value = "600"').replace('factor = "1.2143"', 'factor = "1.3300"')
    text += ('\n[conversion.2023.electricity_kwh]\nfactor = "0.404"\nfactor_unit = "kgce/kWh"\nsource = "等价值"\n'
             + "".join(f'\n[conversion.2023.{key}]\nfactor = "1"\nfactor_unit = "kgce/x"\nsource = "s"\n'
                       for key in ("natural_gas_m3", "gasoline_l", "diesel_l", "lpg_kg", "heat_gj")))
    path = tmp_path / "energy.toml"
    path.write_text(text, encoding="utf-8")
    config = load_energy_config(path)
    assert config.plausibility_for(2020).typical["energy_per_capita"].value == 600
    assert config.conversion_for(2021).coefficients["natural_gas_m3"].factor == Decimal("1.3300")
    assert config.conversion_for(2024).coefficients["electricity_kwh"].factor == Decimal("0.404")
    assert config.conversion_for(2019).year == 2020


@pytest.mark.parametrize("change, message", [
    (('[conversion.2020.lpg_kg]', '[conversion.2020.lpg]'), "unknown"),
    (('factor = "0.1229"', 'factor = "0"'), "above 0"),
    (('factor = "0.1229"', 'factor = "约0.12"'), "not a number"),
    (('scale_unit = "kg/L"\nsource = "GB/T 2589 附录A，汽油', 'source = "GB/T 2589 附录A，汽油'), "go together"),
    (('[plausibility.2020.typical.water_per_capita]', '[plausibility.2020.typical.water]'), "typical"),
])
def test_a_broken_configuration_is_refused_at_load(tmp_path, change, message):
    text = _config_text()
    assert change[0] in text
    path = tmp_path / "energy.toml"
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(RubricError, match=message):
        load_energy_config(path)


def test_levels_cover_every_indicator():
    assert set(ENERGY.plausibility_for(2020).typical) == set(INDICATORS)
