"""Offline evaluations in batches write what one-by-one evaluation writes, and lose nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from common.settings import Settings
from debates.case import case_digest
from storage.db import Database
from storage.models import (
    DebateTurn,
    Evaluation,
    MarketTrade,
    PersonaCalibration,
    ScoreSnapshot,
)
from storage.queries.evaluation_batches import enqueue_many
from tests.workers.pipeline_helpers import assert_each_completed_exactly_once, prepared_database
from workers import offline_batch
from workers.agents import backend_factory
from workers.cases import load_cases
from workers.dispatch import debate_config
from workers.evaluation import run_debate_phase
from workers.scoring_phase import score_debated

# Open and resolved hypotheses, two of them twice so one batch trades the same market twice.
HYPOTHESES = [
    "h-51e7234f",
    "h-8c41d7a2",  # validated
    "h-e19b6a37",
    "h-51e7234f",
    "h-4d0c7e58",  # refuted
    "h-8c41d7a2",
]
# Before both resolutions (2016 and 2018), after some of their evidence.
AS_OF = date(2012, 6, 30)


def _prepared(tmp_path: Path, name: str) -> tuple[Settings, Database, list[int]]:
    settings = Settings(data_dir=tmp_path / name)
    database = prepared_database(settings)
    return settings, database, _queue(settings, database)


def _queue(settings: Settings, database: Database, as_of: date | None = None) -> list[int]:
    with database.transaction() as session:
        return [
            e.evaluation.id
            for e in enqueue_many(
                session,
                hypothesis_ids=HYPOTHESES,
                config=debate_config(settings, as_of=as_of),
                max_attempts=3,
                force=True,
            )
        ]


def _ledger(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Everything scoring wrote, without ids and times."""
    with database.sessions() as session:
        return {
            "snapshots": [
                (
                    s.hypothesis_id,
                    s.evaluation_id,
                    s.version,
                    s.composite,
                    s.composite_low,
                    s.composite_high,
                    s.market_price,
                    s.quality,
                    s.dimensions,
                )
                for s in session.scalars(select(ScoreSnapshot).order_by(ScoreSnapshot.id))
            ],
            "trades": [
                (
                    t.hypothesis_id,
                    t.evaluation_id,
                    t.seq,
                    t.persona,
                    t.shares_yes,
                    t.shares_no,
                    t.cost,
                    t.price_before,
                    t.price_after,
                )
                for t in session.scalars(select(MarketTrade).order_by(MarketTrade.id))
            ],
            "turns": [
                (t.evaluation_id, t.round, t.persona, t.argument, t.scores, t.probability)
                for t in session.scalars(
                    select(DebateTurn).order_by(
                        DebateTurn.evaluation_id, DebateTurn.round, DebateTurn.persona
                    )
                )
            ],
            "calibration": [
                (c.persona, c.brier, c.resolved_count, c.believability)
                for c in session.scalars(
                    select(PersonaCalibration).order_by(PersonaCalibration.persona)
                )
            ],
            "evaluations": [
                (
                    e.id,
                    e.state,
                    e.quality,
                    e.decisions,
                    e.believability,
                    e.attempts,
                    e.as_of,
                    e.forecast,
                    e.case_digest,
                )
                for e in session.scalars(select(Evaluation).order_by(Evaluation.id))
            ],
        }


def test_a_batch_writes_what_one_by_one_evaluation_writes(tmp_path: Path) -> None:
    settings, one_by_one, live = _prepared(tmp_path, "one")
    # Blind forecasts too: only they grade personas, and they write no snapshot or trade.
    ids = live + _queue(settings, one_by_one, as_of=AS_OF)
    factory = backend_factory(settings)
    # Debates first, then scoring, so every debate weighs the same (initial) believability.
    for evaluation_id in ids:
        [claimed] = offline_batch.claim(
            one_by_one, settings, evaluation_ids=[evaluation_id], owner="w"
        )
        run_debate_phase(one_by_one, settings, claimed, owner="w", backend_for=factory)
    for evaluation_id in ids:
        assert score_debated(one_by_one, settings, evaluation_ids=[evaluation_id]).succeeded

    batch_settings, batched, batch_ids = _prepared(tmp_path, "batch")
    batch_ids += _queue(batch_settings, batched, as_of=AS_OF)
    assert batch_ids == ids
    claimed = offline_batch.claim(batched, batch_settings, evaluation_ids=ids, owner="w")
    result = offline_batch.run_batch(
        batched, batch_settings, claimed, owner="w", backend_for=backend_factory(batch_settings)
    )
    assert result.succeeded == tuple(ids) and result.failed == ()
    assert "MTOR" in result.gene_symbols

    expected, got = _ledger(one_by_one), _ledger(batched)
    assert got["calibration"], "resolved hypotheses were debated, so personas were graded"
    for part in expected:
        assert got[part] == expected[part], part
    assert_each_completed_exactly_once(batched, live)
    blind = [e for e in got["evaluations"] if e[0] not in live]
    assert blind and all(e[1] == "succeeded" and e[7]["as_of"] == "2012-06-30" for e in blind)
    assert all(e[8] for e in got["evaluations"]), "each records the case it debated"
    assert {s[1] for s in got["snapshots"]} == set(live)


