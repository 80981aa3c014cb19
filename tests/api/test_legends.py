"""The views' legends: the headline pair carries scoring's one definition word for word."""

from __future__ import annotations

from datetime import UTC, datetime

from api.legends import computed, explain, legend
from scoring.legends import COMPOSITE, INTERVAL


def test_the_headline_legends_are_scorings_definitions_as_sentences() -> None:
    composite = legend("composite")
    assert composite.startswith("Composite: the quality score (0-1), a weighted mean of ten")
    assert composite.endswith("wider when few personas scored it or they disagree.")
    assert "Composite =" not in composite and ".." not in composite
    assert "reproducibility). Interval: the 80% range" in composite
    for definition in (COMPOSITE, INTERVAL):  # each said in full, name dropped
        assert definition.partition(" = ")[2] in composite
    rating = explain("exchange_rating")
    assert rating.startswith("The market's probability (0-1) that the hypothesis will be")
    assert rating.endswith("the composite stands in, labelled so.")


def test_a_legend_without_an_interval_is_its_name_and_meaning() -> None:
    elo = "the same tournament results on the familiar Elo scale (1200 at start)."
    assert legend("elo") == f"Elo: {elo}"
    assert explain("elo") == elo[0].upper() + elo[1:]


def test_computed_says_when_and_from_which_snapshot() -> None:
    at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert computed(None) == "not computed yet"
    assert computed(at) == "computed 2026-03-01 09:00 UTC"
    assert computed(at, 3) == "computed 2026-03-01 09:00 UTC (snapshot v3)"
