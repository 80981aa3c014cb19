"""The models and the migrations describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import Database
from storage.migrate import current_revision, downgrade
from storage.models import Base, Evaluation, Hypothesis


def test_migrations_match_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_upgrade_creates_every_table_and_downgrade_removes_them(db: Database) -> None:
    assert current_revision(db.engine) is not None
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    downgrade(db.engine, "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    db.upgrade()
    assert set(Base.metadata.tables) <= set(inspect(db.engine).get_table_names())


def test_upgrade_twice_is_harmless(db: Database) -> None:
    before = current_revision(db.engine)
    db.upgrade()
    assert current_revision(db.engine) == before


def test_blind_forecasts_of_the_offline_backends_keep_grading_after_0030(db: Database) -> None:
    with db.transaction() as session:
        session.add(Hypothesis(id="h-1", title="t"))
        session.flush()
        rows = [
            Evaluation(hypothesis_id="h-1", config={"backend": b}, config_hash=h, as_of=as_of)
            for b, h, as_of in (
                ("evidence", "a", date(2020, 1, 1)),
                ("openai", "b", date(2020, 1, 1)),
                ("evidence", "c", None),
            )
        ]
        session.add_all(rows)
        session.flush()
        ids = [row.id for row in rows]
    downgrade(db.engine, "0029")
    db.upgrade()
    with db.sessions() as session:
        marked = [session.get(Evaluation, i).reads_only_request for i in ids]  # type: ignore[union-attr]
    # The offline backend's blind forecast; a model's, which may have read the outcome, and a
    # live evaluation, which grades nobody, stay unknown.
    assert marked == [True, None, None]