def test_a_batch_leaves_alone_an_evaluation_whose_lease_it_lost(tmp_path: Path) -> None:
    settings, database, ids = _prepared(tmp_path, "lost")
    claimed = offline_batch.claim(database, settings, evaluation_ids=ids, owner="me")
    with database.transaction() as session:
        # The lease of the second lapsed while the debates ran, and another worker took it.
        session.execute(
            update(Evaluation).where(Evaluation.id == ids[1]).values(lease_owner="other")
        )
    result = offline_batch.run_batch(
        database, settings, claimed, owner="me", backend_for=backend_factory(settings)
    )
    assert ids[1] not in result.succeeded and len(result.succeeded) == len(ids) - 1
    with database.sessions() as session:
        taken = session.get(Evaluation, ids[1])
        assert taken is not None and (taken.state, taken.lease_owner) == ("running", "other")
        for model in (DebateTurn, MarketTrade, ScoreSnapshot):
            rows = session.scalars(select(model).where(model.evaluation_id == ids[1])).all()
            assert rows == [], model.__name__
    assert_each_completed_exactly_once(database, [i for i in ids if i != ids[1]])


def test_a_redelivered_batch_does_nothing_twice(tmp_path: Path) -> None:
    settings, database, ids = _prepared(tmp_path, "again")
    factory = backend_factory(settings)
    for owner in ("first", "redelivered"):
        claimed = offline_batch.claim(database, settings, evaluation_ids=ids, owner=owner)
        if owner == "redelivered":
            assert claimed == []
        offline_batch.run_batch(database, settings, claimed, owner=owner, backend_for=factory)
    assert_each_completed_exactly_once(database, ids)


def test_a_batch_that_fails_to_commit_writes_nothing_and_its_retry_finishes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, database, ids = _prepared(tmp_path, "retry")
    factory = backend_factory(settings)
    claimed = offline_batch.claim(database, settings, evaluation_ids=ids, owner="task-1")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("connection dropped while finishing")

    monkeypatch.setattr(offline_batch, "complete_batch", broken)
    with pytest.raises(RuntimeError, match="connection dropped"):
        offline_batch.run_batch(database, settings, claimed, owner="task-1", backend_for=factory)
    with database.sessions() as session:
        for model in (DebateTurn, MarketTrade, ScoreSnapshot):
            assert session.scalars(select(model)).all() == [], model.__name__
    monkeypatch.undo()
    # The task's retry keeps its owner token and so takes its leases back, attempts unspent.
    again = offline_batch.claim(database, settings, evaluation_ids=ids, owner="task-1")
    assert [c.id for c in again] == ids
    offline_batch.run_batch(database, settings, again, owner="task-1", backend_for=factory)
    assert_each_completed_exactly_once(database, ids)
    with database.sessions() as session:
        assert {session.get(Evaluation, i).attempts for i in ids} == {1}  # type: ignore[union-attr]


def test_an_exception_in_one_debate_of_a_batch_fails_that_evaluation_alone(
    tmp_path: Path,
) -> None:
    settings, database, ids = _prepared(tmp_path, "mixed")
    # A configuration the worker cannot debate (an unknown persona), as issue 10 found one
    # reaching a worker: the runner's check of the configuration raises ConfigError (a
    # ValueError that no backend classifies).
    poisoned = {**debate_config(settings), "panel": ["nosuchpersona"]}
    with database.transaction() as session:
        [bad] = enqueue_many(
            session, hypothesis_ids=["h-e19b6a37"], config=poisoned, max_attempts=3, force=True
        )
    batch = sorted([*ids, bad.evaluation.id])
    claimed = offline_batch.claim(database, settings, evaluation_ids=batch, owner="w")
    result = offline_batch.run_batch(
        database, settings, claimed, owner="w", backend_for=backend_factory(settings)
    )
    assert result.failed == (bad.evaluation.id,) and result.succeeded == tuple(ids)
    assert_each_completed_exactly_once(database, ids)
    with database.sessions() as session:
        row = session.get(Evaluation, bad.evaluation.id)
        assert row is not None and (row.state, row.attempts) == ("failed", 1)
        assert row.error is not None and row.error.startswith("ConfigError: ")
        assert "nosuchpersona" in row.error
        for model in (DebateTurn, MarketTrade, ScoreSnapshot):
            written = session.scalars(select(model).where(model.evaluation_id == row.id)).all()
            assert written == [], model.__name__


def test_a_batch_resuming_a_debate_begun_on_another_case_records_no_case_digest(
    tmp_path: Path,
) -> None:
    settings, database, ids = _prepared(tmp_path, "changed")
    with database.transaction() as session:
        # The first debate began (and fixed its weights) on a case that has changed since.
        session.execute(
            update(Evaluation)
            .where(Evaluation.id == ids[0])
            .values(believability={}, case_digest="0" * 64)
        )
    claimed = offline_batch.claim(database, settings, evaluation_ids=ids, owner="w")
    offline_batch.run_batch(
        database, settings, claimed, owner="w", backend_for=backend_factory(settings)
    )
    with database.sessions() as session:
        digests = {i: session.get(Evaluation, i).case_digest for i in ids}  # type: ignore[union-attr]
        cases = load_cases(session, hypothesis_ids=HYPOTHESES)
    expected = [case_digest(cases[h]) for h in HYPOTHESES]
    assert digests == dict(zip(ids, [None, *expected[1:]], strict=True))
