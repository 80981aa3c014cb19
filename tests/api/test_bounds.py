"""Integers past what the databases store are 422s naming the parameter, never 500s (issue 11,
defect 5), and paths answer the methods they serve (issue 11, defect 11)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from common.limits import MAX_INT32, MAX_INT64
from tests.api.seed import HYPOTHESIS, Seeded

HUGE = 2**63

PAGED = [
    "/genes",
    "/hypotheses",
    "/evaluations",
    "/leaderboard",
    "/web/leaderboard",
    f"/hypotheses/{HYPOTHESIS}/history",
    f"/hypotheses/{HYPOTHESIS}/market",
    f"/hypotheses/{HYPOTHESIS}/evaluations",
]


def test_an_offset_of_two_to_the_63_is_a_422_naming_offset(
    client: TestClient, seeded: Seeded
) -> None:
    for path in PAGED:
        response = client.get(path, params={"offset": HUGE})
        assert response.status_code == 422, (path, response.text)
        if path.startswith("/web/"):  # a view's error is a page, with the same message
            assert response.headers["content-type"].startswith("text/html"), path
            assert "invalid request: query.offset: " in response.text, path
            continue
        error = response.json()["error"]
        assert error["code"] == "invalid_input"
        assert "offset" in error["message"]


def test_the_largest_offset_a_database_stores_is_an_empty_page(
    client: TestClient, seeded: Seeded
) -> None:
    for path in PAGED:
        response = client.get(path, params={"offset": MAX_INT64})
        assert response.status_code == 200, (path, response.text)
        if path.startswith("/web/"):
            assert "APOE-Dependent" not in response.text
        else:
            assert response.json()["items"] == [], path


def test_evaluation_ids_past_the_integer_column_are_422(client: TestClient, seeded: Seeded) -> None:
    for suffix in ("", "/transcript"):
        for evaluation_id in (HUGE, MAX_INT32 + 1, 10**40):
            response = client.get(f"/evaluations/{evaluation_id}{suffix}")
            assert response.status_code == 422, (evaluation_id, response.text)
            assert "evaluation_id" in response.json()["error"]["message"]
        missing = client.get(f"/evaluations/{MAX_INT32}{suffix}")
        assert missing.status_code == 404


def test_get_on_the_batch_path_is_405_naming_post(client: TestClient, seeded: Seeded) -> None:
    response = client.get("/evaluations/batch")
    assert response.status_code == 405
    assert response.headers["allow"] == "OPTIONS, POST"
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_options_lists_every_method_of_the_path(client: TestClient, seeded: Seeded) -> None:
    response = client.options("/evaluations")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, OPTIONS, POST"
    delete = client.delete("/evaluations")
    assert delete.status_code == 405
    assert delete.headers["allow"] == "GET, OPTIONS, POST"
    one = client.options(f"/hypotheses/{HYPOTHESIS}")
    assert one.status_code == 204 and one.headers["allow"] == "GET, OPTIONS"
