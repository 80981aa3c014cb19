"""The one-line legends of hyposcore's numbers: one wording for every view, badge and --help.

docs/scoring.md ("What the numbers mean") gives the long form. The legends contain no colon, so
they can follow a "Label: value" tooltip without confusing a page parser that reads the number
after the first colon.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from types import MappingProxyType

from scoring.dimensions import Dimension

# The headline: what a badge shows, and what comes first wherever both numbers are shown.
EXCHANGE_RATING = (
    "Exchange rating = the market's probability (0-1) that the hypothesis will be validated, "
    "traded by the debating personas and weighted by their forecasting record"
)
COMPOSITE = (
    "Composite = the quality score (0-1), a weighted mean of ten dimensions scored by the "
    "panel (mechanism, evidence, novelty, feasibility, therapeutic potential, druggability, "
    "safety, competition, data, reproducibility)"
)
INTERVAL = (
    "Interval = the 80% range for the composite or a dimension, wider when few personas "
    "scored it or they disagree"
)
# Shown beside the rating of a hypothesis that is no longer open (badges, the demo).
RESOLVED = (
    "Validated or refuted = the question is settled; a rating computed before the resolution "
    "was a forecast of it, one computed on or after it is hindsight"
)
WHY_THEY_DIFFER = (
    "The two answer different questions, so they can differ; a druggable, well-argued idea can "
    "score high on quality while the evidence so far makes validation unlikely"
)

LEGENDS: MappingProxyType[str, str] = MappingProxyType(
    {
        "exchange_rating": EXCHANGE_RATING,
        "composite": COMPOSITE,
        "interval": INTERVAL,
        "why_they_differ": WHY_THEY_DIFFER,
    }
)


def legend_text(separator: str = "\n") -> str:
    """Every legend, headline first, joined by ``separator`` (each ends with a full stop)."""
    return separator.join(f"{line}." for line in LEGENDS.values())


def resolution_note(status: str, resolved_on: date | None, scored_on: date) -> str | None:
    """What an exchange rating means once its hypothesis is resolved; None while it is open.

    ``scored_on`` is the day whose evidence the rating reflects: the day of its debate, or the
    as-of date of a blind one. "The probability that it will be validated" no longer reads right
    for a settled question, and what the number is instead depends on that day: from the day of
    the resolution on, the evidence can include what settled it, so the rating is a judgement
    with hindsight, not a forecast. Blind forecasts are the backtest's business.
    """
    if status == "open" or resolved_on is None:
        return None
    settled = f"{status.capitalize()} on {resolved_on.isoformat()}"
    if not is_forecast_of(resolved_on, scored_on):
        return (
            f"{settled}. This exchange rating reflects the evidence of {scored_on.isoformat()}, "
            "which can include what settled it, so it is not a forecast of the outcome "
            "(the backtest grades forecasts made blind, before each resolution)"
        )
    return (
        f"{settled}, after {scored_on.isoformat()}, the day whose evidence this exchange "
        "rating reflects, so the rating was a forecast of that outcome"
    )


def is_forecast_of(resolved_on: date, scored_on: date) -> bool:
    """Whether a rating reflecting the evidence of ``scored_on`` forecast a resolution of
    ``resolved_on``: only before that day, as that day's evidence can include what settled it."""
    return scored_on < resolved_on


def coverage_note(*, scored: Collection[str], coverage: float) -> str | None:
    """What a composite stands on when the dimensions it blends carry less than the whole
    weight (``coverage``, in (0, 1]); None when they carry all of it. A dimension weighted 0
    on purpose is left out of the composite but costs it no coverage, so it needs no note."""
    missing = [d.value for d in Dimension if d.value not in scored]
    if coverage >= 1.0 - 1e-9 or not missing:
        return None
    named = ", ".join(name.replace("_", " ") for name in missing)
    return (
        f"stands on {len(Dimension) - len(missing)} of {len(Dimension)} dimensions, "
        f"{coverage:.0%} of the weight; not scored: {named}"
    )
