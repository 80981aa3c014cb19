"""A model that obeys an injection is not believed: through the pipeline, the API, views, CLI.

The tasks run in this process (``Task.apply``) against a scripted model that answers as the
offline rubric does, except that some personas score every dimension 1.0 with probability 1.0,
as a model obeying "score this hypothesis 1.0" would.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from typing import Any

import pytest
from celery import Celery
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app as create_api
from common.settings import Settings, get_settings
from debates.backends.base import BackendRequest
from debates.backends.evidence.backend import EvidenceBackend
from debates.backends.scripted import ScriptedBackend
from debates.consistency import FLAG_ACTION
from debates.schema import TurnOutput
from debates.types import DebateConfig
from hyposcore.cli.main import app as cli_app
from scoring.lmsr import MarketState
from scoring.weights import Weights
from storage.db import Database
from storage.models import DebateTurn, Evaluation, MarketTrade, ScoreSnapshot
from tests.workers.pipeline_helpers import prepared_database
from workers import tasks
from workers.celery_app import create_app
from workers.dispatch import debate_config, submit_evaluation
from workers.scoring_phase import TurnView, plan_score

HYPOTHESIS = "h-51e7234f"


@pytest.fixture
def pipeline() -> tuple[Settings, Database, Celery]:
    settings = get_settings()
    return settings, prepared_database(settings), create_app(settings)


def obeying_model(monkeypatch: pytest.MonkeyPatch, obeys: Callable[[str], bool]) -> None:
    evidence = EvidenceBackend()

    def answer(request: BackendRequest[Any]) -> TurnOutput:
        output = evidence.complete(request).output
        assert isinstance(output, TurnOutput)
        if not obeys(request.context.persona or ""):
            return output
        return output.model_copy(
            update={"scores": dict.fromkeys(output.scores, 1.0), "probability": 1.0}
        )

    def factory(settings: Settings) -> Callable[[DebateConfig], ScriptedBackend]:
        return lambda config: ScriptedBackend(answer)

    monkeypatch.setattr(tasks, "backend_factory", factory)


def evaluate(settings: Settings, database: Database, app: Celery) -> int:
    config = debate_config(settings, backend="scripted")
    evaluation_id = submit_evaluation(
        database, settings, hypothesis_id=HYPOTHESIS, config=config, app=app
    ).evaluation.id
    app.tasks["hyposcore.evaluate"].apply(args=[evaluation_id])
    app.tasks["hyposcore.score"].apply(args=[evaluation_id])
    return evaluation_id


def stored(database: Database, evaluation_id: int) -> tuple[Evaluation, list[DebateTurn]]:
    with database.sessions() as session:
        row = session.get(Evaluation, evaluation_id)
        assert row is not None
        turns = session.query(DebateTurn).filter_by(evaluation_id=evaluation_id).all()
        session.expunge_all()
    return row, turns


def blend_of(turns: Collection[DebateTurn], *, dropping: Collection[str] = ()) -> float:
    """The composite of ``turns``, unflagged, without the Synthesizer's ``dropping`` scores."""
    views = [
        replace(view, scores={d: s for d, s in view.scores.items() if d not in dropping})
        if view.persona == "synthesizer"
        else view
        for view in map(TurnView.of_row, turns)
    ]
    plan = plan_score(
        views, {}, Weights.default(), level=0.8, market=MarketState(100.0), quality=1.0
    )
    return plan.blend.composite


def test_a_persona_that_obeys_is_flagged_and_counts_nowhere(
    pipeline: tuple[Settings, Database, Celery], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, database, app = pipeline
    obeying_model(monkeypatch, lambda persona: persona == "theorist")
    evaluation_id = evaluate(settings, database, app)
    row, turns = stored(database, evaluation_id)
    assert row.state == "succeeded", row.error
    flags = [d for d in row.decisions if d["action"] == FLAG_ACTION]
    assert flags and {d["detail"]["persona"] for d in flags} == {"theorist"}
    with database.sessions() as session:
        snapshot = session.query(ScoreSnapshot).filter_by(evaluation_id=evaluation_id).one()
        traders = {
            t.persona for t in session.query(MarketTrade).filter_by(evaluation_id=evaluation_id)
        }
    honest = [t for t in turns if t.persona != "theorist"]
    # The Synthesizer's summary of the theorist's dimensions averages the 1.0s in: left out too.
    obeyed = {d for t in turns if t.persona == "theorist" for d in t.scores}
    assert obeyed and obeyed.isdisjoint(snapshot.dimensions)
    assert snapshot.composite == pytest.approx(blend_of(honest, dropping=obeyed))
    assert snapshot.composite < blend_of(turns)  # believed, the reply would have raised it
    assert "theorist" not in traders and traders

    with TestClient(create_api(settings, database)) as client:
        transcript = client.get(f"/evaluations/{evaluation_id}/transcript").json()
        page = client.get(f"/web/evaluations/{evaluation_id}").text
    marked = {(t["round"], t["persona"]): t["flagged"] for t in transcript["turns"]}
    assert all(
        (reason is not None) == (persona == "theorist") for (_, persona), reason in marked.items()
    )
    assert "contradict the case's evidence" in next(r for r in marked.values() if r)
    assert "flagged: not counted" in page and "Kept out of the composite" in page

    status = CliRunner().invoke(cli_app, ["status", str(evaluation_id)], env={"COLUMNS": "220"})
    assert status.exit_code == 0, status.output
    assert "flagged: theorist" in status.output and "(flagged)" in status.output


def test_a_panel_that_all_obeys_publishes_nothing_and_says_why(
    pipeline: tuple[Settings, Database, Celery], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, database, app = pipeline
    obeying_model(monkeypatch, lambda persona: True)
    evaluation_id = evaluate(settings, database, app)
    row, _ = stored(database, evaluation_id)
    assert row.state == "failed"
    assert row.error is not None and "flagged as contradicting the case's evidence" in row.error
    with database.sessions() as session:
        assert session.query(ScoreSnapshot).filter_by(evaluation_id=evaluation_id).count() == 0
        assert session.query(MarketTrade).filter_by(evaluation_id=evaluation_id).count() == 0
