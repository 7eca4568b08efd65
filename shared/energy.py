"""Energy by carrier (the 能耗折算 sheet): the carriers the CONTRACT names, their yearly coefficients and
the typical levels of the plausibility warnings (energy.toml), and the exact conversion to tce.

The template's formulas and the checker both follow `convert` and `adopted_energy`:
- a carrier left blank counts for nothing; one that holds anything but a number >= 0 (text, a boolean, a
  negative number, an error) makes that year's total unusable, so its energy rules score 0;
- when any carrier of a year is filled, that year's energy_tce takes the conversion's total; when none is,
  the total typed in the 备案表 stands (CONTRACT, "The energy conversion sheet").
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Decimal, Inexact, localcontext
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Mapping

from .rubric import INDICATORS, RubricError
from .rubric import _by_year as in_force  # the one rule for yearly tables (targets, editions, these)
from .scoring import as_number, is_blank

DATA_FILE = Path(__file__).resolve().parent / "energy.toml"

KGCE_PER_TCE = Decimal(1000)


@dataclass(frozen=True)
class Carrier:
    key: str  # as in the CONTRACT's names: use_<key>, base_use_<key>
    label: str  # 电力
    unit: str  # the unit the form asks for

    def name(self, base: bool = False) -> str:
        return ("base_" if base else "") + "use_" + self.key


CARRIERS = (
    Carrier("electricity_kwh", "电力", "kWh"),
    Carrier("natural_gas_m3", "天然气", "m³"),
    Carrier("gasoline_l", "汽油", "升"),
    Carrier("diesel_l", "柴油", "升"),
    Carrier("lpg_kg", "液化石油气", "kg"),
    Carrier("heat_gj", "热力", "GJ"),
    Carrier("other_tce", "其他能源", "tce"),
)
CARRIER_KEYS = tuple(c.key for c in CARRIERS)
OTHER = "other_tce"  # already in tce: its coefficient is the definition of a tonne, not configuration


def total_name(base: bool = False) -> str:
    return ("base_" if base else "") + "use_total_tce"


def typed_name(base: bool = False) -> str:
    """The 备案表 cell where a unit types its total directly (energy_tce is the formula that adopts one)."""
    return ("base_" if base else "") + "energy_tce_typed"


def energy_name(base: bool = False) -> str:
    return ("base_" if base else "") + "energy_tce"


# --- configuration ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Coefficient:
    factor: Decimal  # kgce per factor_unit
    factor_unit: str
    source: str
    scale: Decimal = Decimal(1)  # factor_units per unit filled in (density, MJ per GJ)
    scale_unit: str = ""

    @property
    def kgce_per_unit(self) -> Decimal:
        """kgce per unit the form asks for: exact, the product of two decimals."""
        return self.factor * self.scale

    @property
    def text(self) -> str:
        """'1.4714 kgce/kg × 0.73 kg/L', as printed beside the coefficient."""
        shown = f"{_plain(self.factor)} {self.factor_unit}"
        return shown + (f" × {_plain(self.scale)} {self.scale_unit}" if self.scale_unit else "")


OTHER_COEFFICIENT = Coefficient(KGCE_PER_TCE, "kgce/tce", "已是吨标准煤，不再折算")


@dataclass(frozen=True)
class Conversion:
    """The coefficients in force for one configured year."""
    year: int
    coefficients: Mapping[str, Coefficient]  # every carrier key


@dataclass(frozen=True)
class Typical:
    value: Decimal  # in the indicator's unit
    source: str


@dataclass(frozen=True)
class Plausibility:
    year: int
    typical: Mapping[str, Typical]  # indicator key -> level
    magnitude_factor: Decimal
    basis_change_percent: Decimal

    @cached_property  # asked of every workbook's figures
    def magnitude_bounds(self) -> dict[str, tuple[Fraction, Fraction]]:
        """Indicator key -> (lowest, highest) level not flagged: the typical level divided and multiplied by
        the factor, exactly."""
        factor = Fraction(self.magnitude_factor)
        return {key: (Fraction(typical.value) / factor, Fraction(typical.value) * factor)
                for key, typical in self.typical.items()}


@dataclass(frozen=True)
class EnergyConfig:
    conversion: Mapping[int, Conversion]
    plausibility: Mapping[int, Plausibility]

    def conversion_for(self, year: int | None) -> Conversion:
        return in_force(self.conversion, year)

    def plausibility_for(self, year: int | None) -> Plausibility:
        return in_force(self.plausibility, year)


def _dec(raw: Any, where: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except Exception:
        raise RubricError(f"{where}: “{raw}” is not a number") from None
    if not value.is_finite() or value <= 0:
        raise RubricError(f"{where}: {raw} must be a number above 0")
    return value


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def load_energy_config(path: Path = DATA_FILE) -> EnergyConfig:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    conversion = {}
    configured = [k for k in CARRIER_KEYS if k != OTHER]
    for year, table in data.get("conversion", {}).items():
        unknown, missing = set(table) - set(configured), set(configured) - set(table)
        if unknown or missing:
            raise RubricError(f"energy.toml conversion.{year}: unknown {sorted(unknown)}, missing {sorted(missing)}")
        coefficients = {}
        for key in configured:
            entry, where = table[key], f"energy.toml conversion.{year}.{key}"
            has_scale = "scale" in entry
            if has_scale != ("scale_unit" in entry):
                raise RubricError(f"{where}: scale and scale_unit go together")
            coefficients[key] = Coefficient(
                _dec(entry["factor"], where), str(entry["factor_unit"]), str(entry["source"]),
                _dec(entry["scale"], where) if has_scale else Decimal(1), str(entry.get("scale_unit", "")))
        coefficients[OTHER] = OTHER_COEFFICIENT
        conversion[int(year)] = Conversion(int(year), coefficients)
    plausibility = {}
    for year, table in data.get("plausibility", {}).items():
        where = f"energy.toml plausibility.{year}"
        typical = table.get("typical", {})
        if set(typical) != set(INDICATORS):
            raise RubricError(f"{where}.typical: needs exactly {sorted(INDICATORS)}")
        plausibility[int(year)] = Plausibility(
            int(year),
            {k: Typical(_dec(v["value"], f"{where}.typical.{k}"), str(v["source"])) for k, v in typical.items()},
            _dec(table["magnitude_factor"], where), _dec(table["basis_change_percent"], where))
    if not conversion or not plausibility:
        raise RubricError("energy.toml needs at least one conversion table and one plausibility table")
    return EnergyConfig(conversion, plausibility)


ENERGY = load_energy_config()


# --- the conversion ---------------------------------------------------------------------------------

NOT_A_NUMBER = "text"  # text, a boolean or an error value
NEGATIVE = "negative"


@dataclass(frozen=True)
class CarrierProblem:
    carrier: Carrier
    raw: Any
    problem: str  # NOT_A_NUMBER or NEGATIVE


@dataclass(frozen=True)
class YearUse:
    """One year's consumption by carrier, converted."""
    filled: bool  # any carrier holds anything at all
    total_tce: Decimal | None  # None when nothing is filled or a filled carrier is unusable
    tce: Mapping[str, Decimal]  # each usable, filled carrier's share
    problems: tuple[CarrierProblem, ...]


