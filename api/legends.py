"""What each number on the web views means: every legend's wording, in one place.

The views never phrase a number's meaning themselves; they look it up here, so rewording a
legend (what a score is, its interval, its scale) is one edit. ``computed`` adds when the
number was computed and from which snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scoring.exchange import MIN_QUALITY
from scoring.legends import COMPOSITE, EXCHANGE_RATING, INTERVAL


def _sentence(definition: str) -> str:
    """A scoring legend ("Name = what it is") as a sentence without its name."""
    return definition.split(" = ", 1)[-1] + "."


@dataclass(frozen=True)
class Legend:
    name: str
    meaning: str
    interval: str | None = None

    def text(self) -> str:
        return f"{self.name}: {self.meaning}" + (f" {self.interval}" if self.interval else "")

    def explanation(self) -> str:
        """The meaning and interval without the name, for a list that names it already."""
        return (
            self.meaning[:1].upper()
            + self.meaning[1:]
            + (f" {self.interval}" if self.interval else "")
        )


LEGENDS: dict[str, Legend] = {
    # The headline pair takes its wording from scoring.legends, the one definition that the
    # badges, docs/scoring.md and --help share.
    "exchange_rating": Legend(
        "Exchange rating",
        _sentence(EXCHANGE_RATING)
        + " Until the hypothesis's market has traded, the composite stands in, labelled so.",
    ),
    "composite": Legend("Composite", _sentence(COMPOSITE), "Interval: " + _sentence(INTERVAL)),
    "market_price": Legend(
        "Market price",
        "the probability the personas' trades settled on in the hypothesis's LMSR market, "
        "from 0 to 1; none until a debate has traded it.",
    ),
    "dimension": Legend(
        "Dimension scores",
        "each bar is one dimension's weighted mean over the personas, from 0 to 1.",
        "The whisker is its 80% interval.",
    ),
    "history": Legend(
        "History",
        "one point per score snapshot, placed at the time it was computed (snapshots minutes "
        "apart are spread just enough to keep each in sight); the solid line is "
        "the exchange rating (the market price), the dashed line the composite, and the band "
        "the composite's 80% interval.",
        "Before the market has traded, only the composite is drawn. A dashed vertical mark "
        "shows where the scoring weights changed; a solid one the day the hypothesis was "
        "resolved (ratings before it were forecasts of the outcome, from it on hindsight).",
    ),
    "probability": Legend(
        "p",
        "the persona's own probability, from 0 to 1, that the hypothesis holds.",
    ),
    "confidence": Legend(
        "confidence",
        "how sure the persona said it was of its scores, from 0 to 1.",
    ),
    "quality": Legend(
        "Debate quality",
        f"from 0 to 1; a debate below {MIN_QUALITY} does not trade in the market "
        "(docs/scoring.md).",
    ),
    "attempts": Legend("Attempts", "deliveries of the evaluation so far, of the most allowed."),
    "track_record": Legend(
        "Track record",
        "of the resolved hypotheses that the newest stored blind backtest scored in the same "
        "band, each debated as of before its resolution, how many were validated.",
        "The interval is a Jeffreys interval for that share, wide where the band holds few. "
        "Shown for open hypotheses only: a resolved one's numbers are hindsight.",
    ),
}


def legend(key: str) -> str:
    """The full legend text for ``key`` (a KeyError names a number the views forgot to explain)."""
    return LEGENDS[key].text()


def explain(key: str) -> str:
    """The legend for ``key`` without its name (beside a heading or term that gives it)."""
    return LEGENDS[key].explanation()


def computed(at: datetime | None, version: int | None = None, *, lead: bool = True) -> str:
    """ "computed 2026-03-01 09:00 UTC (snapshot v3)", or "not computed yet"; without the
    leading word (``lead=False``) for a cell whose column header already says "Computed"."""
    if at is None:
        return "not computed yet" if lead else "not yet"
    snapshot = f" (snapshot v{version})" if version is not None else ""
    when = f"{at.strftime('%Y-%m-%d %H:%M')} UTC{snapshot}"
    return f"computed {when}" if lead else when
