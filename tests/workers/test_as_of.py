"""As-of evaluations: a blind forecast through the API, the worker pipeline, views and CLI.

The tasks run in this process (``Task.apply``). The model is the offline rubric behind a
scripted backend that records every prompt, so the test can read what the debate was shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from celery import Celery
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app as create_api
from common.as_of_rule import AS_OF_RULE_VERSION
from common.settings import Settings, get_settings
from debates.backends.base import BackendRequest
from debates.backends.evidence.backend import EvidenceBackend
from debates.backends.scripted import ScriptedBackend
from debates.types import DebateConfig
from hyposcore.cli.main import app as cli_app
from storage.db import Database
from storage.models import (
    Evaluation,
    EvidenceItem,
    Hypothesis,
    MarketTrade,
    PersonaCalibration,
    ScoreSnapshot,
)
from storage.queries.calibration import resolved_forecasts
from storage.queries.tokens import create_token
from tests.workers.pipeline_helpers import prepared_database
from workers import tasks
from workers.celery_app import create_app

# Validated on 2016-10-29 by the EXIST-3 trial (PMID:27613521), which its evidence also cites.
RESOLVED = "h-8c41d7a2"
RESOLVING = "PMID:27613521"
AS_OF = date(2016, 10, 28)


@pytest.fixture
def pipeline() -> tuple[Settings, Database, Celery]:
    settings = get_settings()
    return settings, prepared_database(settings), create_app(settings)


@pytest.fixture
def prompts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every prompt the debates send, in order; the answers are the offline rubric's."""
    seen: list[str] = []
    evidence = EvidenceBackend()

    def answer(request: BackendRequest[Any]) -> Any:
        seen.append("\n".join(message.content for message in request.messages))
        return evidence.complete(request).output

    def factory(settings: Settings) -> Callable[[DebateConfig], ScriptedBackend]:
        return lambda config: ScriptedBackend(answer)

    monkeypatch.setattr(tasks, "backend_factory", factory)
    return seen


def queue(client: TestClient, token: str, **body: Any) -> Any:
    return client.post(
        "/evaluations",
        json={"hypothesis_id": RESOLVED, "backend": "scripted", **body},
        headers={"Authorization": f"Bearer {token}"},
    )


def run(app: Celery, evaluation_id: int) -> None:
    app.tasks["hyposcore.evaluate"].apply(args=[evaluation_id])
    app.tasks["hyposcore.score"].apply(args=[evaluation_id])


def calibration(database: Database) -> dict[str, tuple[float, int]]:
    with database.sessions() as session:
        return {
            row.persona: (row.believability, row.resolved_count)
            for row in session.query(PersonaCalibration)
        }