NOTHING_FILLED = YearUse(False, None, {}, ())


def convert(raw_by_key: Mapping[str, Any], conversion: Conversion) -> YearUse:
    """Exactly what the template's 能耗折算 formulas compute, in exact decimals."""
    tce, problems, filled = {}, [], False
    for carrier in CARRIERS:
        raw = raw_by_key.get(carrier.key)
        if is_blank(raw):
            continue
        filled = True
        value = as_number(raw)
        if value is None:
            problems.append(CarrierProblem(carrier, raw, NOT_A_NUMBER))
        elif value < 0:
            problems.append(CarrierProblem(carrier, raw, NEGATIVE))
        else:
            tce[carrier.key] = _exact(lambda: value * conversion.coefficients[carrier.key].kgce_per_unit / KGCE_PER_TCE)
    if not filled:
        return NOTHING_FILLED
    total = None if problems else _exact(lambda: sum(tce.values(), Decimal(0)))
    return YearUse(True, total, tce, tuple(problems))


def _exact(compute: Callable[[], Decimal]) -> Decimal:
    """Products and sums of decimals are exact given the digits: allow them all (a hostile cell may hold
    hundreds), and refuse any silently rounded result."""
    with localcontext() as context:
        context.prec, context.Emax, context.Emin = MAX_PREC, MAX_EMAX, MIN_EMIN
        context.traps[Inexact] = True
        return compute()


def year_use(value: Callable[[str], Any], base: bool, conversion: Conversion) -> YearUse:
    """A workbook's carriers of one year (value: name -> raw cell value), converted."""
    return convert({c.key: value(c.name(base)) for c in CARRIERS}, conversion)


def adopted_energy(value: Callable[[str], Any], base: bool, use: YearUse) -> tuple[Any, str]:
    """The energy_tce the scoring uses for one year, and the name of the cell it comes from.

    Carriers filled: their total (None when one is unusable). Else the saved energy_tce, which the
    template computes from the typed cell; a workbook saved by a program that does not calculate holds no
    value there, and then the typed cell itself stands. Workbooks of older templates have only energy_tce.
    """
    if use.filled:
        return use.total_tce, total_name(base)
    saved = value(energy_name(base))
    if is_blank(saved):
        return value(typed_name(base)), typed_name(base)
    return saved, energy_name(base)


def scored_energy(value: Callable[[str], Any], conversion: Conversion) -> dict[str, Any]:
    """Both years' adopted energy_tce and 能耗折算 totals, by name: what a calculating engine saves."""
    out = {}
    for base in (False, True):
        use = year_use(value, base, conversion)
        out[total_name(base)] = use.total_tce
        out[energy_name(base)] = adopted_energy(value, base, use)[0]
    return out
