"""A model's training cutoff, configured after its debates ran, reaches them when a worker
starts: a cutoff is a fact of the model, and a recorded one is never changed."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from storage.db import Database
from storage.models import Evaluation, Hypothesis
from workers.warmup import give_configured_cutoffs

# (backend, model, reads only the request, recorded cutoff) of each debate in the ledger.
DEBATES = {
    "no cutoff yet": ("openai", "model-w", False, None),
    "recorded": ("openai", "model-w", False, date(2001, 1, 1)),
    "another model": ("openai", "model-x", False, None),
    "another backend": ("anthropic", "model-w", False, None),
    "begun before models were kept": ("openai", None, None, None),
}


def _ledger(db: Database) -> dict[str, int]:
    ids = {}
    with db.transaction() as session:
        session.add(Hypothesis(id="h-1", title="t"))
        session.flush()
        for name, (backend, model, reads_only, cutoff) in DEBATES.items():
            row = Evaluation(
                hypothesis_id="h-1",
                config={"backend": backend},
                config_hash=name,
                as_of=date(2020, 1, 1),
                model=model,
                reads_only_request=reads_only,
                knowledge_cutoff=cutoff,
            )
            session.add(row)
            session.flush()
            ids[name] = row.id
    return ids


def test_a_starting_worker_gives_its_models_cutoff_to_their_debates_that_recorded_none(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _ledger(db)
    monkeypatch.setenv("HYPOSCORE_OPENAI_KNOWLEDGE_CUTOFFS", '{"model-w": "2015"}')
    assert give_configured_cutoffs(db) == 1  # of h-1
    with db.sessions() as session:
        cutoffs = {name: session.get(Evaluation, i).knowledge_cutoff for name, i in ids.items()}  # type: ignore[union-attr]
    assert cutoffs == {
        "no cutoff yet": date(2015, 12, 31),
        "recorded": date(2001, 1, 1),
        "another model": None,
        "another backend": None,
        "begun before models were kept": None,
    }
    assert give_configured_cutoffs(db) == 0


def test_a_ledger_it_cannot_reach_is_logged_and_the_worker_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("HYPOSCORE_OPENAI_KNOWLEDGE_CUTOFFS", '{"model-w": "2015"}')
    unreachable = Database(f"sqlite:///{tmp_path / 'missing' / 'ledger.db'}")
    with caplog.at_level(logging.WARNING, logger="hyposcore.workers"):
        assert give_configured_cutoffs(unreachable) == 0
    assert "configured training cutoffs of backend 'openai' not recorded" in caplog.text
