"""The OpenAPI document lists every answer the API gives (issue 11, defect 11), states the
cross-field constraints JSON Schema cannot (issue 16, item 6), and says what each score means
(issue 12, item 1)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.legends import explain
from storage.db import Database


@pytest.fixture
def db(sqlite_db: Database) -> Database:
    # The document does not depend on the database.
    return sqlite_db


ERROR = {"$ref": "#/components/schemas/Error"}


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_every_operation_documents_its_error_answers(client: TestClient, db: Database) -> None:
    document = client.get("/openapi.json").json()
    assert document["components"]["schemas"]["Error"]["required"] == ["error"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        expected = {"400", "413"}
        if "{" in path:
            expected.add("404")
        if operation.get("parameters") or operation.get("requestBody"):
            expected.add("422")
        if method == "POST":
            expected |= {"401", "404", "422"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for status, answer in responses.items():
            if int(status) >= 400:
                assert answer["content"]["application/json"]["schema"] == ERROR, (path, status)
                assert answer["description"], (path, status)


def _unbounded_integers(schema: dict[str, Any], where: str) -> list[str]:
    options = schema.get("anyOf", [schema])
    found = [where for o in options if o.get("type") == "integer" and "maximum" not in o]
    for name, inner in schema.get("properties", {}).items():
        found += _unbounded_integers(inner, f"{where}.{name}")
    return found


def test_every_request_integer_is_bounded_in_the_document(client: TestClient, db: Database) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    unbounded = []
    for method, path, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            where = f"{method} {path} {parameter['name']}"
            unbounded += _unbounded_integers(parameter["schema"], where)
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            name = body["schema"]["$ref"].rsplit("/", 1)[-1]
            unbounded += _unbounded_integers(schemas[name], f"{method} {path} body")
    assert unbounded == []


def test_cross_field_constraints_are_stated(client: TestClient, db: Database) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("EvaluationRequest", "EvaluationBatchRequest"):
        constraints = schemas[name]["x-constraints"]
        rules = [constraint["rule"] for constraint in constraints]
        assert rules == ["min_rounds <= max_rounds", "as_of <= today"], name
        assert all("422" in constraint["description"] for constraint in constraints)


def test_the_score_fields_carry_the_views_legends(client: TestClient, db: Database) -> None:
    """What each number means is in the document, word for word as the pages say it."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    summary, snapshot = schemas["ScoreSummary"]["properties"], schemas["SnapshotOut"]["properties"]
    assert summary["exchange_rating"]["description"] == explain("exchange_rating")
    for fields in (summary, snapshot):
        assert fields["composite"]["description"] == explain("composite")
        assert fields["market_price"]["description"] == explain("market_price")
        assert "80% interval" in fields["composite_low"]["description"]
    assert "not the interval's coverage" in snapshot["coverage"]["description"]
