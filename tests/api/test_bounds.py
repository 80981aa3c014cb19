"""Integers past what the databases store are 422s naming the parameter, never 500s (issue 11,
defect 5), a URL's strings are held to the text policy, and paths answer the methods they
serve (issue 11, defect 11)."""

from __future__ import annotations

from urllib.parse import quote

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
    # The view had its own bound, 2^63 - 1: on PostgreSQL an id past the column was a 500.
    for evaluation_id in (MAX_INT32 + 1, HUGE - 1):
        response = client.get(f"/web/evaluations/{evaluation_id}")
        assert response.status_code == 422, (evaluation_id, response.text[:300])
        assert "invalid request: path.evaluation_id: " in response.text
    assert client.get(f"/web/evaluations/{MAX_INT32}").status_code == 404


# Pydantic's lax int reads each of these as a number (" 8" and "8\x85", a Unicode space, as
# 8; "1_0" as 10); a URL's integer is its digits alone, as the OpenAPI document says.
NOT_PLAIN_DIGITS = [" 8", "8 ", "8\x85", "8\u2003", "1_0", "+8"]


def test_a_url_integer_is_its_digits_alone(client: TestClient, seeded: Seeded) -> None:
    for path in PAGED:
        # The web leaderboard pages by offset alone.
        for parameter in ("offset",) if path.startswith("/web/") else ("limit", "offset"):
            for written in NOT_PLAIN_DIGITS:
                response = client.get(path, params={parameter: written})
                assert response.status_code == 422, (path, parameter, written, response.text)
                assert f"query.{parameter}: " in response.text, (path, written)
                assert "Input should be a valid integer, written in the digits 0-9 alone" in (
                    response.text
                )
    evaluation = seeded.evaluation_id
    for path in ("/evaluations/{}", "/evaluations/{}/transcript", "/web/evaluations/{}"):
        assert client.get(path.format(evaluation)).status_code == 200, path
        # "0_1" would otherwise be evaluation 1, "1_0" evaluation 10.
        for written in (f"0_{evaluation}", f"{evaluation}\x85", f"+{evaluation}"):
            response = client.get(path.format(quote(written)))
            assert response.status_code == 422, (path, written, response.text)
            assert "path.evaluation_id: " in response.text, (path, written)
    # The check leaves the document's bounds as they were, under their JSON Schema names.
    document = client.get("/openapi.json").json()["paths"]
    listed = {p["name"]: p["schema"] for p in document["/hypotheses"]["get"]["parameters"]}
    assert (listed["limit"]["minimum"], listed["limit"]["maximum"]) == (1, 500)
    assert (listed["offset"]["minimum"], listed["offset"]["maximum"]) == (0, MAX_INT64)
    one = document["/evaluations/{evaluation_id}"]["get"]["parameters"][0]["schema"]
    assert (one["minimum"], one["maximum"]) == (1, MAX_INT32)


# Each URL that carries a string, the string's place in it ({}) and the parameter's location.
URL_STRINGS = [
    ("/hypotheses/{}", "path.hypothesis_id"),
    ("/hypotheses/{}/history", "path.hypothesis_id"),
    ("/hypotheses/{}/history.csv", "path.hypothesis_id"),
    ("/hypotheses/{}/market", "path.hypothesis_id"),
    ("/hypotheses/{}/spend", "path.hypothesis_id"),
    ("/hypotheses/{}/evaluations", "path.hypothesis_id"),
    ("/badges/hypotheses/{}.svg", "path.hypothesis_id"),
    ("/badges/hypotheses/{}.json", "path.hypothesis_id"),
    ("/badges/hypotheses/{}.html", "path.hypothesis_id"),
    ("/web/hypotheses/{}", "path.hypothesis_id"),
    ("/evaluations?hypothesis_id={}", "query.hypothesis_id"),
    ("/genes/{}", "path.symbol"),
    ("/genes/{}/page", "path.symbol"),
    ("/badges/genes/{}.svg", "path.symbol"),
    ("/badges/genes/{}.json", "path.symbol"),
    ("/badges/genes/{}.html", "path.symbol"),
    ("/web/genes/{}", "path.symbol"),
    ("/hypotheses?gene={}", "query.gene"),
]


def test_a_url_string_is_held_to_the_text_policy(client: TestClient, seeded: Seeded) -> None:
    """A NUL in a URL's id reached the query, which PostgreSQL refuses to run: a 500."""
    stored = {"hypothesis_id": HYPOTHESIS, "symbol": "MTOR", "gene": "MTOR"}
    for template, location in URL_STRINGS:
        value = stored[location.split(".")[1]]
        ok = client.get(template.format(quote(value)))
        assert ok.status_code == 200, (template, ok.text[:200])
        for written, named in (("\x00", "U+0000 (NUL)"), ("\x1b", "U+001B (ESC)")):
            url = template.format(quote(value[:1] + written + value[1:]))
            response = client.get(url)
            assert response.status_code == 422, (url, response.text[:300])
            assert f"{location}: " in response.text, url
            assert f"{named} at character 2 is not allowed" in response.text, url
    response = client.get("/hypotheses", params={"disease": "Alzheimer\x00s"})
    assert response.status_code == 422, response.text
    assert "query.disease: " in response.text and "U+0000 (NUL) at character 10" in response.text


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
