"""A configuration that cannot be debated is refused at the door: 422 naming the field, nothing
queued, so no worker ever sees it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from storage.db import Database
from storage.models import Evaluation
from tests.api.conftest import auth
from tests.api.seed import HYPOTHESIS, UNSCORED, Seeded

UNUSABLE: list[tuple[dict[str, Any], str, str]] = [
    ({"panel": ["nosuchpersona"]}, "panel", "unknown persona 'nosuchpersona'"),
    ({"panel": ["theorist", "theorist"]}, "panel", "persona 'theorist' is listed twice"),
    ({"backend": "nosuchbackend"}, "backend", "unknown backend 'nosuchbackend'; available: "),
    ({"min_rounds": 1}, "min_rounds", "min_rounds: 1 is outside [2, 8]"),
    ({"max_rounds": 9}, "max_rounds", "max_rounds: 9 is outside [2, 8]"),
    ({"max_rounds": 0}, "max_rounds", "max_rounds: 0 is outside [2, 8]"),
    ({"min_rounds": 6, "max_rounds": 3}, "min_rounds", "6 is greater than max_rounds 3"),
]


def _evaluations(db: Database) -> int:
    with db.sessions() as session:
        return session.query(Evaluation).count()


def _assert_refused(response: Any, field: str, message: str) -> None:
    assert response.status_code == 422, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["message"].startswith(f"{field}: ") and message in error["message"], error
    assert error["details"][0]["location"] == ["body", field]


def test_the_reported_unknown_persona_is_refused(
    client: TestClient, db: Database, seeded: Seeded, token: str
) -> None:
    before = _evaluations(db)
    response = client.post(
        "/evaluations",
        json={"hypothesis_id": "h-51e7234f", "panel": ["nosuchpersona"]},
        headers=auth(token),
    )
    _assert_refused(response, "panel", "unknown persona 'nosuchpersona'; known personas: ")
    assert _evaluations(db) == before


@pytest.mark.parametrize(("options", "field", "message"), UNUSABLE)
def test_one_evaluation_with_an_unusable_configuration_is_422(
    client: TestClient,
    db: Database,
    seeded: Seeded,
    token: str,
    options: dict[str, Any],
    field: str,
    message: str,
) -> None:
    before = _evaluations(db)
    response = client.post(
        "/evaluations", json={"hypothesis_id": HYPOTHESIS, **options}, headers=auth(token)
    )
    _assert_refused(response, field, message)
    assert _evaluations(db) == before


@pytest.mark.parametrize(("options", "field", "message"), UNUSABLE)
def test_a_batch_with_an_unusable_configuration_is_422(
    client: TestClient,
    db: Database,
    seeded: Seeded,
    token: str,
    options: dict[str, Any],
    field: str,
    message: str,
) -> None:
    before = _evaluations(db)
    response = client.post(
        "/evaluations/batch",
        json={"hypothesis_ids": [HYPOTHESIS, UNSCORED], **options},
        headers=auth(token),
    )
    _assert_refused(response, field, message)
    assert _evaluations(db) == before


def test_every_registered_backend_is_accepted_and_listed_in_the_openapi(
    client: TestClient, db: Database, seeded: Seeded, token: str
) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    listed = schema["EvaluationRequest"]["properties"]["backend"]
    names = next(option["enum"] for option in listed["anyOf"] if option.get("type") == "string")
    assert {"evidence", "openai", "anthropic", "scripted"} <= set(names)
    response = client.post(
        "/evaluations", json={"hypothesis_id": UNSCORED, "backend": "scripted"}, headers=auth(token)
    )
    assert response.status_code == 202, response.json()
    assert response.json()["evaluation"]["config"]["backend"] == "scripted"
