"""One score message at a time: a queued wake-up scores every debated evaluation behind it."""

from __future__ import annotations

from pathlib import Path

import fakeredis
import pytest
from sqlalchemy import select

from common.settings import Settings, get_settings
from storage.db import Database
from storage.importing import import_hypotheses
from storage.models import Evaluation, Hypothesis
from storage.queries.debated import claim_debated, complete_debated
from tests.servers import down_redis, free_port
from tests.workers.pipeline_helpers import (
    dataset_path,
    migrated_database,
    queue_evaluation,
    some_hypotheses,
)
from workers import offline_batch
from workers.agents import backend_factory
from workers.broker import queue_depths
from workers.celery_app import create_app
from workers.dispatch import send_score
from workers.evaluation import run_debate_phase
from workers.scoring_phase import score_with_waiting
from workers.wakeups import EveryHandOver, RedisWakeups, score_wakeups


def test_one_hand_over_sends_until_a_score_delivery_clears_the_flag() -> None:
    client = fakeredis.FakeRedis()
    wakeups = RedisWakeups(client, "p:score-wakeup", pending_seconds=30)
    assert wakeups.claim_send()
    assert not wakeups.claim_send() and not wakeups.claim_send()
    # A lost message holds scoring back only until the flag expires.
    assert 0 < client.pttl("p:score-wakeup") <= 30_000
    wakeups.clear()
    assert wakeups.claim_send()


def test_without_redis_every_hand_over_sends() -> None:
    down = RedisWakeups(down_redis(), "k")
    assert down.claim_send() and down.claim_send()
    down.clear()  # does not raise
    settings = Settings(broker_url="memory://", result_backend=None)
    assert isinstance(score_wakeups(settings), EveryHandOver)
    redis_settings = Settings(broker_url="redis://127.0.0.1:6379/0", broker_key_prefix="t-")
    assert isinstance(score_wakeups(redis_settings), RedisWakeups)


@pytest.fixture
def loaded(db: Database) -> Database:
    import_hypotheses(db, dataset_path())
    return db


def _debated(database: Database, settings: Settings, count: int) -> list[int]:
    """``count`` evaluations of as many hypotheses, debated and waiting to be scored."""
    ids = []
    for hypothesis_id in some_hypotheses(database, count):
        evaluation_id = queue_evaluation(database, settings, hypothesis_id)
        [claimed] = offline_batch.claim(
            database, settings, evaluation_ids=[evaluation_id], owner="test"
        )
        run_debate_phase(
            database, settings, claimed, owner="test", backend_for=backend_factory(settings)
        )
        ids.append(evaluation_id)
    return ids


def test_a_score_delivery_scores_every_waiting_evaluation_in_batches(loaded: Database) -> None:
    settings = get_settings().model_copy(update={"score_batch_size": 2})
    ids = _debated(loaded, settings, 5)
    # The delivery of the last one's message; the others' messages were never sent.
    done = score_with_waiting(loaded, settings, evaluation_id=ids[-1])
    assert done.succeeded == tuple(sorted(ids)) and done.gene_symbols
    with loaded.sessions() as session:
        states = session.scalars(select(Evaluation.state).where(Evaluation.id.in_(ids)))
        assert set(states) == {"succeeded"}
    again = score_with_waiting(loaded, settings, evaluation_id=ids[0])
    assert again.succeeded == () and again.failed == ()


def test_a_delivery_whose_own_evaluation_is_scored_still_takes_every_waiting_one(
    loaded: Database,
) -> None:
    settings = get_settings().model_copy(update={"score_batch_size": 2})
    ids = _debated(loaded, settings, 6)
    with loaded.transaction() as session:  # scored meanwhile, by another delivery's batch
        claim_debated(session, evaluation_ids=[ids[0]])
        complete_debated(session, evaluation_ids=[ids[0]])
    # Its own is done; the five behind it still have no message of their own.
    done = score_with_waiting(loaded, settings, evaluation_id=ids[0])
    assert done.succeeded == tuple(ids[1:])


def test_a_hand_over_while_a_wake_up_is_queued_sends_nothing_but_is_stamped(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    database = migrated_database(settings)
    with database.transaction() as session:
        session.add(Hypothesis(id="h-wake0001", title="t", statement="s"))
        session.add(Hypothesis(id="h-wake0002", title="t", statement="s"))
    ids = [queue_evaluation(database, settings, h) for h in ("h-wake0001", "h-wake0002")]
    with database.transaction() as session:  # as if debated; the stamp below is the send's
        for row in session.query(Evaluation):
            row.enqueued_at = None
    wakeups = RedisWakeups(fakeredis.FakeRedis(), "k")
    app = create_app(settings)
    assert send_score(app, database, evaluation_id=ids[0], wakeups=wakeups)
    assert send_score(app, database, evaluation_id=ids[1], wakeups=wakeups)
    assert queue_depths(settings.resolved_broker_url).get("scoring") == 1
    with database.sessions() as session:
        # Both are stamped, so the reaper counts the second's wait from now as well.
        assert all(session.get(Evaluation, i).enqueued_at is not None for i in ids)  # type: ignore[union-attr]


def test_a_failed_send_clears_the_flag_for_the_next_hand_over(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", broker_url=f"redis://127.0.0.1:{free_port()}/0")
    database = migrated_database(settings)
    wakeups = RedisWakeups(fakeredis.FakeRedis(), "k")
    assert not send_score(create_app(settings), database, evaluation_id=1, wakeups=wakeups)
    assert wakeups.claim_send()
