"""The queries the views read every number through: each hypothesis's own newest snapshots, and
its own newest live evaluation."""

from __future__ import annotations

from datetime import date

from storage.db import Database
from storage.models import Evaluation, Hypothesis, ScoreSnapshot, ScoringConfig
from storage.queries.views import latest_evaluation, latest_scores


def _hypotheses(db: Database, *ids: str) -> None:
    with db.transaction() as session:
        session.add_all(Hypothesis(id=i, title=i) for i in ids)


def _snapshot(hypothesis_id: str, version: int) -> ScoreSnapshot:
    score = version / 10 + (0.05 if hypothesis_id.endswith("b") else 0.0)
    return ScoreSnapshot(
        hypothesis_id=hypothesis_id,
        version=version,
        composite=score,
        composite_low=score - 0.05,
        composite_high=score + 0.05,
        coverage=1.0,
        market_price=score,
        config_hash="c" * 64,
    )


def test_each_hypothesis_gets_its_own_newest_and_previous_snapshot(db: Database) -> None:
    _hypotheses(db, "h-a", "h-b", "h-c", "h-unscored")
    with db.transaction() as session:  # stored oldest first, as scoring stores them
        session.add(ScoringConfig(hash="c" * 64, weights={"novelty": 1.0}))
        session.flush()
        for version in (1, 2, 3):
            session.add_all([_snapshot("h-a", version), _snapshot("h-b", version)])
        session.add(_snapshot("h-c", 1))
    with db.sessions() as session:
        scores = latest_scores(session, hypothesis_ids=["h-a", "h-b", "h-c", "h-unscored"])
        versions = {
            h: (s.latest.hypothesis_id, s.latest.version, s.previous and s.previous.version)
            for h, s in scores.items()
        }
        only_b = latest_scores(session, hypothesis_ids=["h-b"])
        assert latest_scores(session, hypothesis_ids=[]) == {}
    assert versions == {"h-a": ("h-a", 3, 2), "h-b": ("h-b", 3, 2), "h-c": ("h-c", 1, None)}
    assert list(only_b) == ["h-b"] and only_b["h-b"].latest.market_price == 0.35


def test_the_latest_evaluation_is_the_hypothesiss_own_and_not_a_blind_forecast(
    db: Database,
) -> None:
    _hypotheses(db, "h-a", "h-b")
    with db.transaction() as session:
        rows = [
            Evaluation(hypothesis_id="h-a", config={}, config_hash="c"),
            Evaluation(hypothesis_id="h-a", config={}, config_hash="c"),
            Evaluation(hypothesis_id="h-b", config={}, config_hash="c"),
            Evaluation(hypothesis_id="h-a", config={}, config_hash="c", as_of=date(2020, 1, 1)),
        ]
        session.add_all(rows)
        session.flush()
        ids = [row.id for row in rows]
    with db.sessions() as session:
        newest_a = latest_evaluation(session, hypothesis_id="h-a")
        newest_b = latest_evaluation(session, hypothesis_id="h-b")
        none = latest_evaluation(session, hypothesis_id="h-none")
    assert newest_a is not None and newest_a.id == ids[1]  # not h-b's, nor the blind one
    assert newest_b is not None and newest_b.id == ids[2]
    assert none is None
