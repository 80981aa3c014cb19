"""Publication dates known to a year, a month or a day, and what was known on a given date.

A paper's date is often known only to its year. The hypothesis file writes it as ``2016``,
``2016-10`` or ``2016-10-29``; an as-of debate keeps an item only if it was certainly published
before the as-of date, so a date known to its year alone counts as the last day of that year.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

EARLIEST_YEAR = 1800
_PATTERN = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to its ``year``, and to its ``month`` and ``day`` where those are given."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        problem = partial_date_problem(self.year, self.month, self.day)
        if problem is not None:
            raise ValueError(problem)

    def __str__(self) -> str:
        parts = [f"{self.year:04d}"]
        if self.month is not None:
            parts.append(f"{self.month:02d}")
            if self.day is not None:
                parts.append(f"{self.day:02d}")
        return "-".join(parts)

    @property
    def earliest(self) -> date:
        """The first day this date could be: 2016 is at least 2016-01-01."""
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def latest(self) -> date:
        """The last day this date could be: 2016 is at most 2016-12-31, 2016-02 2016-02-29."""
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year, month)[1]
        return date(self.year, month, day)

    def known_before(self, moment: date) -> bool:
        """Whether something published on this date was certainly out before ``moment``."""
        return self.latest < moment


def partial_date_problem(year: int, month: int | None, day: int | None) -> str | None:
    """What is wrong with the date, in words, or None."""
    if year < EARLIEST_YEAR:
        return f"year {year} is before {EARLIEST_YEAR}"
    if day is not None and month is None:
        return "a day needs its month"
    if month is not None and not 1 <= month <= 12:
        return f"month {month} is not between 1 and 12"
    if day is not None and month is not None:
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            return f"day {day} does not exist in {year:04d}-{month:02d} (it has {last} days)"
    return None


def parse_partial_date(value: object) -> PartialDate:
    """``2016``, ``"2016-10"``, ``"2016-10-29"`` or a ``date``; raises ValueError saying why not."""
    if isinstance(value, PartialDate):
        return value
    if isinstance(value, date):
        return PartialDate(value.year, value.month, value.day)
    if isinstance(value, int) and not isinstance(value, bool):
        return PartialDate(value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date: write YYYY, YYYY-MM or YYYY-MM-DD")
    match = _PATTERN.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"{value!r} is not a date: write YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(part) if part else None for part in match.groups())
    assert year is not None  # the pattern requires it
    return PartialDate(year, month, day)
