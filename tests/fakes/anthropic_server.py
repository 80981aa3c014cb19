"""A loopback server that speaks the Anthropic Messages wire format.

Point the ``anthropic`` SDK at ``server.url`` (the SDK adds ``/v1/messages`` itself)::

    with FakeAnthropicServer() as server:
        server.script(server.success('{"winner": "second", ...}'))
        ...
        text_of(server.requests[0].json()["system"])

Without a script it answers every request with ``default_content`` (a valid debate turn).

It also serves Message Batches (``messages.batches.create``/``retrieve``/``results``); see
``tests.fakes.batches`` for how batches end and how a test steers items, and
``server.batches`` for the batches created.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from tests.fakes.batches import (
    WINDOW_SECONDS,
    BatchBook,
    BatchItem,
    ContentPicker,
    FakeBatch,
    FaultPicker,
    ItemResult,
    as_live_request,
    default_content,
    json_body,
    new_id,
    no_faults,
    rfc3339,
    run_items,
    to_jsonl,
)
from tests.fakes.prompt_cache import AnthropicCache
from tests.fakes.replies import VALID_TURN_JSON
from tests.fakes.scripted_server import RecordedRequest, Responder, ScriptedReply, ScriptedServer

_ids = itertools.count(1)

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def message_body(
    text: str,
    *,
    model: str = "fake-claude",
    input_tokens: int = 120,
    output_tokens: int = 60,
    stop_reason: str = "end_turn",
    cache_read_input_tokens: int = 0,
    cache_creation_input_tokens: int = 0,
) -> dict[str, Any]:
    """A Messages API ``message`` whose first (only) content block is ``text``."""
    return {
        "id": f"msg_fake{next(_ids)}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_read_input_tokens": cache_read_input_tokens,
            "cache_creation_input_tokens": cache_creation_input_tokens,
        },
    }


def text_of(content: Any) -> str:
    """The text of a ``system`` or message ``content``: a string, or text blocks joined."""
    if isinstance(content, str):
        return content
    return "".join(block.get("text", "") for block in content or [])


def anthropic_error_body(status: int, message: str) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return {"type": "error", "error": {"type": kind, "message": message}}


MESSAGES_ENDPOINT = "/v1/messages"
# Anthropic rejects a batch whose custom ids do not fit this; the fake does too, so code that
# builds ids the real API would refuse fails in tests first.
CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def _result_line(result: ItemResult) -> dict[str, Any]:
    if result.reply is None:
        outcome: dict[str, Any] = {"type": "expired"}
    elif result.outcome == "succeeded":
        outcome = {"type": "succeeded", "message": json_body(result.reply)}
    else:
        outcome = {"type": "errored", "error": json_body(result.reply)}
    return {"custom_id": result.custom_id, "result": outcome}


class FakeAnthropicServer(ScriptedServer):
    """Serves ``POST /v1/messages``; anything else is a 404 in Anthropic's error shape."""

    paths = ("/v1/messages",)

    def __init__(
        self,
        *,
        delay: float = 0.0,
        default_content: str = VALID_TURN_JSON,
        model: str = "fake-claude",
        default_reply: ScriptedReply | Responder | None = None,
        caching: bool = False,
        batch_polls: int = 1,
        batch_faults: FaultPicker = no_faults,
        batch_content: ContentPicker = default_content,
    ) -> None:
        self.model = model
        self.default_content = default_content
        # With caching, default replies count their input against Anthropic's prompt cache.
        self.cache = AnthropicCache() if caching else None
        self.batch_polls = batch_polls
        self.batch_faults = batch_faults
        self.batch_content = batch_content
        self._batch_book: BatchBook[FakeBatch] = BatchBook()
        super().__init__(delay=delay, default_reply=default_reply or self._default)
        batch = r"/v1/messages/batches/(?P<batch_id>[^/]+)"
        self.route("POST", r"/v1/messages/batches", self._create_batch)
        self.route("GET", batch, self._retrieve_batch)
        self.route("GET", batch + "/results", self._batch_results)

    @property
    def batches(self) -> list[FakeBatch]:
        """The batches created so far, oldest first."""
        return self._batch_book.all()

    @property
    def base_url(self) -> str:
        return self.url

    def refusal(self, request: RecordedRequest) -> ScriptedReply | None:
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not (request.headers.get("x-api-key") or bearer):
            return self.error(401, "x-api-key header is required")
        if not request.headers.get("anthropic-version"):
            return self.error(400, "anthropic-version: header is required")
        return None

    def success(
        self,
        content: str,
        *,
        input_tokens: int = 120,
        output_tokens: int = 60,
        stop_reason: str = "end_turn",
    ) -> ScriptedReply:
        body = message_body(
            content,
            model=self.model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            stop_reason=stop_reason,
        )
        return ScriptedReply(body=body)

    def error(
        self, status: int, message: str = "scripted error", *, headers: dict[str, str] | None = None
    ) -> ScriptedReply:
        return ScriptedReply(
            status=status, body=anthropic_error_body(status, message), headers=headers or {}
        )

    def not_found(self, path: str) -> ScriptedReply:
        return self.error(404, f"Not found: {path}")

    def _default(self, request: RecordedRequest) -> ScriptedReply:
        return self._reply_with(request.json(), self.default_content)

    def _reply_with(self, params: dict[str, Any], content: str) -> ScriptedReply:
        if self.cache is None:
            return self.success(content)
        usage = self.cache.usage(params)
        body = message_body(
            content,
            model=self.model,
            input_tokens=usage.input_tokens,
            cache_read_input_tokens=usage.cache_read_input_tokens,
            cache_creation_input_tokens=usage.cache_creation_input_tokens,
        )
        return ScriptedReply(body=body)

    # -- batches ---------------------------------------------------------------------------

    def _create_batch(self, request: RecordedRequest, match: re.Match[str]) -> ScriptedReply:
        try:
            requests = request.json().get("requests")
        except (ValueError, AttributeError):
            return self.error(400, "The request body is not a JSON object.")
        if not isinstance(requests, list) or not requests:
            return self.error(400, "requests: the batch needs at least one request")
        items: list[BatchItem] = []
        for index, entry in enumerate(requests):
            custom_id = entry.get("custom_id") if isinstance(entry, dict) else None
            params = entry.get("params") if isinstance(entry, dict) else None
            if not isinstance(custom_id, str) or not CUSTOM_ID.fullmatch(custom_id):
                message = f"requests.{index}.custom_id: must match ^[a-zA-Z0-9_-]{{1,64}}$"
                return self.error(400, message)
            if not isinstance(params, dict):
                return self.error(400, f"requests.{index}.params: Field required")
            if any(item.custom_id == custom_id for item in items):
                return self.error(400, f"requests.{index}.custom_id: duplicate {custom_id!r}")
            items.append(BatchItem(custom_id, params))
        batch = FakeBatch(id=new_id("msgbatch_"), items=items, polls_left=self.batch_polls)
        return ScriptedReply(body=self._batch_object(self._batch_book.add(batch)))

    def _retrieve_batch(self, request: RecordedRequest, match: re.Match[str]) -> ScriptedReply:
        described = self._batch_book.retrieve(match["batch_id"], self._finish, self._batch_object)
        if described is None:
            return self.error(404, f"Message Batch {match['batch_id']} not found")
        return ScriptedReply(body=described)

    def _batch_results(self, request: RecordedRequest, match: re.Match[str]) -> ScriptedReply:
        batch = self._batch_book.get(match["batch_id"])
        if batch is None:
            return self.error(404, f"Message Batch {match['batch_id']} not found")
        if not batch.ended:
            return self.error(400, f"Message Batch {batch.id} has not ended; no results yet")
        return ScriptedReply(body=to_jsonl(_result_line(result) for result in batch.results))

    def _finish(self, batch: FakeBatch) -> None:
        batch.results = run_items(
            batch.items, faults=self.batch_faults, answer=self._answer_item, fail=self._fail_item
        )

    def _answer_item(self, item: BatchItem) -> ScriptedReply:
        content = self.batch_content(item.custom_id)
        if content is not None:
            return self._reply_with(item.body, content)
        return self.default_answer(as_live_request(MESSAGES_ENDPOINT, item.body))

    def _fail_item(self, item: BatchItem) -> ScriptedReply:
        return self.error(500, "Internal server error while processing this request.")

    def _batch_object(self, batch: FakeBatch) -> dict[str, Any]:
        ended = batch.ended_at
        counts = {
            # Anthropic tallies outcomes only once the whole batch has ended.
            "processing": 0 if ended is not None else len(batch.items),
            "succeeded": batch.count("succeeded"),
            "errored": batch.count("errored"),
            "canceled": 0,
            "expired": batch.count("expired"),
        }
        results_url = f"{self.url}/v1/messages/batches/{batch.id}/results"
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": "ended" if ended is not None else "in_progress",
            "request_counts": counts,
            "created_at": rfc3339(batch.created_at),
            "expires_at": rfc3339(batch.created_at + WINDOW_SECONDS),
            "ended_at": rfc3339(ended) if ended is not None else None,
            "cancel_initiated_at": None,
            "archived_at": None,
            "results_url": results_url if ended is not None else None,
        }
