"""A browser asking for an API resource is sent to its view; API clients keep JSON."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from common.settings import Settings
from storage.db import Database
from tests.api.seed import HYPOTHESIS, seed

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def web(sqlite_db: Database) -> Iterator[TestClient]:
    seed(sqlite_db)
    with TestClient(create_app(Settings(), sqlite_db), follow_redirects=False) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "view"),
    [
        ("/genes/MTOR", "/web/genes/MTOR"),
        (f"/hypotheses/{HYPOTHESIS}", f"/web/hypotheses/{HYPOTHESIS}"),
    ],
)
def test_a_browser_is_sent_to_the_view(web: TestClient, path: str, view: str) -> None:
    response = web.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 303
    assert response.headers["location"] == view
    assert "Accept" in response.headers["vary"]
    followed = web.get(view, headers={"Accept": BROWSER_ACCEPT})
    assert followed.status_code == 200
    assert followed.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "accept", [None, "*/*", "application/json", "application/json, text/html;q=0.5"]
)
@pytest.mark.parametrize("path", ["/genes/MTOR", f"/hypotheses/{HYPOTHESIS}"])
def test_api_clients_keep_json(web: TestClient, path: str, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    response = web.get(path, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["links"]["page"].startswith("/web/")


def test_an_unknown_id_is_still_a_404_for_a_browser(web: TestClient) -> None:
    response = web.get("/hypotheses/h-nosuch00", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 404


def test_the_openapi_document_still_describes_the_json_routes(web: TestClient) -> None:
    paths = web.get("/openapi.json").json()["paths"]
    for path, schema in (
        ("/genes/{symbol}", "GeneOut"),
        ("/hypotheses/{hypothesis_id}", "HypothesisDetail"),
    ):
        responses = paths[path]["get"]["responses"]
        json_schema = responses["200"]["content"]["application/json"]["schema"]
        assert json_schema == {"$ref": f"#/components/schemas/{schema}"}
        assert "303" in responses and "web view" in responses["303"]["description"]
