"""The models and the migrations describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import Database
from storage.migrate import current_revision, downgrade
from storage.models import Base, DebateTurn, Evaluation, Hypothesis
from storage.queries.debate_starts import record_cutoffs


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


# backend, config model, state, its turns' models, (model, reads_only_request) after 0032
_BEFORE_0031 = [
    ("openai", "gpt-x", "queued", [], ("gpt-x", False)),
    ("openai", None, "succeeded", ["gpt-y-2024-07-18"] * 3, ("gpt-y-2024-07-18", False)),
    ("anthropic", None, "debated", ["claude-a", "claude-a"], ("claude-a", False)),
    ("anthropic", None, "failed", ["claude-a", "claude-b"], (None, None)),
    ("openai", None, "running", ["gpt-y"], (None, None)),  # more turns may come
    ("openai", None, "succeeded", ["gpt-y", None], (None, None)),
    ("openai", None, "succeeded", [], (None, None)),
    ("evidence", None, "succeeded", ["evidence"], (None, None)),
    ("plugin", None, "succeeded", ["m-1"], ("m-1", None)),  # what it reads is not known
]


def _turn(evaluation_id: int, persona: str, backend: str, model: str | None) -> DebateTurn:
    return DebateTurn(
        evaluation_id=evaluation_id,
        round=1,
        persona=persona,
        backend=backend,
        model=model,
        argument="...",
        confidence=0.5,
        probability=0.5,
        verdict="uncertain",
    )


def test_debates_begun_before_0031_get_the_model_the_ledger_shows(db: Database) -> None:
    with db.transaction() as session:
        session.add(Hypothesis(id="h-1", title="t"))
        session.flush()
        rows = []
        for n, (backend, model, state, turns, _) in enumerate(_BEFORE_0031):
            config = {"backend": backend, **({"model": model} if model else {})}
            row = Evaluation(hypothesis_id="h-1", config=config, config_hash=str(n), state=state)
            session.add(row)
            session.flush()
            rows.append(row.id)
            session.add_all(
                _turn(row.id, f"p{k}", backend, turn_model) for k, turn_model in enumerate(turns)
            )
        recorded = Evaluation(
            hypothesis_id="h-1",
            config={"backend": "openai"},
            config_hash="recorded",
            state="succeeded",
            model="asked-for",
            reads_only_request=False,
        )
        session.add(recorded)
        session.flush()
        session.add(_turn(recorded.id, "p", "openai", "asked-for-2025-01-01"))
        rows.append(recorded.id)
    downgrade(db.engine, "0031")
    db.upgrade()
    with db.sessions() as session:
        found = [session.get(Evaluation, i) for i in rows]
        after = [(row.model, row.reads_only_request) for row in found if row is not None]
    assert after == [case[-1] for case in _BEFORE_0031] + [("asked-for", False)]
    # What the migration is for: a cutoff configured now reaches such a debate.
    with db.transaction() as session:
        reached = record_cutoffs(
            session, backend="openai", cutoffs={"gpt-y-2024-07-18": date(2023, 10, 31)}
        )
        cutoff = session.get(Evaluation, rows[1]).knowledge_cutoff  # type: ignore[union-attr]
    assert (reached, cutoff) == (["h-1"], date(2023, 10, 31))
