"""Numbers as every view prints them: signed ones with an explicit sign and a true minus,
never "-0.00"; sums of money that never read as nothing when they are something.

A strength, a Brier difference or a fitted lean reads as a direction, so its sign is always
shown; a value that rounds to zero shows none, since "+0.00" or "-0.00" claims a direction the
printed digits do not have.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

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


def usd(amount: float, *, symbol: bool = True) -> str:
    """US dollars to 4 decimals, or more where a sum needs them for 2 significant digits: a
    cheap model's turn costs millionths, and "$0.0000" or "$0.0001" for every such sum would
    hide how near a spend limit an evaluation is. Without ``symbol`` for a column headed US$."""
    places = 4 if amount == 0 else max(4, 1 - math.floor(math.log10(abs(amount))))
    return f"{'$' if symbol else ''}{amount:.{places}f}"


def shared_ranks(shown: Sequence[str]) -> list[int]:
    """Competition ranks ("1, 2, 2, 4") of values already in order, as they are printed: two
    that print alike share a rank, since the digits that would part them are not shown."""
    ranks: list[int] = []
    for place, value in enumerate(shown, 1):
        ranks.append(ranks[-1] if ranks and value == shown[place - 2] else place)
    return ranks
