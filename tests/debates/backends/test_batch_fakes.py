"""The fakes' batch endpoints, driven through the real ``openai`` and ``anthropic`` SDKs.

Batch code is written against the SDKs, so the fakes are only useful if the SDKs accept what
they send back; every test here goes through the SDK's own upload, create, poll and results.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anthropic
import httpx
import openai
import pytest

from tests.fakes.anthropic_server import FakeAnthropicServer
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.replies import VALID_TURN_JSON

# Longer than both providers' 1024-token cache minimum (a token is four characters).
LONG_PREFIX = "The shared case file, word for word. " * 160


def _faults(**by_id: str) -> Callable[[str], str | None]:
    return by_id.get


# -- OpenAI ----------------------------------------------------------------------------------


@contextmanager
def _openai(**options: Any) -> Iterator[tuple[FakeOpenAIServer, openai.OpenAI]]:
    with (
        FakeOpenAIServer(**options) as server,
        openai.OpenAI(api_key="x", base_url=server.base_url, max_retries=0) as client,
    ):
        yield server, client


def _chat_line(custom_id: str, prompt: str, *, system: str = "Judge.") -> dict[str, Any]:
    body = {
        "model": "gpt-fake",
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": prompt}],
    }
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}


def _jsonl(line: dict[str, Any]) -> bytes:
    return json.dumps(line).encode() + b"\n"


def _submit_openai(client: openai.OpenAI, lines: list[dict[str, Any]] | bytes) -> Any:
    payload = lines if isinstance(lines, bytes) else b"".join(_jsonl(x) for x in lines)
    uploaded = client.files.create(file=("batch.jsonl", payload), purpose="batch")
    return client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )


def _poll_openai(client: openai.OpenAI, batch_id: str) -> tuple[list[str], Any]:
    """Every status a retrieve reported, and the last batch, once it has ended."""
    statuses: list[str] = []
    while not statuses or statuses[-1] in ("validating", "in_progress", "finalizing"):
        batch = client.batches.retrieve(batch_id)
        statuses.append(batch.status)
        assert len(statuses) < 10, statuses
    return statuses, batch


def _lines(client: openai.OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    assert file_id is not None
    return [json.loads(line) for line in client.files.content(file_id).text.splitlines()]


def _answer(line: dict[str, Any]) -> str:
    return str(line["response"]["body"]["choices"][0]["message"]["content"])


def test_openai_batch_answers_every_custom_id_in_the_output_file() -> None:
    with _openai() as (server, client):
        created = _submit_openai(client, [_chat_line(cid, f"case {cid}") for cid in "abc"])
        statuses, batch = _poll_openai(client, created.id)
        output = _lines(client, batch.output_file_id)
    assert created.status == "validating"
    assert created.id.startswith("batch_") and created.input_file_id.startswith("file-")
    assert statuses == ["in_progress", "completed"]
    assert batch.request_counts.model_dump() == {"total": 3, "completed": 3, "failed": 0}
    assert batch.error_file_id is None and batch.completed_at is not None
    assert [line["custom_id"] for line in output] == ["a", "b", "c"]
    assert all(line["id"].startswith("batch_req_") and line["error"] is None for line in output)
    assert {line["response"]["status_code"] for line in output} == {200}
    assert {_answer(line) for line in output} == {VALID_TURN_JSON}
    assert [b.custom_ids for b in server.batches] == [["a", "b", "c"]]
    posted = [(r.method, r.path) for r in server.requests if r.method == "POST"]
    assert posted == [("POST", "/v1/files"), ("POST", "/v1/batches")]


@pytest.mark.parametrize(("polls", "expected"), [(0, 1), (2, 3)])
def test_openai_batch_stays_in_progress_for_batch_polls_retrieves(
    polls: int, expected: int
) -> None:
    with _openai(batch_polls=polls) as (server, client):
        statuses, _ = _poll_openai(client, _submit_openai(client, [_chat_line("a", "x")]).id)
    assert statuses == ["in_progress"] * polls + ["completed"]
    assert server.batches[0].retrieves == expected


def test_openai_errored_and_expired_items_go_to_the_error_file() -> None:
    with _openai(batch_faults=_faults(b="error", c="expire")) as (_, client):
        created = _submit_openai(client, [_chat_line(cid, "x") for cid in "abc"])
        statuses, batch = _poll_openai(client, created.id)
        output = _lines(client, batch.output_file_id)
        errors = {line["custom_id"]: line for line in _lines(client, batch.error_file_id)}
    assert statuses == ["in_progress", "expired"]
    assert batch.expired_at is not None and batch.completed_at is None
    assert batch.request_counts.model_dump() == {"total": 3, "completed": 1, "failed": 2}
    assert [line["custom_id"] for line in output] == ["a"]
    assert errors["b"]["response"]["status_code"] == 500
    assert errors["b"]["response"]["body"]["error"]["type"] == "server_error"
    assert errors["b"]["error"] is None
    assert errors["c"]["response"] is None
    assert errors["c"]["error"]["code"] == "batch_expired"


def test_openai_items_after_the_first_read_the_shared_prefix_from_the_cache() -> None:
    lines = [_chat_line(cid, f"question {cid}", system=LONG_PREFIX) for cid in "ab"]
    with _openai(caching=True, batch_polls=0) as (_, client):
        _, batch = _poll_openai(client, _submit_openai(client, lines).id)
        usage = {
            x["custom_id"]: x["response"]["body"]["usage"]
            for x in _lines(client, batch.output_file_id)
        }
    assert usage["a"]["prompt_tokens_details"]["cached_tokens"] == 0
    assert usage["b"]["prompt_tokens_details"]["cached_tokens"] >= 1024


def test_openai_batch_content_chooses_an_items_answer() -> None:
    with _openai(batch_polls=0, batch_content={"b": "chosen"}.get) as (_, client):
        _, batch = _poll_openai(
            client, _submit_openai(client, [_chat_line("a", "x"), _chat_line("b", "y")]).id
        )
        answers = {x["custom_id"]: _answer(x) for x in _lines(client, batch.output_file_id)}
    assert answers == {"a": VALID_TURN_JSON, "b": "chosen"}


def test_openai_batch_of_malformed_lines_fails_validation() -> None:
    good = _jsonl(_chat_line("a", "x"))
    with _openai() as (_, client):
        created = _submit_openai(client, good + b"{not json\n" + good)
        statuses, batch = _poll_openai(client, created.id)
    assert statuses == ["failed"]
    assert batch.failed_at is not None and batch.output_file_id is None
    assert [(e.code, e.line) for e in batch.errors.data] == [
        ("invalid_json_line", 2),
        ("duplicate_custom_id", 3),
    ]


def test_openai_batch_of_an_unknown_file_is_not_found() -> None:
    with _openai() as (_, client), pytest.raises(openai.NotFoundError, match="file-nope"):
        client.batches.create(
            input_file_id="file-nope", endpoint="/v1/chat/completions", completion_window="24h"
        )


def test_openai_batch_calls_leave_the_live_script_alone() -> None:
    with _openai(batch_polls=0) as (server, client):
        server.script(server.success("scripted"))
        _poll_openai(client, _submit_openai(client, [_chat_line("a", "x")]).id)
        live = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}]
        )
    assert live.choices[0].message.content == "scripted"


# -- Anthropic -------------------------------------------------------------------------------


@contextmanager
def _anthropic(**options: Any) -> Iterator[tuple[FakeAnthropicServer, anthropic.Anthropic]]:
    with (
        FakeAnthropicServer(**options) as server,
        anthropic.Anthropic(api_key="x", base_url=server.base_url, max_retries=0) as client,
    ):
        yield server, client


def _params(prompt: str, *, system: Any = "Judge.") -> dict[str, Any]:
    return {
        "model": "claude-fake",
        "max_tokens": 512,
        "system": system,
        "messages": [{"role": "user", "content": prompt}],
    }


def _submit_anthropic(client: anthropic.Anthropic, params: dict[str, dict[str, Any]]) -> Any:
    requests = [{"custom_id": cid, "params": p} for cid, p in params.items()]
    return client.messages.batches.create(requests=requests)  # type: ignore[arg-type]


def _poll_anthropic(client: anthropic.Anthropic, batch_id: str) -> tuple[list[str], Any]:
    statuses: list[str] = []
    while not statuses or statuses[-1] != "ended":
        batch = client.messages.batches.retrieve(batch_id)
        statuses.append(batch.processing_status)
        assert len(statuses) < 10, statuses
    return statuses, batch


def _results(client: anthropic.Anthropic, batch_id: str) -> dict[str, Any]:
    return {entry.custom_id: entry.result for entry in client.messages.batches.results(batch_id)}


def test_anthropic_batch_results_answer_every_custom_id() -> None:
    with _anthropic() as (server, client):
        created = _submit_anthropic(client, {cid: _params(f"case {cid}") for cid in "abc"})
        statuses, batch = _poll_anthropic(client, created.id)
        results = _results(client, created.id)
        results_url = f"{server.url}/v1/messages/batches/{created.id}/results"
    assert created.id.startswith("msgbatch_") and created.processing_status == "in_progress"
    assert created.request_counts.processing == 3 and created.results_url is None
    assert statuses == ["in_progress", "ended"]
    assert batch.request_counts.model_dump() == {
        "processing": 0,
        "succeeded": 3,
        "errored": 0,
        "canceled": 0,
        "expired": 0,
    }
    assert batch.ended_at is not None
    assert batch.results_url == results_url
    assert list(results) == ["a", "b", "c"]
    assert {r.type for r in results.values()} == {"succeeded"}
    assert {r.message.content[0].text for r in results.values()} == {VALID_TURN_JSON}
    assert [b.custom_ids for b in server.batches] == [["a", "b", "c"]]


@pytest.mark.parametrize("polls", [0, 2])
def test_anthropic_batch_stays_in_progress_for_batch_polls_retrieves(polls: int) -> None:
    with _anthropic(batch_polls=polls) as (_, client):
        statuses, _ = _poll_anthropic(client, _submit_anthropic(client, {"a": _params("x")}).id)
    assert statuses == ["in_progress"] * polls + ["ended"]


def test_anthropic_errored_and_expired_items_are_reported_as_such() -> None:
    with _anthropic(batch_faults=_faults(b="error", c="expire")) as (_, client):
        created = _submit_anthropic(client, {cid: _params("x") for cid in "abc"})
        _, batch = _poll_anthropic(client, created.id)
        results = _results(client, created.id)
    counts = batch.request_counts
    assert (counts.succeeded, counts.errored, counts.expired, counts.processing) == (1, 1, 1, 0)
    assert [r.type for r in results.values()] == ["succeeded", "errored", "expired"]
    assert results["b"].error.type == "error"
    assert results["b"].error.error.type == "api_error"


def test_anthropic_items_after_the_first_read_the_cached_prefix() -> None:
    system = [{"type": "text", "text": LONG_PREFIX, "cache_control": {"type": "ephemeral"}}]
    params = {cid: _params(f"question {cid}", system=system) for cid in "ab"}
    with _anthropic(caching=True, batch_polls=0) as (_, client):
        created = _submit_anthropic(client, params)
        _poll_anthropic(client, created.id)
        usage = {cid: r.message.usage for cid, r in _results(client, created.id).items()}
    assert usage["a"].cache_creation_input_tokens >= 1024
    assert usage["a"].cache_read_input_tokens == 0
    assert usage["b"].cache_read_input_tokens == usage["a"].cache_creation_input_tokens
    assert usage["b"].cache_creation_input_tokens == 0


def test_anthropic_batch_content_chooses_an_items_answer() -> None:
    with _anthropic(batch_polls=0, batch_content={"b": "chosen"}.get) as (_, client):
        created = _submit_anthropic(client, {"a": _params("x"), "b": _params("y")})
        _poll_anthropic(client, created.id)
        texts = {cid: r.message.content[0].text for cid, r in _results(client, created.id).items()}
    assert texts == {"a": VALID_TURN_JSON, "b": "chosen"}


def test_anthropic_results_before_the_batch_ends_are_refused() -> None:
    with _anthropic(batch_polls=3) as (server, client):
        created = _submit_anthropic(client, {"a": _params("x")})
        url = f"{server.url}/v1/messages/batches/{created.id}/results"
        response = httpx.get(url, headers=client.default_headers, timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_anthropic_rejects_custom_ids_the_real_api_would() -> None:
    with _anthropic() as (_, client):
        with pytest.raises(anthropic.BadRequestError, match="custom_id"):
            _submit_anthropic(client, {"eval:1": _params("x")})
        with pytest.raises(anthropic.NotFoundError):
            client.messages.batches.retrieve("msgbatch_nope")
