"""What a resolved hypothesis's exchange rating is: hindsight or forecast, by when it was scored."""

from __future__ import annotations

from datetime import date

from scoring.blend import PersonaScores, blend
from scoring.dimensions import Dimension
from scoring.legends import coverage_note, resolution_note
from scoring.weights import Weights

RESOLVED = date(2023, 7, 17)


def test_an_open_hypothesis_needs_no_note() -> None:
    assert resolution_note("open", None, date(2026, 12, 6)) is None
    # a stray date on an open hypothesis does not make it resolved
    assert resolution_note("open", RESOLVED, date(2026, 12, 6)) is None


def test_scored_after_the_resolution_is_not_a_forecast() -> None:
    note = resolution_note("validated", RESOLVED, date(2026, 12, 6))
    assert note is not None
    assert note.startswith("Validated on 2023-07-17. ")
    assert "reflects the evidence of 2026-12-06" in note
    assert "not a forecast" in note


def test_scored_on_the_day_of_the_resolution_counts_as_after() -> None:
    # that day's debate could already read the publication that settled it
    note = resolution_note("refuted", RESOLVED, RESOLVED)
    assert note is not None
    assert note.startswith("Refuted on 2023-07-17. ")
    assert "not a forecast" in note


def test_scored_before_the_resolution_was_a_forecast() -> None:
    note = resolution_note("refuted", RESOLVED, date(2023, 7, 16))
    assert note is not None
    assert note.startswith("Refuted on 2023-07-17, after 2023-07-16, the day whose evidence ")
    assert "was a forecast" in note
    assert "not a forecast" not in note


def test_notes_have_no_colon_so_they_can_follow_a_tooltip_value() -> None:
    for scored in (date(2020, 1, 1), date(2026, 1, 1)):
        note = resolution_note("validated", RESOLVED, scored)
        assert note is not None and ":" not in note


def test_a_composite_of_every_dimension_needs_no_coverage_note() -> None:
    assert coverage_note(scored=[d.value for d in Dimension], coverage=1.0) is None


def test_a_composite_of_some_dimensions_says_which_are_missing_and_their_weight() -> None:
    scores = {Dimension.MECHANISTIC_PLAUSIBILITY: 0.7, Dimension.EVIDENCE_STRENGTH: 0.55}
    result = blend(
        [PersonaScores("theorist", scores, confidence=0.6, believability=1.0)],
        Weights.default(),
        level=0.8,
    )
    note = coverage_note(scored=[d.value for d in result.dimensions], coverage=result.coverage)
    assert note is not None
    assert note.startswith("stands on 2 of 10 dimensions, 30% of the weight; ")
    assert note.endswith(
        "not scored: novelty, feasibility, therapeutic potential, druggability, "
        "safety profile, competitive landscape, data availability, reproducibility"
    )


def test_a_dimension_weighted_zero_on_purpose_needs_no_coverage_note() -> None:
    # blend leaves it out, yet the rest carry all the weight there is
    scored = [d.value for d in Dimension if d is not Dimension.NOVELTY]
    assert coverage_note(scored=scored, coverage=1.0) is None
