"""The models and the migrations describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import Database
from storage.migrate import current_revision, downgrade
from storage.models import Base


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
