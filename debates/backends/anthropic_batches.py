"""Anthropic Message Batches for an ``AnthropicBackend``: up to 100,000 Messages requests run
within 24 hours at half price, their results read back by custom id.

Each request carries the same parameters a live call would send
(``AnthropicBackend.message_params``), cache breakpoints included; each answer is read as a
live reply is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from debates.backends.batching import BatchAnswer, BatchItem, BatchState, ItemFailure
from debates.backends.replies import RawReply

ENDED = "ended"
# Anthropic's error types a live retry may get past; any other (invalid_request_error, ...)
# would fail again the same way.
RETRYABLE_ERRORS = frozenset({"api_error", "overloaded_error", "rate_limit_error", "timeout_error"})


def submit(
    client: Any, items: Sequence[BatchItem], params_for: Callable[[BatchItem], dict[str, Any]]
) -> str:
    requests = [{"custom_id": item.custom_id, "params": params_for(item)} for item in items]
    return str(client.messages.batches.create(requests=requests).id)


def state(client: Any, batch_id: str) -> BatchState:
    batch = client.messages.batches.retrieve(batch_id)
    status = str(batch.processing_status)
    return BatchState(ended=status == ENDED, status=status)


def results(
    client: Any, batch_id: str, *, read: Callable[[Any], RawReply]
) -> dict[str, BatchAnswer]:
    """Every item of an ended batch, by custom id."""
    return {
        str(entry.custom_id): _answer(entry.result, read)
        for entry in client.messages.batches.results(batch_id)
    }


def _answer(result: Any, read: Callable[[Any], RawReply]) -> BatchAnswer:
    kind = getattr(result, "type", None)
    if kind == "succeeded":
        # The live reader reads JSON; the SDK has already parsed this line into models.
        return read(result.message.model_dump(mode="json"))
    if kind == "errored":
        error = getattr(getattr(result, "error", None), "error", None)
        error_type = str(getattr(error, "type", "error"))
        message = str(getattr(error, "message", "no message"))
        return ItemFailure(
            "errored", f"{error_type}: {message}", retryable=error_type in RETRYABLE_ERRORS
        )
    if kind == "canceled":
        return ItemFailure("canceled", "the batch was canceled before this request ran")
    return ItemFailure("expired", "the batch's 24-hour window ended before this request ran")
