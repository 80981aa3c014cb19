"""The queries the views read every number through: each hypothesis's own newest snapshots, and
its own newest live evaluation."""

from __future__ import annotations

from datetime import date

from storage.db import Database
from storage.models import Evaluation, Hypothesis
from storage.queries.views import latest_evaluation, latest_scores
from tests.wiki.publishing import add_snapshot


def _hypotheses(db: Database, *ids: str) -> None:
    with db.transaction() as session:
        session.add_all(Hypothesis(id=i, title=i) for i in ids)


def test_each_hypothesis_gets_its_own_newest_and_previous_snapshot(db: Database) -> None:
    _hypotheses(db, "h-a", "h-b", "h-c", "h-unscored")
    for version in (1, 2, 3):  # stored oldest first, as scoring stores them
        for hypothesis_id, offset in (("h-a", 0.0), ("h-b", 0.05)):
            score = version / 10 + offset
            add_snapshot(db, hypothesis_id, composite=score, market_price=score)
    add_snapshot(db, "h-c", composite=0.1, market_price=0.1)
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
