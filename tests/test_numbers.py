"""Numbers as people read them: plain decimals, never scientific notation, no trailing zeros."""
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from shared.numbers import round_half_up, shown


@pytest.mark.parametrize("value, text", [
    (263200.0, "263200"), (2.632e5, "263200"), (1e-05, "0.00001"), (1e20, "100000000000000000000"),
    (4.0, "4"), (Decimal("1E+1"), "10"), (Decimal("2.50"), "2.5"), (Decimal("-0"), "0"), (-0.0, "0"),
    (0.1 + 0.2, "0.30000000000000004"),  # a float is the shortest decimal that round-trips, as typed
    (Fraction(1, 3), "0.3333"), (Fraction(1, 3000), "0.0003333"), (Fraction(526375, 2), "263188"),
    (Fraction(-58, 3), "-19.33"), (7, "7"), (True, "TRUE"), (False, "FALSE"), ("三分", "三分"),
    (float("nan"), "nan"), (Decimal("Infinity"), "Infinity"), (None, "None"),
])
def test_shown(value, text):
    assert shown(value) == text


def test_places_significant_and_grouping():
    assert shown(Decimal("1.005"), places=2) == "1.01"  # half up, from the exact value
    assert shown(1.005, places=2) == "1.01"  # the typed 1.005, not the double just below it
    assert shown(Decimal("-1.005"), places=2) == "-1.01"  # away from zero, as ROUND
    assert shown(Fraction(2, 3), places=0) == "1"
    assert shown(263187.5, significant=4) == "263188"  # never into the integer part
    assert shown(0.000123456, significant=3) == "0.000123"
    assert shown(1234567.891, grouped=True) == "1,234,567.891"
    assert shown(-1234.5, grouped=True) == "-1,234.5"


@given(st.fractions(), st.integers(0, 12))
def test_round_half_up_is_the_exact_definition(value, places):
    """Worked out in integers, it is floor(|x| * 10^places + 1/2) with x's sign, as Fraction arithmetic gives it."""
    import math

    whole = math.floor(abs(value) * 10**places + Fraction(1, 2))
    expected = Decimal(whole if value >= 0 else -whole).scaleb(-places)
    got = round_half_up(value, places)
    assert got == expected and str(got) == str(expected)


def test_round_half_up_is_exact():
    assert round_half_up(Fraction(1999999995, 10**11), 10) == Decimal("0.0200000000")
    assert round_half_up(Fraction(1999999994999, 10**14), 10) == Decimal("0.0199999999")
    assert round_half_up(Fraction(-5, 10**11), 10) == Decimal("-1E-10")


@given(st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.decimals(allow_nan=False, allow_infinity=False),
                 st.fractions(), st.integers()))
def test_never_scientific_and_always_a_plain_decimal(value):
    text = shown(value)
    assert re.fullmatch(r"-?\d+(\.\d*[1-9])?", text), text
