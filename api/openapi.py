"""The OpenAPI document, completed with every error the API really answers.

FastAPI documents the success of each route and a 422 in its own validation format. The API
answers more than that, always in one error format (``api.errors``): 400 for a Host it does
not serve, 401 without a valid token, 404 for a missing hypothesis, gene or evaluation, 413 for
a body over the limit, 422 for invalid input. This module adds those answers to every
operation that can give them, so that clients (and schemathesis) can rely on the document.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

ERROR_REF = {"$ref": "#/components/schemas/Error"}


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable and machine-readable, e.g. not_found, invalid_input.")
    message: str = Field(description="Says what was wrong and where.")
    details: Any = Field(
        None, description="Where the input was wrong, or what the limit is; may be null."
    )


class Error(BaseModel):
    """Every error the API answers, whatever its status."""

    error: ErrorDetail


_ANSWERS = {
    "400": "The Host header names a host this server does not answer to.",
    "401": "No bearer token, or an unknown or revoked one.",
    "404": "The named hypothesis, gene, evaluation or page does not exist.",
    "413": "The request body is over the size limit (HYPOSCORE_MAX_REQUEST_BYTES).",
    "422": (
        "Invalid input: a parameter or a field out of range or of the wrong type, a broken "
        "cross-field constraint (see the body's x-constraints), or an Idempotency-Key reused "
        "with a different request. `details` says where."
    ),
}


_UNPARSEABLE = " Or the body could not be parsed at all (bytes that are not a JSON document)."


def _error_answer(status: str, existing: dict[str, Any] | None) -> dict[str, Any]:
    description = (existing or {}).get("description") or _ANSWERS[status]
    if description in {"Validation Error", "Successful Response"}:
        description = _ANSWERS[status]
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def _statuses(path: str, operation: dict[str, Any]) -> list[str]:
    statuses = ["400", "413"]
    if operation.get("parameters") or operation.get("requestBody"):
        statuses.append("422")
    if "{" in path or "404" in operation.get("responses", {}):
        statuses.append("404")
    if operation.get("security"):
        statuses.append("401")
    return statuses


def complete_document(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the error answers of every operation and the Error schema."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(Error.model_json_schema(ref_template="#/components/schemas/{model}")["$defs"])
    schemas["Error"] = Error.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas["Error"].pop("$defs", None)
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path, item in document.get("paths", {}).items():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, operation):
                responses[status] = _error_answer(status, responses.get(status))
            if "requestBody" in operation:
                responses["400"]["description"] += _UNPARSEABLE
            for status, answer in responses.items():
                if status.isdigit() and int(status) >= 400:
                    answer["content"] = {"application/json": {"schema": ERROR_REF}}
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the completed document at ``/openapi.json`` (built once, on first request)."""
    generate = app.openapi
    completed: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        if not completed:
            completed.append(complete_document(generate()))
            app.openapi_schema = completed[0]
        return completed[0]

    app.openapi = openapi  # type: ignore[method-assign]
