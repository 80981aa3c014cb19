"""Queueing evaluations over HTTP (auth, dedup, idempotency, limits) and reading them back."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from common.settings import Settings
from storage.db import Database
from storage.models import Evaluation
from storage.queries.tokens import revoke_token
from tests.api.conftest import auth
from tests.api.seed import HYPOTHESIS, UNSCORED, Seeded
from workers.broker import queue_depths

BODY = {"hypothesis_id": UNSCORED, "backend": "evidence", "panel": ["theorist", "skeptic"]}


def _assert_unauthorized(response_status: int, body: dict[str, object]) -> None:
    assert response_status == 401
    error = body["error"]
    assert isinstance(error, dict) and error["code"] == "unauthorized"


def test_queueing_needs_a_valid_token(
    client: TestClient, db: Database, seeded: Seeded, token: str
) -> None:
    missing = client.post("/evaluations", json=BODY)
    _assert_unauthorized(missing.status_code, missing.json())
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "bearer token" in missing.json()["error"]["message"]

    wrong = client.post("/evaluations", json=BODY, headers=auth("hs_not-a-real-token"))
    _assert_unauthorized(wrong.status_code, wrong.json())
    basic = client.post("/evaluations", json=BODY, headers={"Authorization": "Basic dXNlcjpwdw=="})
    _assert_unauthorized(basic.status_code, basic.json())

    with db.transaction() as session:
        revoke_token(session, name="tests")
    revoked = client.post("/evaluations", json=BODY, headers=auth(token))
    _assert_unauthorized(revoked.status_code, revoked.json())
    assert "revoked" in revoked.json()["error"]["message"]
    with db.sessions() as session:
        assert session.query(Evaluation).filter_by(hypothesis_id=UNSCORED).count() == 0


def test_post_queues_with_202_and_location_then_dedups_with_200(
    client: TestClient, seeded: Seeded, token: str, settings: Settings
) -> None:
    created = client.post("/evaluations", json=BODY, headers=auth(token))
    assert created.status_code == 202
    body = created.json()
    evaluation_id = body["evaluation"]["id"]
    assert created.headers["location"] == f"/evaluations/{evaluation_id}"
    assert body["created"] is True and body["deduplicated"] is False
    assert body["evaluation"]["state"] == "queued"
    assert body["evaluation"]["config"]["panel"] == ["theorist", "skeptic"]
    # The message went to the embedded broker; no worker is needed to queue.
    assert queue_depths(settings.resolved_broker_url) == {"debates": 1}

    followed = client.get(created.headers["location"]).json()
    assert followed["id"] == evaluation_id and followed["state"] == "queued"

    again = client.post("/evaluations", json=BODY, headers=auth(token))
    assert again.status_code == 200
    assert again.json()["deduplicated"] is True
    assert again.json()["evaluation"]["id"] == evaluation_id
    assert "deduplicated" in again.json()["message"]

    forced = client.post("/evaluations", json={**BODY, "force": True}, headers=auth(token))
    assert forced.status_code == 202 and forced.json()["evaluation"]["id"] != evaluation_id


def test_idempotency_key_returns_the_first_evaluation(
    client: TestClient, seeded: Seeded, token: str
) -> None:
    headers = {**auth(token), "Idempotency-Key": "req-42"}
    first = client.post("/evaluations", json={**BODY, "force": True}, headers=headers)
    second = client.post("/evaluations", json={**BODY, "force": True}, headers=headers)
    assert first.status_code == 202 and second.status_code == 200
    assert second.json()["evaluation"]["id"] == first.json()["evaluation"]["id"]


def test_bad_bodies_are_422_in_the_error_format(
    client: TestClient, seeded: Seeded, token: str
) -> None:
    cases = [
        ({**BODY, "backend": "gpt-9"}, "backend"),
        ({**BODY, "max_rounds": 9}, "max_rounds"),
        ({**BODY, "panel": ["Theorist; rm -rf /"]}, "panel"),
        ({**BODY, "surprise": 1}, "surprise"),
        ({"backend": "evidence"}, "hypothesis_id"),
        ({**BODY, "min_rounds": 6, "max_rounds": 3}, "min_rounds"),
    ]
    for body, named in cases:
        response = client.post("/evaluations", json=body, headers=auth(token))
        assert response.status_code == 422, body
        error = response.json()["error"]
        assert error["code"] == "invalid_input"
        assert named in error["message"], (named, error["message"])


def test_malformed_json_is_422_in_the_error_format(
    client: TestClient, seeded: Seeded, token: str
) -> None:
    response = client.post(
        "/evaluations",
        content=b'{"hypothesis_id": "h-1",',
        headers={**auth(token), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
    assert response.json()["error"]["message"] == "the request body is not valid JSON"


def test_unknown_hypothesis_is_404(client: TestClient, seeded: Seeded, token: str) -> None:
    response = client.post(
        "/evaluations", json={**BODY, "hypothesis_id": "h-nope"}, headers=auth(token)
    )
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "not_found",
        "message": "hypothesis 'h-nope' does not exist",
        "details": None,
    }


def test_oversized_bodies_are_413_declared_or_streamed(
    client: TestClient, seeded: Seeded, token: str, settings: Settings
) -> None:
    padding = "x" * (settings.max_request_bytes + 1)
    declared = client.post("/evaluations", json={**BODY, "padding": padding}, headers=auth(token))
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "payload_too_large"
    assert declared.json()["error"]["details"] == {"max_bytes": settings.max_request_bytes}

    def chunks() -> Iterator[bytes]:
        yield b'{"hypothesis_id": "' + UNSCORED.encode() + b'", "padding": "'
        for _ in range(10):
            yield b"y" * 1000
        yield b'"}'

    streamed = client.post(
        "/evaluations",
        content=chunks(),
        headers={**auth(token), "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    assert streamed.json()["error"]["code"] == "payload_too_large"


def test_evaluation_state_progress_and_transcript(client: TestClient, seeded: Seeded) -> None:
    evaluation = client.get(f"/evaluations/{seeded.evaluation_id}").json()
    assert evaluation["state"] == "succeeded"
    assert evaluation["progress"] == {
        "phase": "scoring",
        "round": 2,
        "rounds": 2,
        "turns_done": 4,
    }
    assert evaluation["decisions"][0]["reason"] == "scores converged"

    transcript = client.get(f"/evaluations/{seeded.evaluation_id}/transcript").json()
    assert [t["persona"] for t in transcript["turns"]] == ["theorist", "skeptic"]
    citations = transcript["turns"][0]["claims"][0]["citations"]
    assert citations == [
        {"key": "PMID:29103802", "url": "https://pubmed.ncbi.nlm.nih.gov/29103802/"},
        {"key": "DOI:10.1002/mds.27334", "url": "https://doi.org/10.1002/mds.27334"},
    ]


def test_unknown_or_malformed_evaluation_ids(client: TestClient, seeded: Seeded) -> None:
    assert client.get("/evaluations/999999").json()["error"]["code"] == "not_found"
    assert client.get("/evaluations/999999/transcript").status_code == 404
    bad = client.get("/evaluations/abc")
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["location"] == [
        "path",
        "evaluation_id",
    ]


def test_list_evaluations_filters_by_state_and_hypothesis(
    client: TestClient, seeded: Seeded
) -> None:
    listed = client.get("/evaluations", params={"state": "succeeded"}).json()
    assert [e["id"] for e in listed["items"]] == [seeded.evaluation_id]
    assert client.get("/evaluations", params={"state": "queued"}).json()["total"] == 0
    assert client.get("/evaluations", params={"state": "done"}).status_code == 422
    by_hypothesis = client.get(f"/hypotheses/{HYPOTHESIS}/evaluations").json()
    assert by_hypothesis["total"] == 1


BATCH = {"hypothesis_ids": [UNSCORED, HYPOTHESIS, UNSCORED], "backend": "evidence"}


def test_batch_queueing_needs_a_valid_token(client: TestClient, db: Database) -> None:
    missing = client.post("/evaluations/batch", json=BATCH)
    _assert_unauthorized(missing.status_code, missing.json())
    with db.sessions() as session:
        assert session.query(Evaluation).count() == 0


def test_batch_queues_together_then_dedups(
    client: TestClient, seeded: Seeded, token: str, settings: Settings
) -> None:
    before = set(_live_ids(client))
    created = client.post("/evaluations/batch", json=BATCH, headers=auth(token))
    assert created.status_code == 202, created.json()
    body = created.json()
    items = body["evaluations"]
    assert [i["evaluation"]["hypothesis_id"] for i in items] == BATCH["hypothesis_ids"]
    # Named twice, a hypothesis gets one evaluation; the seeded live one may already cover
    # the other.
    assert items[0]["created"] and items[2]["evaluation"]["id"] == items[0]["evaluation"]["id"]
    assert not items[2]["created"] and items[2]["deduplicated"]
    assert body["created"] == sum(i["created"] for i in items)
    assert body["created"] + body["deduplicated"] == 3
    # Offline evaluations queued together are one message of ids.
    assert queue_depths(settings.resolved_broker_url) == {"debates": 1}
    again = client.post("/evaluations/batch", json=BATCH, headers=auth(token))
    assert again.status_code == 200
    assert again.json()["created"] == 0 and again.json()["deduplicated"] == 3
    assert set(_live_ids(client)) - before == {i["evaluation"]["id"] for i in items if i["created"]}


def _live_ids(client: TestClient) -> list[int]:
    listed = client.get("/evaluations", params={"state": "queued", "limit": 100}).json()
    return [item["id"] for item in listed["items"]]


def test_batch_with_an_unknown_hypothesis_is_404_and_queues_nothing(
    client: TestClient, db: Database, seeded: Seeded, token: str
) -> None:
    with db.sessions() as session:
        before = session.query(Evaluation).count()
    response = client.post(
        "/evaluations/batch",
        json={"hypothesis_ids": [UNSCORED, "h-nope"]},
        headers=auth(token),
    )
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "hypothesis 'h-nope' does not exist"
    with db.sessions() as session:
        assert session.query(Evaluation).count() == before


def test_bad_batch_bodies_are_422_naming_the_field(
    client: TestClient, seeded: Seeded, token: str
) -> None:
    for body, named in (
        ({"hypothesis_ids": []}, "hypothesis_ids"),
        ({"hypothesis_ids": ["<script>"]}, "hypothesis_ids"),
        ({"hypothesis_ids": [UNSCORED], "rounds": 3}, "rounds"),
        ({"hypothesis_ids": [UNSCORED], "min_rounds": 6, "max_rounds": 3}, "min_rounds=6"),
    ):
        response = client.post("/evaluations/batch", json=body, headers=auth(token))
        assert response.status_code == 422, (body, response.json())
        assert named in response.json()["error"]["message"], (named, response.json())


def test_a_reused_idempotency_key_with_another_request_is_refused(
    client: TestClient, db: Database, seeded: Seeded, token: str
) -> None:
    headers = {**auth(token), "Idempotency-Key": "req-43"}
    first = client.post("/evaluations", json=BODY, headers=headers)
    assert first.status_code == 202
    first_id = first.json()["evaluation"]["id"]
    for other in (
        {**BODY, "hypothesis_id": HYPOTHESIS},
        {**BODY, "panel": ["theorist"]},
        {**BODY, "force": True},
    ):
        refused = client.post("/evaluations", json=other, headers=headers)
        assert refused.status_code == 422, other
        error = refused.json()["error"]
        assert error["code"] == "idempotency_key_reused"
        assert "req-43" in error["message"] and "different request" in error["message"]
        assert error["details"] == {"idempotency_key": "req-43", "evaluation_id": first_id}
    # The same request, spelt with the server's defaults written out, is the same request.
    again = client.post("/evaluations", json={**BODY, "force": False}, headers=headers)
    assert again.status_code == 200 and again.json()["evaluation"]["id"] == first_id
    with db.sessions() as session:
        assert session.query(Evaluation).count() == 2  # the seeded one and the first request's


def test_a_key_answered_with_a_live_twin_is_bound_too(
    client: TestClient, seeded: Seeded, token: str
) -> None:
    twin = client.post("/evaluations", json=BODY, headers=auth(token))
    assert twin.status_code == 202
    keyed = {**auth(token), "Idempotency-Key": "req-44"}
    deduplicated = client.post("/evaluations", json=BODY, headers=keyed)
    assert deduplicated.status_code == 200
    assert deduplicated.json()["evaluation"]["id"] == twin.json()["evaluation"]["id"]
    other = client.post("/evaluations", json={**BODY, "hypothesis_id": HYPOTHESIS}, headers=keyed)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
