"""What a provider's batch result line means: a reply, or a failure a live retry may or may not
get past. Read from the result shapes both providers document."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import pytest

from debates.backends import anthropic_batches, openai_batches
from debates.backends.batching import ItemFailure
from debates.backends.replies import RawReply


def read_openai(body: Mapping[str, Any]) -> RawReply:
    return RawReply(text=body["choices"][0]["message"]["content"], prompt_tokens=7)


def test_an_openai_line_with_status_200_is_the_reply() -> None:
    line = {
        "custom_id": "e1-r1-theorist",
        "response": {
            "status_code": 200,
            "body": {"choices": [{"message": {"content": "{}"}}]},
        },
        "error": None,
    }
    assert openai_batches._answer(line, read_openai) == (
        "e1-r1-theorist",
        RawReply(text="{}", prompt_tokens=7),
    )


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, True), (503, True), (429, True), (400, False), (404, False)]
)
def test_an_openai_error_line_says_whether_a_live_retry_may_pass(
    status: int, retryable: bool
) -> None:
    line = {
        "custom_id": "e2-r1-skeptic",
        "response": {"status_code": status, "body": {"error": {"message": "went wrong"}}},
        "error": None,
    }
    custom_id, answer = openai_batches._answer(line, read_openai)
    assert custom_id == "e2-r1-skeptic"
    assert answer == ItemFailure("errored", f"HTTP {status}: went wrong", retryable=retryable)


def test_an_openai_expired_line_is_expired() -> None:
    line = {
        "custom_id": "e3-r2-skeptic",
        "response": None,
        "error": {"code": "batch_expired", "message": "not run in time"},
    }
    assert openai_batches._answer(line, read_openai) == (
        "e3-r2-skeptic",
        ItemFailure("expired", "not run in time"),
    )


def test_anthropic_results_map_to_replies_and_failures() -> None:
    anthropic = pytest.importorskip("anthropic")
    message = anthropic.types.Message.model_validate(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude",
            "content": [{"type": "text", "text": "{}"}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 3, "output_tokens": 1},
        }
    )

    def read(found: Any) -> RawReply:
        # The backend's reader reads JSON: the parsed message arrives as plain data.
        [block] = found["content"]
        return RawReply(text=block["text"])

    def errored(kind: str) -> Any:
        return SimpleNamespace(
            type="errored",
            error=SimpleNamespace(error=SimpleNamespace(type=kind, message="no")),
        )

    assert anthropic_batches._answer(
        SimpleNamespace(type="succeeded", message=message), read
    ) == RawReply(text="{}")
    assert anthropic_batches._answer(errored("overloaded_error"), read) == ItemFailure(
        "errored", "overloaded_error: no", retryable=True
    )
    assert anthropic_batches._answer(errored("invalid_request_error"), read) == ItemFailure(
        "errored", "invalid_request_error: no", retryable=False
    )
    expired = anthropic_batches._answer(SimpleNamespace(type="expired"), read)
    canceled = anthropic_batches._answer(SimpleNamespace(type="canceled"), read)
    assert isinstance(expired, ItemFailure) and expired.kind == "expired"
    assert isinstance(canceled, ItemFailure) and canceled.kind == "canceled"
