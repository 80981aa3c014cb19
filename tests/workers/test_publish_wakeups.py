"""One publish for many score batches: genes wait in a shared set for the message already queued."""

from __future__ import annotations

from pathlib import Path

import fakeredis
import pytest

from common.settings import Settings
from storage.db import Database
from tests.servers import down_redis, free_port
from tests.wiki.publishing import HYPOTHESIS, TITLE, add_hypothesis, add_snapshot, import_seed
from tests.workers.pipeline_helpers import migrated_database
from wiki.store import FolderPageStore
from workers import maintenance
from workers.broker import queue_depths
from workers.celery_app import create_app
from workers.dispatch import send_publish
from workers.publish_wakeups import (
    FLAG_GRACE_SECONDS,
    EveryBatch,
    RedisPendingPublishes,
    pending_publishes,
)


def _pending(client: fakeredis.FakeRedis | None = None) -> RedisPendingPublishes:
    return RedisPendingPublishes(client or fakeredis.FakeRedis(), "p:", delay_seconds=1.0)


def test_the_first_batch_sends_and_the_next_ones_join_its_publish() -> None:
    client = fakeredis.FakeRedis()
    pending = _pending(client)
    assert pending.add(["MTOR"])
    assert not pending.add(["APOE", "MTOR"]) and not pending.add(["TREM2"])
    # A lost message holds publishing back only until the flag expires.
    assert 1000 < client.pttl("p:publish-wakeup") <= (1 + FLAG_GRACE_SECONDS) * 1000
    # Each gene carries the number of the add that named it last (MTOR: the second).
    assert pending.take() == {"MTOR": 2, "APOE": 2, "TREM2": 3}
    # The delivery has begun: the next batch needs a message of its own.
    assert pending.add(["BDNF"])


def test_a_gene_scored_again_after_the_take_waits_for_the_next_publish() -> None:
    pending = _pending()
    pending.add(["MTOR", "APOE"])
    taken = pending.take()
    # Scored again while the publish runs: it may have missed the new score.
    assert pending.add(["MTOR"])
    pending.done(taken)
    again = pending.take()
    assert set(again) == {"MTOR"} and again["MTOR"] > taken["MTOR"]
    pending.done(again)
    assert pending.take() == {}


def test_a_publish_that_dies_leaves_its_genes_to_the_next() -> None:
    pending = _pending()
    pending.add(["MTOR"])
    first = pending.take()  # and the delivery dies before it is done
    assert pending.take() == first
    pending.done({})
    assert pending.take() == first


def test_without_redis_every_batch_publishes_at_once() -> None:
    down = RedisPendingPublishes(down_redis(), "k:", delay_seconds=1.0)
    assert down.add(["MTOR"]) and down.add(["MTOR"])
    assert down.take() == {}
    down.done({"MTOR": 1})  # does not raise
    assert not down.add([])
    embedded = pending_publishes(Settings(broker_url="memory://", result_backend=None))
    assert isinstance(embedded, EveryBatch) and embedded.delay_seconds == 0
    shared = pending_publishes(
        Settings(broker_url="redis://127.0.0.1:6379/0", broker_key_prefix="t-")
    )
    assert isinstance(shared, RedisPendingPublishes) and shared.delay_seconds == 1.0


def test_batches_scored_while_a_publish_is_queued_send_no_message(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    migrated_database(settings).dispose()
    app = create_app(settings)
    pending = _pending()
    assert send_publish(app, gene_symbols=["MTOR"], pending=pending)
    assert send_publish(app, gene_symbols=["APOE"], pending=pending)
    assert queue_depths(settings.resolved_broker_url).get("publish") == 1
    assert set(pending.take()) == {"MTOR", "APOE"}
    assert send_publish(app, gene_symbols=["APOE"], pending=pending)
    assert queue_depths(settings.resolved_broker_url).get("publish") == 2


def test_a_message_that_cannot_be_sent_leaves_its_genes_pending(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", broker_url=f"redis://127.0.0.1:{free_port()}/0")
    pending = _pending()
    assert not send_publish(create_app(settings), gene_symbols=["MTOR"], pending=pending)
    assert set(pending.take()) == {"MTOR"}


def test_a_publish_writes_the_pages_of_the_genes_other_batches_left_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    database: Database = migrated_database(settings)
    page = import_seed(database)
    add_hypothesis(database, HYPOTHESIS, TITLE, ["MTOR"])
    add_snapshot(database, HYPOTHESIS, composite=0.61, market_price=0.58)
    pending = _pending()
    monkeypatch.setattr(maintenance, "pending_publishes", lambda _settings: pending)
    # This message names a gene with no page; the MTOR batch found the message queued.
    assert pending.add(["APOE"])
    assert not pending.add(["MTOR"])
    report = maintenance.publish_pending(database, settings, gene_symbols=["APOE"])
    assert [p.name for p in report.pages if p.changed] == [page]
    assert "0.61" in FolderPageStore(settings.resolved_pages_dir).read(page)
    assert pending.take() == {}
