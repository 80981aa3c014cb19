"""Student's t quantiles: the published table, and the normal limit."""

from __future__ import annotations

import math

import pytest

from scoring.student import t_value, two_sided_tail


@pytest.mark.parametrize(
    ("level", "df", "expected"),
    [
        (0.80, 1, 3.0777),
        (0.80, 2, 1.8856),
        (0.80, 6, 1.4398),
        (0.80, 30, 1.3104),
        (0.90, 4, 2.1318),
        (0.95, 5, 2.5706),
        (0.95, 120, 1.9799),
    ],
)
def test_quantiles_match_the_t_table(level: float, df: float, expected: float) -> None:
    assert t_value(level, df) == pytest.approx(expected, abs=1e-4)


def test_fractional_degrees_lie_between_their_neighbours_and_infinity_is_normal() -> None:
    assert t_value(0.8, 6) > t_value(0.8, 6.5) > t_value(0.8, 7)
    assert t_value(0.8, math.inf) == pytest.approx(1.2815516, abs=1e-6)
    assert two_sided_tail(t_value(0.8, 3.3), 3.3) == pytest.approx(0.2, abs=1e-9)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="level"):
        t_value(1.0, 5)
    with pytest.raises(ValueError, match="degrees of freedom"):
        t_value(0.8, 0)
