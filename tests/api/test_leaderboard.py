"""The leaderboard's lines, sections and sentences read as the legend says."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from api.leaderboard import (
    leaderboard_line,
    sections,
    standing_text,
    summary_text,
    tournament_cell,
)
from storage.queries.leaderboard import FitSummary, LeaderboardRow


def test_the_summary_says_how_many_are_rated_in_how_many_groups_and_the_judges_lean() -> None:
    fitted = datetime(2026, 12, 1, tzinfo=UTC)
    unfitted = FitSummary(None, None, groups=0, rated=0, hypotheses=21, matches=0)
    assert summary_text(unfitted) == "No fit yet: all 21 hypotheses are unrated."
    one = FitSummary(fitted, -0.214, groups=1, rated=14, hypotheses=21, matches=48)
    assert summary_text(one) == (
        "48 matches judged. 14 of 21 hypotheses rated, in one group. "
        "The judge's fitted lean towards the first-shown: \u22120.21."
    )
    unsure = FitSummary(
        fitted, -0.214, groups=1, rated=14, hypotheses=21, matches=48, bias_low=-0.6, bias_high=0.15
    )
    assert summary_text(unsure).endswith(
        " The judge's fitted lean towards the first-shown: \u22120.21 (80%: \u22120.60 to +0.15)."
    )
    apart = FitSummary(fitted, None, groups=3, rated=9, hypotheses=21, matches=20)
    assert (
        summary_text(apart) == "20 matches judged. 9 of 21 hypotheses rated, in 3 separate groups."
    )
    learnt = FitSummary(
        fitted,
        None,
        groups=1,
        rated=9,
        hypotheses=21,
        matches=20,
        spread=1.2,
        spread_low=0.8,
        spread_high=2.0,
    )
    assert summary_text(learnt).endswith(
        " The matches put the spread of strengths at 1.20 (80%: 0.80–2.00): the judge names"
        " the stronger of two random hypotheses 75% (69%–83%) of the time."
    )


def test_the_summary_says_when_the_ratings_stopped_following_the_matches() -> None:
    fitted = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    why = "the refit of 31,200 hypotheses would need about 14.5 GB of memory"
    refused = FitSummary(
        fitted, None, groups=1, rated=9, hypotheses=21, matches=20, refit_refused=why
    )
    assert summary_text(refused) == (
        "20 matches judged. 9 of 21 hypotheses rated, in one group. These ratings were fitted"
        " at 2026-12-01 09:30 UTC; the latest refit refused, and later matches are not in"
        f" them: {why}."
    )
    # before any fit there are no ratings to date
    never = FitSummary(None, None, groups=0, rated=0, hypotheses=21, matches=3, refit_refused=why)
    assert summary_text(never) == "No fit yet: all 21 hypotheses are unrated."


def _row(
    hid: str, rank: int | None, strength: float | None, component: int | None
) -> LeaderboardRow:
    low = None if strength is None else strength - 0.5
    high = None if strength is None else strength + 0.5
    return LeaderboardRow(
        rank, hid, f"T {hid}", strength, low, high, 1200.0, 4, 4, component, 3, None
    )


def test_rows_group_by_component_in_leaderboard_order() -> None:
    rows = [
        _row("a", 1, 0.7, 1),
        _row("b", 2, -0.7, 1),
        _row("c", 1, 0.2, 2),
        _row("d", None, None, 2),
    ]
    grouped = sections([leaderboard_line(r) for r in rows])
    assert [(name, [line.hypothesis_id for line in lines]) for name, lines in grouped] == [
        ("Group 1 (3 hypotheses compared)", ["a", "b"]),
        ("Group 2 (3 hypotheses compared)", ["c"]),
        ("Unrated", ["d"]),
    ]
    unrated = grouped[-1][1][0]
    assert (unrated.rank, unrated.strength, unrated.interval, unrated.matches) == (
        "—",
        "unrated",
        "—",
        4,
    )


def test_a_resolved_hypothesis_never_entered_is_listed_apart_as_not_entered() -> None:
    settled = dataclasses.replace(
        _row("e", None, None, None), status="validated", matches=0, decided=0
    )
    still_rated = dataclasses.replace(_row("f", 3, 0.1, 1), status="refuted")
    grouped = sections(
        [leaderboard_line(r) for r in [still_rated, _row("d", None, None, 2), settled]]
    )
    assert [(name, [line.hypothesis_id for line in lines]) for name, lines in grouped] == [
        ("Group 1 (3 hypotheses compared)", ["f"]),  # it was compared: it keeps its place
        ("Unrated", ["d"]),
        ("Resolved, not entered", ["e"]),
    ]
    line = grouped[-1][1][0]
    assert (line.rank, line.strength) == ("—", "validated, not entered")
    assert tournament_cell(settled) == "validated, not entered · 0 matches (0 decided)"
    played_before = dataclasses.replace(settled, matches=2)
    assert tournament_cell(played_before).startswith("validated, no longer entered · 2 matches")
    fitted = datetime(2026, 12, 1, tzinfo=UTC)
    summary = FitSummary(
        fitted, None, groups=1, rated=14, hypotheses=74, matches=64, not_entered=60
    )
    assert summary_text(summary) == (
        "64 matches judged. 14 of 74 hypotheses rated, in one group. "
        "60 resolved hypotheses are not entered."
    )
    one = dataclasses.replace(summary, not_entered=1)
    assert summary_text(one).endswith(" 1 resolved hypothesis is not entered.")


def test_a_rated_line_gives_its_rank_strength_and_interval_as_text() -> None:
    line = leaderboard_line(_row("a", 2, -0.7, 1))
    assert (line.rank, line.strength, line.interval) == (
        "2",
        "\u22120.70",
        "\u22121.20 to \u22120.20",
    )
    assert (line.matches, line.decided, line.title) == (4, 4, "T a")


def test_a_group_of_unknown_size_or_number_is_still_named() -> None:
    row = LeaderboardRow(1, "a", "T a", 0.1, -0.4, 0.6, 1200.0, 4, 4, None, None, None)
    assert leaderboard_line(row).section == "Group 1"


def test_a_standing_reads_as_a_sentence_for_its_own_page() -> None:
    rated = dataclasses.replace(_row("a", 2, -0.7, 1), matches=5)
    assert standing_text(rated) == (
        "Strength \u22120.70 (80% interval \u22121.20 to \u22120.20) · #2 in group 1 "
        "(3 hypotheses compared) · 5 matches (4 decided)"
    )
    one = dataclasses.replace(_row("b", None, None, 2), matches=1, decided=1)
    assert standing_text(one) == "Unrated · 1 match (1 decided)"
    settled = dataclasses.replace(one, status="validated", matches=0, decided=0)
    assert standing_text(settled) == "Validated, not entered · 0 matches (0 decided)"
