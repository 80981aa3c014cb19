"""A debate's start reads its stored turns only when it has begun before."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from common.settings import Settings, get_settings
from debates.backends.base import BackendRequest, BackendResult
from debates.backends.registry import create
from debates.case import case_digest
from storage.db import Database
from storage.importing import import_hypotheses
from storage.models import DebateTurn, Evaluation, Hypothesis
from tests.workers.pipeline_helpers import dataset_path, queue_evaluation
from workers import evaluation, offline_batch
from workers.cases import load_case
from workers.evaluation import run_debate_phase


class _Counting:
    """The scripted backend, counting requests; it fails the one after ``fail_after``."""

    def __init__(self, fail_after: int | None = None) -> None:
        self._inner = create("scripted")
        self.name = self._inner.name
        self.asked = 0
        self._fail_after = fail_after

    def complete(self, request: BackendRequest[Any]) -> BackendResult[Any]:
        if self._fail_after is not None and self.asked == self._fail_after:
            raise RuntimeError("the worker stopped here")
        self.asked += 1
        return self._inner.complete(request)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The evaluation ids whose stored turns the start read."""
    read: list[int] = []
    real = evaluation.stored_turns

    def recording(session: Any, *, evaluation_id: int) -> Any:
        read.append(evaluation_id)
        return real(session, evaluation_id=evaluation_id)

    monkeypatch.setattr(evaluation, "stored_turns", recording)
    return read


def _settings() -> Settings:
    # A model-like backend: its turns are stored one by one, as they come.
    return get_settings().model_copy(update={"backend": "scripted"})


def _queue(db: Database) -> int:
    import_hypotheses(db, dataset_path())
    return queue_evaluation(db, _settings(), "h-51e7234f")


def _run(db: Database, evaluation_id: int, backend: _Counting) -> None:
    settings = _settings()
    [claimed] = offline_batch.claim(db, settings, evaluation_ids=[evaluation_id], owner="w")
    run_debate_phase(db, settings, claimed, owner="w", backend_for=lambda _config: backend)


def _stored(db: Database, evaluation_id: int) -> int:
    with db.sessions() as session:
        query = select(func.count()).where(DebateTurn.evaluation_id == evaluation_id)
        return int(session.scalar(query) or 0)


def test_a_fresh_debate_does_not_read_stored_turns(db: Database, reads: list[int]) -> None:
    evaluation_id = _queue(db)
    backend = _Counting()
    _run(db, evaluation_id, backend)
    assert reads == []
    assert _stored(db, evaluation_id) == backend.asked >= 4


def test_a_debate_stopped_mid_way_resumes_from_its_stored_turns(
    db: Database, reads: list[int]
) -> None:
    evaluation_id = _queue(db)
    with pytest.raises(RuntimeError, match="stopped"):
        _run(db, evaluation_id, _Counting(fail_after=2))
    assert reads == [] and _stored(db, evaluation_id) == 2

    again = _Counting()
    _run(db, evaluation_id, again)  # the same delivery's retry re-enters its lease
    assert reads == [evaluation_id]
    assert again.asked + 2 == _stored(db, evaluation_id)
    assert again.asked >= 2


def _digest(db: Database, evaluation_id: int) -> str | None:
    with db.sessions() as session:
        return session.scalar(select(Evaluation.case_digest).where(Evaluation.id == evaluation_id))


def _case_digest(db: Database, hypothesis_id: str) -> str:
    with db.sessions() as session:
        return case_digest(load_case(session, hypothesis_id=hypothesis_id))


def test_a_debate_records_the_case_it_reads_and_forgets_it_if_a_resume_reads_another(
    db: Database,
) -> None:
    evaluation_id = _queue(db)
    with pytest.raises(RuntimeError, match="stopped"):
        _run(db, evaluation_id, _Counting(fail_after=2))
    began_on = _digest(db, evaluation_id)
    assert began_on == _case_digest(db, "h-51e7234f")

    with pytest.raises(RuntimeError, match="stopped"):
        _run(db, evaluation_id, _Counting(fail_after=1))  # resumed on the same case: kept
    assert _digest(db, evaluation_id) == began_on

    with db.transaction() as session:
        hypothesis = session.get(Hypothesis, "h-51e7234f")
        assert hypothesis is not None
        hypothesis.statement = f"{hypothesis.statement} (revised)"
    _run(db, evaluation_id, _Counting())
    # Its turns come from two cases now: a backtest's rerun may not take it for either.
    assert _digest(db, evaluation_id) is None


def _knowledge(db: Database, evaluation_id: int) -> tuple[bool | None, date | None, str | None]:
    with db.sessions() as session:
        row = session.get(Evaluation, evaluation_id)
        assert row is not None
        return row.reads_only_request, row.knowledge_cutoff, row.model


def test_a_debate_records_what_its_backend_may_know_beyond_the_case(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_hypotheses(db, dataset_path())
    offline = queue_evaluation(db, _settings(), "h-51e7234f")
    _run(db, offline, _Counting())
    assert _knowledge(db, offline) == (True, None, None)

    # A model, configured with its training cutoff: the ledger keeps the cutoff's last day,
    # and the model the worker asked for, its default, which the config does not name.
    monkeypatch.setenv("HYPOSCORE_OPENAI_MODEL", "model-a")
    monkeypatch.setenv("HYPOSCORE_OPENAI_KNOWLEDGE_CUTOFFS", '{"model-a": "2023-10"}')
    settings = _settings().model_copy(update={"backend": "openai"})
    model = queue_evaluation(db, settings, "h-51e7234f")
    [claimed] = offline_batch.claim(db, settings, evaluation_ids=[model], owner="w")
    run_debate_phase(db, settings, claimed, owner="w", backend_for=lambda _c: _Counting())
    assert _knowledge(db, model) == (False, date(2023, 10, 31), "model-a")