def test_a_blind_forecast_never_sees_the_answer_and_alone_grades_the_personas(
    pipeline: tuple[Settings, Database, Celery], prompts: list[str]
) -> None:
    settings, database, app = pipeline
    with database.transaction() as session:
        token = create_token(session, name="t").plain
        hypothesis = session.get(Hypothesis, RESOLVED)
        assert hypothesis is not None and hypothesis.resolution_citation == RESOLVING
        later = [
            item.citation
            for item in session.query(EvidenceItem).filter_by(hypothesis_id=RESOLVED)
            if item.year is None or item.year >= AS_OF.year
        ]
    assert later, "the hypothesis has evidence from the as-of year on, to be kept out"

    with TestClient(create_api(settings, database)) as client:
        queued = queue(client, token, as_of=AS_OF.isoformat())
        assert queued.status_code == 202, queued.text
        blind_id = queued.json()["evaluation"]["id"]
        run(app, blind_id)
        shown = client.get(f"/evaluations/{blind_id}").json()
        page = client.get(f"/web/evaluations/{blind_id}").text
        detail = client.get(f"/hypotheses/{RESOLVED}").json()
        listed = client.get(f"/hypotheses/{RESOLVED}/evaluations").json()["items"]
    # Not the hypothesis's current debate, but listed among its evaluations with its date.
    assert detail["latest_evaluation_id"] != blind_id
    assert [(e["id"], e["as_of"]) for e in listed] == [(blind_id, AS_OF.isoformat())]
    assert prompts, "the debate asked the model"
    for prompt in prompts:
        assert RESOLVING not in prompt
        assert not [c for c in later if c in prompt]
    assert shown["state"] == "succeeded" and shown["as_of"] == AS_OF.isoformat()
    assert (shown["as_of_rule_version"], shown["grades_personas"]) == (AS_OF_RULE_VERSION, True)
    assert f"as-of rule {AS_OF_RULE_VERSION}, the current one: it grades the personas" in page
    forecast = shown["forecast"]
    assert forecast["as_of"] == AS_OF.isoformat()
    assert forecast["composite_low"] <= forecast["composite"] <= forecast["composite_high"]
    assert 0 < forecast["exchange_rating"] < 1
    assert "Blind forecast as of 2016-10-28" in page and "2016-10-28 (blind forecast" in page
    with database.sessions() as session:
        # Made under the current as-of rule, which is what lets it grade the personas.
        blind = session.get(Evaluation, blind_id)
        assert blind is not None and blind.as_of_rule_version == AS_OF_RULE_VERSION
        assert blind.config["as_of_rule_version"] == AS_OF_RULE_VERSION
        # Kept off the live record: no snapshot, no trade.
        assert session.query(ScoreSnapshot).filter_by(evaluation_id=blind_id).count() == 0
        assert session.query(MarketTrade).filter_by(evaluation_id=blind_id).count() == 0
    graded = calibration(database)
    assert graded and all(count == 1 for _, count in graded.values())

    # A debate held now reads the resolving trial: it must not move any believability.
    with TestClient(create_api(settings, database)) as client:
        live_id = queue(client, token).json()["evaluation"]["id"]
    assert live_id != blind_id  # the as-of date is part of what makes two requests equal
    prompts.clear()
    run(app, live_id)
    assert any(RESOLVING in prompt for prompt in prompts)
    assert calibration(database) == graded

    status = CliRunner().invoke(cli_app, ["status", str(blind_id)], env={"COLUMNS": "200"})
    assert status.exit_code == 0, status.output
    assert "2016-10-28 (blind forecast)" in status.output and "forecast:" in status.output

    # Made under an older rule (here: before the rule had versions), the same forecast stays
    # and is shown as it was, but grades no one.
    with database.transaction() as session:
        old = session.get(Evaluation, blind_id)
        assert old is not None
        old.as_of_rule_version = None
    with TestClient(create_api(settings, database)) as client:
        shown_old = client.get(f"/evaluations/{blind_id}").json()
        page_old = client.get(f"/web/evaluations/{blind_id}").text
    assert shown_old["grades_personas"] is False and shown_old["forecast"] == forecast
    assert "made under an older, looser as-of rule, so it no longer grades the personas" in page_old
    status_old = CliRunner().invoke(cli_app, ["status", str(blind_id)], env={"COLUMNS": "300"})
    said = " ".join(status_old.output.split())
    older = "2016-10-28 (blind forecast: made under an older, looser as-of rule, so it no longer"
    assert older in said
    with database.sessions() as session:
        assert [f for f in resolved_forecasts(session) if f.hypothesis_id == RESOLVED] == []


@pytest.mark.parametrize(
    ("as_of", "problem"),
    [
        ((date.today() + timedelta(days=2)).isoformat(), "is in the future"),
        ("2016-02-30", "date"),
        ("yesterday", "date"),
    ],
)
def test_a_bad_as_of_date_is_refused_naming_the_field(
    pipeline: tuple[Settings, Database, Celery], as_of: str, problem: str
) -> None:
    settings, database, _ = pipeline
    with database.transaction() as session:
        token = create_token(session, name="t").plain
    with TestClient(create_api(settings, database)) as client:
        response = queue(client, token, as_of=as_of)
    assert response.status_code == 422, response.text
    assert "as_of" in response.text and problem in response.text
    with database.sessions() as session:
        assert session.query(Evaluation).count() == 0


def test_the_cli_refuses_a_future_as_of_date(pipeline: tuple[Settings, Database, Celery]) -> None:
    future = (date.today() + timedelta(days=2)).isoformat()
    result = CliRunner().invoke(cli_app, ["queue", RESOLVED, "--as-of", future])
    assert result.exit_code == 2
    assert "is in the future" in result.output and "--as-of" in result.output
