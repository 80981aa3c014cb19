"""GET /leaderboard/fit: the fit's numbers the leaderboard's summary sentence gives."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from scoring.bt_ratings import RatingFit, rate
from scoring.bt_spread import judge_accuracy
from scoring.tournament import Match
from storage.db import Database
from storage.queries import tournament
from storage.queries.workers import REFIT_TASK, hold_pass, release_pass
from tests.api.seed import HYPOTHESIS, UNSCORED, Seeded


def _save(session: Session, fitted: RatingFit) -> None:
    tournament.save_ratings(
        session,
        strengths=fitted.ratings,
        position_bias=fitted.position_bias,
        bias_interval=(fitted.bias_low, fitted.bias_high),
        spread=fitted.spread,
    )


def _refit_run(session: Session, *, error: str | None) -> None:
    """A refit's run on its pass, from its hold to its release with why it refused, if so."""
    until = hold_pass(session, task=REFIT_TASK, seconds=900)
    assert until is not None
    release_pass(session, task=REFIT_TASK, until=until, error=error)


def test_before_a_fit_only_the_counts_are_given(client: TestClient, seeded: Seeded) -> None:
    fit = client.get("/leaderboard/fit").json()
    total = client.get("/leaderboard").json()["total"]
    assert fit["fitted_at"] is None and fit["hypotheses"] == total > 0
    assert (fit["position_bias"], fit["spread"], fit["judge_accuracy"]) == (None, None, None)
    assert fit["refit_refused"] is None


def test_the_fit_gives_the_lean_and_the_learnt_spread_with_intervals(
    client: TestClient, seeded: Seeded, db: Database
) -> None:
    games = [(HYPOTHESIS, UNSCORED, "a")] * 5 + [
        (UNSCORED, HYPOTHESIS, "b"),
        (HYPOTHESIS, UNSCORED, "b"),
    ]
    log = [Match(a, b, outcome, positioned=True) for a, b, outcome in games]
    fitted = rate(log)
    with db.transaction() as session:
        _save(session, fitted)
    fit = client.get("/leaderboard/fit").json()
    assert fit["fitted_at"] is not None and fit["rated"] == 2 and fit["interval_level"] == 0.8
    bias = fit["position_bias"]
    assert (bias["low"], bias["value"], bias["high"]) == pytest.approx(
        (fitted.bias_low, fitted.position_bias, fitted.bias_high)
    )
    spread = fit["spread"]
    expected = (fitted.spread.low, fitted.spread.value, fitted.spread.high)
    assert (spread["low"], spread["value"], spread["high"]) == pytest.approx(expected)
    accuracy = fit["judge_accuracy"]
    assert (accuracy["low"], accuracy["value"], accuracy["high"]) == pytest.approx(
        tuple(judge_accuracy(s) for s in expected)
    )
    assert 0.5 < accuracy["low"] < accuracy["value"] < accuracy["high"] < 1.0


def test_a_refused_refit_is_given_with_the_fit_it_left_standing(
    client: TestClient, seeded: Seeded, db: Database
) -> None:
    fitted = rate([Match(HYPOTHESIS, UNSCORED, "a", positioned=True)] * 4)
    with db.transaction() as session:
        _save(session, fitted)
        _refit_run(session, error="it would need 14.5 GB")
    fit = client.get("/leaderboard/fit").json()
    assert fit["refit_refused"] == "it would need 14.5 GB" and fit["fitted_at"] is not None
    page = client.get("/web/leaderboard").text
    assert "the latest refit refused, and later matches are not in them: it would need" in page
    with db.transaction() as session:  # the next refit wrote
        _refit_run(session, error=None)
    assert client.get("/leaderboard/fit").json()["refit_refused"] is None
