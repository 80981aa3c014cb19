"""Shared set-up for tests that run the pipeline with real worker processes."""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

from sqlalchemy import func, select

from common.settings import Settings
from debates.backends.registry import create
from debates.runner import run_debate
from debates.types import DebateConfig
from storage.db import Database
from storage.importing import import_hypotheses
from storage.models import DebateTurn, Evaluation, MarketTrade, ScoreSnapshot
from workers.cases import load_case

# Four hypotheses over three genes, resolved and open, with and without human evidence.
HYPOTHESES = ("h-51e7234f",)


def dataset_path() -> Path:
    with as_file(files("hyposcore.data") / "hypotheses.yaml") as path:
        return Path(path)


def migrated_database(settings: Settings) -> Database:
    """``settings``' database (its data folder made), migrated to head and empty."""
    settings.ensure_data_dir()
    database = Database(settings.resolved_database_url)
    database.upgrade()
    return database


def prepared_database(settings: Settings) -> Database:
    database = migrated_database(settings)
    import_hypotheses(database, dataset_path())
    return database


def some_hypotheses(database: Database, count: int) -> list[str]:
    from storage.queries.knowledge import list_hypotheses

    with database.sessions() as session:
        ids = [h.id for h in list_hypotheses(session, limit=1000)]
    chosen = [h for h in HYPOTHESES if h in ids] + [h for h in ids if h not in HYPOTHESES]
    return chosen[:count]


def queue_evaluation(database: Database, settings: Settings, hypothesis_id: str) -> int:
    """Queue one evaluation of ``hypothesis_id`` with the default debate configuration."""
    from workers.celery_app import create_app
    from workers.dispatch import debate_config, submit_evaluation

    return submit_evaluation(
        database,
        settings,
        hypothesis_id=hypothesis_id,
        config=debate_config(settings),
        app=create_app(settings),
    ).evaluation.id


def assert_each_completed_exactly_once(database: Database, evaluation_ids: list[int]) -> None:
    """Every evaluation succeeded once: one snapshot, one set of trades, the full transcript.

    The transcript is compared with an in-process debate of the same case on the same
    (deterministic) backend, so a lost or a duplicated turn would show.
    """
    with database.sessions() as session:
        for evaluation_id in evaluation_ids:
            evaluation = session.get(Evaluation, evaluation_id)
            assert evaluation is not None
            assert evaluation.state == "succeeded", (evaluation.state, evaluation.error)
            snapshots = session.scalar(
                select(func.count())
                .select_from(ScoreSnapshot)
                .where(ScoreSnapshot.evaluation_id == evaluation_id)
            )
            assert snapshots == 1
            turns = list(
                session.scalars(
                    select(DebateTurn)
                    .where(DebateTurn.evaluation_id == evaluation_id)
                    .order_by(DebateTurn.round, DebateTurn.persona)
                )
            )
            config = DebateConfig.from_dict(evaluation.config)
            expected = run_debate(
                load_case(session, hypothesis_id=evaluation.hypothesis_id),
                config=config,
                backend=create("evidence"),
                believability=evaluation.believability,
            )
            assert sorted((t.round, t.persona, t.argument) for t in turns) == sorted(
                (t.round, t.persona, t.output.argument) for t in expected.turns
            )
            trades = session.scalar(
                select(func.count())
                .select_from(MarketTrade)
                .where(MarketTrade.evaluation_id == evaluation_id)
            )
            personas = {t.persona for t in turns}
            assert trades in (0, len(personas))
            assert (trades == 0) == ((evaluation.quality or 0.0) < 0.3)
