"""The OpenAI Batch API for an ``OpenAIBackend``: a JSONL file of chat requests, uploaded,
run within 24 hours at half price, and read back from its output and error files.

Each line carries the same body a live call would send (``OpenAIBackend.chat_body``), so
prompt-cache keys and JSON mode apply alike; each answer is read as a live reply is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from debates.backends.base import FatalError
from debates.backends.batching import BatchAnswer, BatchItem, BatchState, ItemFailure
from debates.backends.replies import RawReply, excerpt

CHAT_PATH = "/v1/chat/completions"
COMPLETION_WINDOW = "24h"
# A batch in any of these states will not change again.
ENDED = frozenset({"completed", "failed", "expired", "cancelled"})
EXPIRED_CODE = "batch_expired"


def input_file(
    items: Sequence[BatchItem], body_for: Callable[[BatchItem], dict[str, Any]]
) -> bytes:
    lines = [
        json.dumps(
            {
                "custom_id": item.custom_id,
                "method": "POST",
                "url": CHAT_PATH,
                "body": body_for(item),
            },
            separators=(",", ":"),
        )
        for item in items
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def submit(client: Any, data: bytes) -> str:
    uploaded = client.files.create(file=("hyposcore-batch.jsonl", data), purpose="batch")
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint=CHAT_PATH, completion_window=COMPLETION_WINDOW
    )
    return str(batch.id)


def state(client: Any, batch_id: str) -> BatchState:
    batch = client.batches.retrieve(batch_id)
    return BatchState(ended=batch.status in ENDED, status=str(batch.status))


def results(
    client: Any, batch_id: str, *, read: Callable[[Mapping[str, Any]], RawReply]
) -> dict[str, BatchAnswer]:
    """Every answered or failed item of an ended batch, by custom id."""
    batch = client.batches.retrieve(batch_id)
    if batch.status == "failed":
        errors = getattr(getattr(batch, "errors", None), "data", None) or []
        detail = "; ".join(str(getattr(e, "message", e)) for e in errors) or "no reason given"
        raise FatalError(f"OpenAI batch {batch_id} failed: {detail}")
    answers: dict[str, BatchAnswer] = {}
    for file_id in (batch.output_file_id, batch.error_file_id):
        if file_id:
            for line in client.files.content(file_id).text.splitlines():
                if line.strip():
                    custom_id, answer = _answer(json.loads(line), read)
                    answers[custom_id] = answer
    return answers


def _answer(
    line: Mapping[str, Any], read: Callable[[Mapping[str, Any]], RawReply]
) -> tuple[str, BatchAnswer]:
    custom_id = str(line.get("custom_id"))
    error = line.get("error") or {}
    response = line.get("response") or {}
    status = int(response.get("status_code") or 0)
    if error.get("code") == EXPIRED_CODE:
        return custom_id, ItemFailure("expired", str(error.get("message") or EXPIRED_CODE))
    if status == 200 and isinstance(response.get("body"), Mapping):
        return custom_id, read(response["body"])
    body = response.get("body") or {}
    message = (body.get("error") or {}).get("message") if isinstance(body, Mapping) else None
    detail = f"HTTP {status}: {message or excerpt(json.dumps(line), 200)}"
    # As for a live call, a server error or a rate limit may pass on retry; a 4xx will not.
    return custom_id, ItemFailure("errored", detail, retryable=status >= 500 or status == 429)
