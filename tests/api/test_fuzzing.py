"""schemathesis against the ASGI app, in process: without a token and with one.

Every operation of the OpenAPI document gets generated requests, valid and invalid; every
response must be no server error, a status the document lists, a body its schema allows and
headers it declares (issue 11, defect 11; issue 16, item 6).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from common.settings import Settings
from storage.db import Database
from storage.queries.tokens import create_token
from tests.api.seed import HYPOTHESIS, seed
from tests.databases import DIALECTS, migrated_database
from tests.workers.backtest_items import seed_report

# Examples per operation and mode: enough to reach every documented status in a few seconds.
MAX_EXAMPLES = 12
BACKTEST = "fuzzed-report"  # a stored backtest report, so that its answer meets the schema too
ROUND_DEFAULTS = {"min_rounds": 2, "max_rounds": 8}
_RULE = re.compile(r"^(\w+) <= (\w+)$")


def _documented_constraints(case: Any) -> list[dict[str, Any]]:
    if not case.operation.body:
        return []
    body_schema = case.operation.body[0].definition.get("schema", {})
    if "$ref" in body_schema:
        resolved = case.operation.schema.raw_schema
        for part in body_schema["$ref"].removeprefix("#/").split("/"):
            resolved = resolved[part]
        body_schema = resolved
    constraints: list[dict[str, Any]] = body_schema.get("x-constraints", [])
    return constraints


def _breaks_a_documented_constraint(case: Any) -> bool:
    """Whether the body breaks one of the x-constraints its schema documents."""
    if not isinstance(case.body, dict):
        return False
    given = {k: v for k, v in case.body.items() if v is not None}
    # ISO dates compare as strings; "today" is UTC's, as the API's.
    values = {**ROUND_DEFAULTS, "today": datetime.now(UTC).date().isoformat(), **given}
    for constraint in _documented_constraints(case):
        rule = _RULE.match(constraint["rule"])
        assert rule is not None, f"x-constraints rule this test cannot read: {constraint}"
        low, high = rule.groups()
        if low in values and high in values and values[low] > values[high]:
            return True
    return False


@schemathesis.check
def documented_positive_data_acceptance(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' positive_data_acceptance, with the 422s the document states beyond JSON
    Schema: a broken x-constraint, and an Idempotency-Key reused with another request."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code != 422:
        return positive_data_acceptance(ctx, response, case)
    error = response.json().get("error", {})
    if error.get("code") == "idempotency_key_reused" or _breaks_a_documented_constraint(case):
        return None
    return positive_data_acceptance(ctx, response, case)


@pytest.fixture(scope="module", params=DIALECTS)
def fuzzed_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """Both dialects: PostgreSQL refuses what SQLite takes (a NUL in a looked-up id was a 500
    there and a 404 here)."""
    with migrated_database(request.param, tmp_path_factory.mktemp("fuzz-db")) as database:
        yield database


@pytest.fixture(scope="module")
def fuzzed(
    fuzzed_database: Database, tmp_path_factory: pytest.TempPathFactory
) -> tuple[FastAPI, str]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    database = fuzzed_database
    seed(database)
    seed_report(database, BACKTEST)
    with database.transaction() as session:
        token = create_token(session, name="fuzz").plain
    # Explicit, not from the environment: a module fixture is built before the autouse
    # fixture that clears HYPOSCORE_* variables runs.
    app_settings = Settings(
        data_dir=folder / "var",
        max_request_bytes=65_536,
        backend="evidence",
        allowed_hosts="testserver",
        broker_url=None,
        public_url=None,
        **ROUND_DEFAULTS,
    )
    app_settings.ensure_data_dir()
    return create_app(app_settings, database), token


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(inner) for inner in exc.exceptions)
    return f"{type(exc).__name__}: {exc}"


def _check(case: Any, headers: dict[str, str]) -> str | None:
    response = case.call(headers=headers)
    try:
        case.validate_response(
            response,
            headers=headers,
            excluded_checks=[positive_data_acceptance],
            additional_checks=[documented_positive_data_acceptance],
        )
    except (Exception, FailureGroup) as exc:  # every failure is collected and shown
        return (
            f"{_describe(exc)}\n    request: {case.method} {case.formatted_path} "
            f"query={case.query} body={case.body!r:.300}\n"
            f"    response: {response.status_code} {response.text[:300]}"
        )
    return None


def _fuzz(
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    known: dict[str, Any] | None = None,
) -> list[str]:
    """Fuzz one operation; ``known`` pins path parameters to stored records, so that the
    answers with bodies (not only the 404s of drawn ids) meet the schema too."""
    seen: list[str] = []
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=known or None)

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        failure = _check(case, headers)
        if failure is not None:
            seen.append(f"{operation.label} [{mode.value}]: {failure}")

    try:
        run()
    except Unsatisfiable:
        # No invalid request exists for an operation without parameters or body.
        assert mode is GenerationMode.NEGATIVE, operation.label
    return list(dict.fromkeys(seen))


def _failures(app: FastAPI, headers: dict[str, str]) -> list[str]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    stored = {"hypothesis_id": HYPOTHESIS, "symbol": "MTOR", "evaluation_id": 1, "name": BACKTEST}
    found: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            found.extend(_fuzz(operation, mode, headers))
        names = {p.name for p in operation.path_parameters}
        if names:
            known = {name: stored[name] for name in names}
            found.extend(_fuzz(operation, GenerationMode.POSITIVE, headers, known))
    return found


@pytest.mark.parametrize("with_token", [False, True], ids=["anonymous", "token"])
def test_the_api_answers_as_documented(fuzzed: tuple[FastAPI, str], with_token: bool) -> None:
    app, token = fuzzed
    headers = {"Authorization": f"Bearer {token}"} if with_token else {}
    failures = _failures(app, headers)
    assert failures == [], "\n\n".join(failures)
