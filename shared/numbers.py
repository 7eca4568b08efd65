"""How a number reads in anything a person sees: messages, tables, reports, the dashboard.

One function, `shown`, for every number put into Chinese text: plain decimals, never scientific
notation (263200, not 2.632e+05; 0.00001, not 1e-05), no trailing zeros (4, not 4.0); exact values
as they are, computed ones (Fractions) to a few significant digits with the whole integer part kept.
"""
from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

# Significant digits of a computed value (an indicator such as kgce/人) when nothing else is asked.
COMPUTED_DIGITS = 4


def shown(value: object, *, significant: int | None = None, places: int | None = None, grouped: bool = False) -> str:
    """A number as plain decimal text.

    significant: round to that many significant digits, never into the integer part (263187.5 ->
    263188 at 4 digits). places: round to that many decimal places. Rounding is half up (away from
    zero, as spreadsheets' ROUND) from the exact value; trailing zeros are dropped. A Fraction with
    neither is shown to COMPUTED_DIGITS significant digits; other numbers exactly. Anything that is
    not a finite number comes back as its text. grouped: thousands separated by commas (tables).
    """
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # as Excel and WPS show a logical cell
    exact = exact_value(value)
    if exact is None:
        return str(value)
    if significant is None and places is None and exact.denominator != 1 and isinstance(value, Fraction):
        significant = COMPUTED_DIGITS
    if significant is not None:
        whole = math.floor(abs(exact))
        digits = len(str(whole)) if whole else -_leading_zeros(abs(exact))
        places = min(places, significant - digits) if places is not None else significant - digits
        places = max(0, places)
    number = round_half_up(exact, places) if places is not None else _finite_decimal(exact)
    text = _plain(number)
    if grouped:
        whole, dot, rest = text.partition(".")
        sign = "-" if whole.startswith("-") else ""
        text = f"{sign}{int(whole.lstrip('-')):,}{dot}{rest}"
    return text


def exact_value(value: object) -> Fraction | None:
    """A finite int, float (as the shortest decimal that round-trips, i.e. what was typed), Decimal or
    Fraction as an exact Fraction; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(Decimal(repr(value))) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return Fraction(value) if value.is_finite() else None
    return None


def _leading_zeros(fraction: Fraction) -> int:
    """For 0 < x < 1, how many zeros follow the decimal point before the first digit (0.0012 -> 2)."""
    if fraction == 0:
        return 0
    zeros = 0
    while fraction * 10 ** (zeros + 1) < 1:
        zeros += 1
    return zeros


def round_half_up(value: Fraction | Decimal | int, places: int) -> Decimal:
    """An exact value rounded half up (away from zero, as spreadsheets' ROUND) to `places` decimal
    places, exactly."""
    return Decimal(half_up_units(value, places)).scaleb(-places)


def half_up_units(value: Fraction | Decimal | int, places: int) -> int:
    """round_half_up(value, places) as a whole number of 10^-places (1.25 at 1 place: 13), for comparing
    a rounded value in integers."""
    exact = value if isinstance(value, Fraction) else Fraction(value)
    numerator, denominator = exact.numerator, exact.denominator
    if places >= 0:  # floor(|n/d| * 10^places + 1/2) in integers: Fraction arithmetic costs ~10x more
        whole = (2 * abs(numerator) * 10**places + denominator) // (2 * denominator)
    else:
        whole = math.floor(abs(exact) * 10**places + Fraction(1, 2))
    return whole if numerator >= 0 else -whole


def _finite_decimal(exact: Fraction) -> Decimal:
    """An exact Fraction whose decimal expansion ends (every int, float and Decimal does) as a Decimal."""
    return Decimal(exact.numerator) / Decimal(exact.denominator) if exact.denominator != 1 else Decimal(exact.numerator)


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
