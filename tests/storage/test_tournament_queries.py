"""The tournament's storage: the match log, eligible pairs, ratings and the leaderboard."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring.bt_ratings import Spread, rate
from scoring.tournament import Match, elo_update, fit_bradley_terry
from storage.db import Database
from storage.errors import NotFoundError
from storage.models import Hypothesis, Rating, TournamentMatch
from storage.queries import leaderboard as leaderboards
from storage.queries import tournament
from storage.queries.knowledge import ensure_disease, upsert_gene


@pytest.fixture
def hypotheses(db: Database) -> list[str]:
    with db.transaction() as session:
        mtor = upsert_gene(session, symbol="MTOR")
        apoe = upsert_gene(session, symbol="APOE")
        snca = upsert_gene(session, symbol="SNCA")
        alzheimers = ensure_disease(session, name="Alzheimer's disease")
        rows = {
            "h-1": ([mtor], []),
            "h-2": ([mtor, apoe], []),
            "h-3": ([apoe], [alzheimers]),
            "h-4": ([snca], [alzheimers]),
            "h-5": ([snca], []),
            "h-6": ([], []),
        }
        for hid, (genes, diseases) in rows.items():
            h = Hypothesis(id=hid, title=f"Hypothesis {hid}", genes=genes, diseases=diseases)
            session.add(h)
        session.flush()
        session.get(Hypothesis, "h-5").status = "refuted"  # type: ignore[union-attr]
    return list(rows)


def _play(session: Session, played: list[tuple[str, str, str]], **fields: Any) -> None:
    for a, b, outcome in played:
        tournament.record_match(session, hypothesis_a=a, hypothesis_b=b, outcome=outcome, **fields)


def test_eligible_groups_share_a_gene_or_a_disease(db: Database, hypotheses: list[str]) -> None:
    with db.sessions() as session:
        open_groups = tournament.eligible_groups(session)
        everyone = tournament.eligible_groups(session, open_only=False)
        entrants = tournament.pairable(session)
    # MTOR: h-1/h-2; APOE: h-2/h-3; Alzheimer's: h-3/h-4; h-6 shares nothing
    assert sorted(open_groups) == [["h-1", "h-2"], ["h-2", "h-3"], ["h-3", "h-4"]]
    assert entrants == {"h-1", "h-2", "h-3", "h-4"}
    # SNCA links h-4 and the refuted h-5, which only counts when closed ones are wanted
    assert sorted(everyone) == sorted([*open_groups, ["h-4", "h-5"]])


def test_a_group_holds_everyone_sharing_its_gene_once(db: Database) -> None:
    with db.transaction() as session:
        mtor, apoe = upsert_gene(session, symbol="MTOR"), upsert_gene(session, symbol="APOE")
        for hid in ("h-c", "h-a", "h-b"):
            session.add(Hypothesis(id=hid, title=hid, genes=[mtor, apoe]))
        session.add(Hypothesis(id="h-d", title="h-d", genes=[apoe], status="refuted"))
    with db.sessions() as session:
        groups = tournament.eligible_groups(session)
    # one group a gene, sorted, closed ones left out: three members, not three pairs
    assert groups == [["h-a", "h-b", "h-c"], ["h-a", "h-b", "h-c"]]


def test_matches_move_elo_and_invalid_ones_change_nothing(
    db: Database, hypotheses: list[str]
) -> None:
    with db.transaction() as session:
        elo_a, elo_b = elo_update(1200.0, 1200.0, "a")
        tournament.record_match(
            session,
            hypothesis_a="h-1",
            hypothesis_b="h-2",
            outcome="a",
            judge="judge",
            verdict_ab="first",
            verdict_ba="second",
            elo_a=elo_a,
            elo_b=elo_b,
        )
        tournament.record_match(
            session,
            hypothesis_a="h-2",
            hypothesis_b="h-3",
            outcome="invalid",
            judge="judge",
            verdict_ab="first",
            verdict_ba="???",
        )
    with db.sessions() as session:
        ratings = tournament.get_ratings(session)
        assert (ratings["h-1"].elo, ratings["h-1"].matches) == (1216.0, 1)
        assert (ratings["h-2"].elo, ratings["h-2"].matches) == (1184.0, 1)
        assert "h-3" not in ratings
        log = tournament.match_log(session)
        assert [m.outcome for m in log] == ["a", "invalid"]
        assert [m.outcome for m in tournament.match_log(session, include_invalid=False)] == ["a"]
        assert [(m.hypothesis_a, m.hypothesis_b, m.verdict_ab, m.verdict_ba) for m in log] == [
            ("h-1", "h-2", "first", "second"),
            ("h-2", "h-3", "first", "???"),
        ]
    with pytest.raises(ValueError, match="'draw' is not a valid"), db.transaction() as session:
        tournament.record_match(
            session, hypothesis_a="h-1", hypothesis_b="h-2", outcome="draw", judge="j"
        )


def test_saved_fit_drives_the_leaderboard(db: Database, hypotheses: list[str]) -> None:
    played = [("h-1", "h-2", "a"), ("h-2", "h-3", "a"), ("h-1", "h-3", "a"), ("h-3", "h-4", "tie")]
    with db.transaction() as session:
        _play(session, played, judge="j")
    with db.transaction() as session:
        log = tournament.match_log(session)
        fit = fit_bradley_terry(Match(m.hypothesis_a, m.hypothesis_b, m.outcome) for m in log)
        assert tournament.save_ratings(session, strengths=fit) == 4
    with db.sessions() as session:
        board = leaderboards.leaderboard(session, limit=10)
        second_page = leaderboards.leaderboard(session, limit=2, offset=2)
        stored = session.get(Rating, "h-1")
    assert [row.hypothesis_id for row in board][:2] == ["h-1", "h-2"]
    # Every hypothesis is listed; the two that never played come last, unrated and unranked,
    # the open one before the refuted one, which pairing no longer takes.
    assert [row.rank for row in board] == [1, 2, 3, 4, None, None]
    assert [(row.hypothesis_id, row.matches, row.rated) for row in board[4:]] == [
        ("h-6", 0, False),
        ("h-5", 0, False),
    ]
    assert [row.rank for row in second_page] == [3, 4]
    assert board[0].strength == pytest.approx(fit["h-1"].value)
    assert board[0].strength_low == pytest.approx(fit["h-1"].low)
    assert board[0].strength_high == pytest.approx(fit["h-1"].high)
    assert board[0].matches == 2 and board[0].title == "Hypothesis h-1"
    assert stored is not None and stored.fitted_at is not None


def test_ratings_rank_within_components_and_unrated_are_null(
    db: Database, hypotheses: list[str]
) -> None:
    # Two groups that never met: h-1/h-2/h-3 and h-4/h-6; h-5 plays once and stays unrated.
    played = [("h-1", "h-2", "a"), ("h-2", "h-3", "a"), ("h-1", "h-3", "a")] * 2
    played += [("h-4", "h-6", "a"), ("h-6", "h-4", "b"), ("h-4", "h-6", "b"), ("h-4", "h-5", "a")]
    with db.transaction() as session:
        _play(session, played, judge="j")
    with db.transaction() as session:
        log = [
            Match(m.hypothesis_a, m.hypothesis_b, m.outcome, positioned=True)
            for m in tournament.match_log(session)
        ]
        fit = rate(log, entrants=hypotheses)
        tournament.save_ratings(
            session,
            strengths=fit.ratings,
            position_bias=fit.position_bias,
            bias_interval=(fit.bias_low, fit.bias_high),
            spread=fit.spread,
        )
    with db.sessions() as session:
        board = leaderboards.leaderboard(session, limit=10)
        summary = leaderboards.fit_summary(session)
        standings = [leaderboards.standing(session, hypothesis_id=h) for h in hypotheses]
    by_id = {row.hypothesis_id: row for row in board}
    # One hypothesis's standing is its row of the board, rank within its group included.
    assert standings == [by_id[h] for h in hypotheses]
    assert [row.hypothesis_id for row in board[:3]] == ["h-1", "h-2", "h-3"]
    assert [row.rank for row in board[:3]] == [1, 2, 3]
    assert {row.component for row in board[:3]} == {1}
    # The second group ranks from 1 again: no position is claimed across groups.
    assert (by_id["h-4"].rank, by_id["h-6"].rank) in {(1, 2), (2, 1)}
    assert by_id["h-4"].component == by_id["h-6"].component == 2
    assert by_id["h-5"].strength is None and by_id["h-5"].rank is None
    assert (by_id["h-5"].matches, by_id["h-5"].decided) == (1, 1)
    assert by_id["h-4"].decided == 4
    assert summary.groups == 2 and summary.rated == 5 and summary.matches == 10
    assert summary.position_bias == pytest.approx(fit.position_bias)
    assert (summary.bias_low, summary.bias_high) == pytest.approx((fit.bias_low, fit.bias_high))
    spread = (summary.spread, summary.spread_low, summary.spread_high)
    assert spread == pytest.approx((fit.spread.value, fit.spread.low, fit.spread.high))
    assert summary.hypotheses == len(hypotheses) and summary.fitted_at is not None
    # The summary reads the newest fit, whichever rows it rewrote.
    later, earlier = datetime(2031, 1, 2, tzinfo=UTC), datetime(2001, 1, 2, tzinfo=UTC)
    with db.transaction() as session:
        one = {"h-1": fit.ratings["h-1"]}
        tournament.save_ratings(
            session,
            strengths=one,
            position_bias=0.25,
            spread=Spread(1.5, 1.1, 2.0),
            fitted_at=later,
        )
        two = {"h-2": fit.ratings["h-2"]}
        tournament.save_ratings(
            session,
            strengths=two,
            position_bias=-0.5,
            spread=Spread(0.7, 0.5, 0.9),
            fitted_at=earlier,
        )
    with db.sessions() as session:
        newest = leaderboards.fit_summary(session)
    assert (newest.fitted_at, newest.position_bias, newest.spread) == (later, 0.25, 1.5)
    assert (newest.spread_low, newest.spread_high) == (1.1, 2.0)


def test_the_log_keeps_every_verdict_and_the_unrated_list_most_played_first(
    db: Database, hypotheses: list[str]
) -> None:
    at = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    played = [("h-3", "h-4", "a"), ("h-4", "h-3", "b"), ("h-4", "h-1", "tie")]
    with db.transaction() as session:
        _play(
            session,
            played,
            judge="evidence",
            verdict_ab="first",
            verdict_ba="second",
            rationale="the first-shown cites more",
            now=at,
        )
        tournament.record_match(
            session, hypothesis_a="h-1", hypothesis_b="h-6", outcome="invalid", judge="j"
        )
    with db.sessions() as session:
        first = session.scalars(select(TournamentMatch).order_by(TournamentMatch.id)).first()
        assert first is not None
        counts = {h: r.matches for h, r in tournament.get_ratings(session).items()}
        board = leaderboards.leaderboard(session, limit=10)
    assert (first.verdict_ab, first.verdict_ba, first.judge) == ("first", "second", "evidence")
    assert (first.rationale, first.created_at) == ("the first-shown cites more", at)
    # Live counts between fits: valid matches only, one per match for each side.
    assert counts == {"h-3": 2, "h-4": 3, "h-1": 1}
    # Nobody is rated yet: the most-played first, then by id; those never played last, and
    # last of all the refuted h-5, which pairing no longer takes.
    assert [row.hypothesis_id for row in board] == ["h-4", "h-3", "h-1", "h-2", "h-6", "h-5"]
    assert [row.matches for row in board] == [3, 2, 1, 0, 0, 0]
    assert all(row.rank is None for row in board)
    assert [row.status for row in board][-2:] == ["open", "refuted"]
    with db.sessions() as session:
        assert [
            leaderboards.standing(session, hypothesis_id=row.hypothesis_id) for row in board
        ] == (board)
        with pytest.raises(NotFoundError, match="'h-nope' does not exist"):
            leaderboards.standing(session, hypothesis_id="h-nope")
    with db.sessions() as session:
        assert leaderboards.fit_summary(session).not_entered == 1
