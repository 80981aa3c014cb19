"""Signed numbers: an explicit sign, a true minus, and no sign on what rounds to zero."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.numbers import MINUS, shared_ranks, signed, signed_interval, usd


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (0.0, 2, "0.00"),
        (-0.0001, 2, "0.00"),  # Python's "+.2f" prints "-0.00"
        (0.004, 2, "0.00"),
        (1.234, 2, "+1.23"),
        (-1.0149, 2, "\u22121.01"),
        (-0.0004, 3, "0.000"),
        (-0.0126, 3, "\u22120.013"),
        (3, 0, "+3"),
        (-2, 0, "\u22122"),
        (0, 0, "0"),
    ],
)
def test_signed_numbers_never_show_minus_zero(value: float, places: int, text: str) -> None:
    assert signed(value, places) == text


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.integers(0, 4))
def test_signed_reads_back_as_the_rounded_value(value: float, places: int) -> None:
    text = signed(value, places)
    assert "-" not in text
    assert float(text.replace(MINUS, "-")) == pytest.approx(round(value, places), abs=10**-places)
    assert text[0] in "+" + MINUS or float(text) == 0.0


def test_intervals_read_low_to_high_and_missing_is_a_dash() -> None:
    assert signed_interval(-1.01, -0.0001) == "\u22121.01 to 0.00"
    assert signed_interval(None, 0.5) == "—"
    assert signed_interval(-0.02, 0.02, 1) == "0.0 to 0.0"


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (0.0, "$0.0000"),
        (1.23456, "$1.2346"),
        (0.0012, "$0.0012"),
        (0.0001, "$0.00010"),
        (0.00004, "$0.000040"),  # a cheap model's turn: never "$0.0000"
        (0.0000123, "$0.000012"),
        (0.000000789, "$0.00000079"),
    ],
)
def test_usd_never_shows_a_cost_as_nothing(amount: float, shown: str) -> None:
    assert usd(amount) == shown
    assert usd(amount, symbol=False) == shown.removeprefix("$")  # under a "US$" heading


@pytest.mark.parametrize(
    ("shown", "ranks"),
    [
        ([], []),
        (["0.79"], [1]),
        (["0.79", "0.72", "0.72", "0.64"], [1, 2, 2, 4]),
        (["0.53", "0.53", "0.53"], [1, 1, 1]),
        (["0.9", "0.8", "0.8", "0.7", "0.7"], [1, 2, 2, 4, 4]),
    ],
)
def test_ratings_that_print_alike_share_a_rank(shown: list[str], ranks: list[int]) -> None:
    assert shared_ranks(shown) == ranks
