"""The views' legends: the headline pair carries scoring's one definition word for word."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import api
from api.legends import LEGENDS, computed, explain, legend
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
    attempts = "deliveries of the evaluation so far, of the most allowed."
    assert legend("attempts") == f"Attempts: {attempts}"
    assert explain("attempts") == attempts[0].upper() + attempts[1:]


def test_computed_says_when_and_from_which_snapshot() -> None:
    at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert computed(None) == "not computed yet"
    assert computed(at) == "computed 2026-03-01 09:00 UTC"
    assert computed(at, 3) == "computed 2026-03-01 09:00 UTC (snapshot v3)"
    # Under a "Computed" column header the word would be said twice.
    assert computed(at, 3, lead=False) == "2026-03-01 09:00 UTC (snapshot v3)"
    assert computed(None, lead=False) == "not yet"


def test_every_legend_is_shown_by_some_view() -> None:
    """A legend no template shows is a definition nobody reads, and drifts from the numbers."""
    templates = Path(api.__file__).parent / "templates"
    shown = " ".join(page.read_text() for page in templates.glob("*.html"))
    used = set(re.findall(r"""(?:legend|explain)\(['"](\w+)['"]\)""", shown))
    assert used == set(LEGENDS)
