"""A drug's approval status over time, so that an as-of debate sees it as it then stood.

Today's status is often the outcome a backtest grades: a drug approved on the strength of the
trial that settled a hypothesis, or discontinued after it failed. So a drug may carry its
dated status changes, each the status and the date from which it held (the day it took effect
where known, otherwise a date by which it certainly held). An as-of debate
(``debates.asof``) sees the latest change certainly in effect before its date, and no status
at all for a drug whose status is undated, as it sees no undated evidence.

The changes are stored as one text column in a canonical JSON form (``encode``/``decode``):
the same changes always give the same text, so an import can tell "unchanged" from "updated".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from common.dates import PartialDate, parse_partial_date


@dataclass(frozen=True)
class StatusChange:
    """``status`` held from ``since`` on (a year counts from its last day, as for evidence)."""

    status: str
    since: PartialDate


def encode(changes: Iterable[StatusChange]) -> str | None:
    """The stored text of ``changes``, oldest first; None when there are none."""
    pairs = [[change.status, str(change.since)] for change in changes]
    return json.dumps(pairs, separators=(",", ":")) if pairs else None


def decode(text: str | None) -> tuple[StatusChange, ...]:
    """The changes ``encode`` stored; () for None. Raises ValueError on text it did not write."""
    if text is None:
        return ()
    try:
        pairs = json.loads(text)
        return tuple(
            StatusChange(str(status), parse_partial_date(since)) for status, since in pairs
        )
    except (TypeError, ValueError) as error:
        raise ValueError(f"not a stored status history: {text!r} ({error})") from error
