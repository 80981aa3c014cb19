"""Signed numbers as every view prints them: an explicit sign, a true minus, never "-0.00".

A strength, a Brier difference or a fitted lean reads as a direction, so its sign is always
shown; a value that rounds to zero shows none, since "+0.00" or "-0.00" claims a direction the
printed digits do not have.
"""

from __future__ import annotations

MINUS = "\u2212"


def signed(value: float, places: int = 2) -> str:
    """``value`` to ``places`` decimals with "+" or a true minus; a value that rounds to zero
    has no sign."""
    text = f"{abs(value):.{places}f}"
    if float(text) == 0.0:
        return text
    return ("+" if value > 0 else MINUS) + text


def signed_interval(low: float | None, high: float | None, places: int = 2) -> str:
    """ "low to high", each signed; a dash when either end is unknown."""
    if low is None or high is None:
        return "—"
    return f"{signed(low, places)} to {signed(high, places)}"
