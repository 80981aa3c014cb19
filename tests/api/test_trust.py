"""What the API trusts (issue 16): the Host header never, content sniffing never, and every
route answers with its security headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import get_session
from common.settings import Settings
from storage.db import Database
from tests.api.conftest import auth
from tests.api.seed import HYPOTHESIS, UNSCORED, Seeded
from tests.workers.backtest_items import seed_report

EVIL = "evil.example"
BACKTEST = "trusted-report"
SNIPPETS = [f"/badges/hypotheses/{HYPOTHESIS}.html", "/badges/genes/MTOR.html"]


@pytest.fixture
def db(sqlite_db: Database) -> Database:
    # Headers and links do not depend on the dialect; the ledger tests cover both databases.
    return sqlite_db


def _client(db: Database, **settings: object) -> TestClient:
    app = create_app(Settings(max_request_bytes=4096, **settings), db)  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False)


def test_a_foreign_host_header_is_refused_in_the_error_format(
    client: TestClient, seeded: Seeded
) -> None:
    for path in ["/genes", f"/web/hypotheses/{HYPOTHESIS}", *SNIPPETS]:
        response = client.get(path, headers={"Host": EVIL})
        assert response.status_code == 400, path
        error = response.json()["error"]
        assert error["code"] == "bad_request" and error["details"] == {"host": EVIL}
        assert "HYPOSCORE_ALLOWED_HOSTS" in error["message"]
        assert response.headers["x-content-type-options"] == "nosniff"
    for host in ("localhost:8000", "127.0.0.1", "[::1]:8000", "testserver"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 200, host


def test_snippet_links_never_come_from_the_host_header(db: Database, seeded: Seeded) -> None:
    # Even a deployment that answers any host must not echo it into a link.
    with _client(db, allowed_hosts="*") as anyone:
        for path in SNIPPETS:
            snippet = anyone.get(path, headers={"Host": EVIL}).text
            assert EVIL not in snippet
            links = re.findall(r'(?:href|src)="([^"]+)"', snippet)
            assert len(links) == 2 and all(link.startswith("/") for link in links), links
        page = anyone.get(f"/web/hypotheses/{HYPOTHESIS}", headers={"Host": EVIL}).text
        assert EVIL not in page


def test_snippet_links_are_absolute_under_the_public_url(db: Database, seeded: Seeded) -> None:
    public = "https://scores.example.org/hyposcore"
    with _client(db, public_url=public + "/") as configured:
        # The public URL's host is allowed without being listed.
        response = configured.get(SNIPPETS[0], headers={"Host": "scores.example.org"})
        assert response.status_code == 200
        links = re.findall(r'(?:href|src)="([^"]+)"', response.text)
        assert links == [
            f"{public}/web/hypotheses/{HYPOTHESIS}",
            f"{public}/badges/hypotheses/{HYPOTHESIS}.svg",
        ]


def test_a_public_url_that_is_not_http_is_refused() -> None:
    for bad in ("javascript:alert(1)", "ftp://x.org", "https://x.org/?q=1", "https://"):
        with pytest.raises(ValueError, match="public_url"):
            Settings(public_url=bad)


def _every_route(
    document: dict[str, Any], seeded: Seeded
) -> Iterator[tuple[str, str, dict[str, object]]]:
    """(method, path, request options) for every route the app serves, and its error answers.

    The API's routes come from its OpenAPI document, so a new route is covered unasked."""
    known = {
        "hypothesis_id": HYPOTHESIS,
        "symbol": "MTOR",
        "evaluation_id": str(seeded.evaluation_id),
        "name": BACKTEST,
    }
    for template, item in document["paths"].items():
        path = re.sub(r"\{(\w+)\}", lambda m: known[m.group(1)], template)
        if "get" in item:
            yield "GET", path, {}
    for path in [
        "/openapi.json",
        "/docs",
        "/",
        "/web/genes/MTOR",
        f"/web/hypotheses/{HYPOTHESIS}",
        "/web/leaderboard",
        "/web/backtests",
        f"/web/backtests/{BACKTEST}",
        "/static/style.css",
        # Errors: 404 (JSON and HTML), 405, 422.
        "/hypotheses/h-nope",
        "/web/genes/NOPE",
        "/evaluations/batch",
        "/evaluations/0",
    ]:
        yield "GET", path, {}
    yield "POST", "/evaluations", {"json": {"hypothesis_id": UNSCORED}, "token": True}
    yield "POST", "/evaluations/batch", {"json": {"hypothesis_ids": [UNSCORED]}, "token": True}
    yield "POST", "/evaluations", {"json": {"hypothesis_id": UNSCORED}}  # 401
    yield "POST", "/evaluations", {"content": b"x" * 5000, "token": True}  # 413
    yield "OPTIONS", "/evaluations", {}


def test_every_response_carries_nosniff_and_documents_carry_a_csp(
    client: TestClient, seeded: Seeded, token: str, db: Database
) -> None:
    seed_report(db, BACKTEST)
    statuses = set()
    document = client.get("/openapi.json").json()
    for method, path, options in _every_route(document, seeded):
        headers = auth(token) if options.pop("token", False) else {}
        response = client.request(method, path, headers=headers, **options)  # type: ignore[arg-type]
        statuses.add(response.status_code)
        assert response.status_code < 500, (method, path, response.text)
        assert response.headers.get("x-content-type-options") == "nosniff", (method, path)
        media = response.headers.get("content-type", "")
        if media.startswith(("text/html", "image/svg+xml")) and path != "/docs":
            assert "default-src 'none'" in response.headers["content-security-policy"], path
    assert {200, 202, 204, 401, 404, 405, 413, 422} <= statuses


def test_a_server_error_carries_nosniff_too(app: FastAPI, seeded: Seeded) -> None:
    def broken() -> None:
        raise RuntimeError("the database went away")

    app.dependency_overrides[get_session] = broken
    with TestClient(app, raise_server_exceptions=False) as failing:
        response = failing.get("/genes")
    assert response.status_code == 500
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.json()["error"]["code"] == "internal_error"
