"""What a resolved hypothesis's exchange rating is: hindsight or forecast, by when it was scored."""

from __future__ import annotations

from datetime import date

from scoring.legends import resolution_note

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
