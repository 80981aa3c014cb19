"""The provider-batch seam: work that can wait goes through a provider's batch API at half price.

A debate's turns are sequential, so a batch holds the next turn of many waiting debates. A
backend that can batch (``Capabilities.provider_batches``) submits those requests under ids of
the caller's choosing, says whether the batch has ended, and hands back each item's raw reply or
what became of it. Replies are validated exactly as a live call's are (``complete_from``), and
an invalid one is repaired by one live call, as a live turn's would be. The workers keep the
batch and its items in the ledger (``workers.provider_batches``); this seam does no I/O of its
own beyond the provider's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from debates.backends.base import AgentBackend, BackendRequest, BackendResult, OutputT
from debates.backends.replies import RawReply


@dataclass(frozen=True)
class BatchItem:
    custom_id: str
    request: BackendRequest[Any]


@dataclass(frozen=True)
class BatchState:
    """Whether the provider has finished with the batch, in its own words (``status``)."""

    ended: bool
    status: str


@dataclass(frozen=True)
class ItemFailure:
    """An item the batch did not answer: it ``errored`` (``retryable`` when the provider's
    error is one a live retry may get past), ``expired`` before its window closed, or was
    ``canceled``."""

    kind: Literal["errored", "expired", "canceled"]
    detail: str
    retryable: bool = True


BatchAnswer = RawReply | ItemFailure


@runtime_checkable
class BatchingBackend(Protocol):
    name: str
    model: str

    def submit_batch(self, items: Sequence[BatchItem]) -> str:
        """Send the requests as one provider batch; returns the provider's batch id."""
        ...

    def batch_state(self, batch_id: str) -> BatchState: ...

    def batch_results(self, batch_id: str) -> Mapping[str, BatchAnswer]:
        """Every item's answer by custom id; items missing from the provider's results are
        absent (the caller treats them as expired)."""
        ...

    def complete_from(
        self, request: BackendRequest[OutputT], reply: RawReply
    ) -> BackendResult[OutputT]:
        """``reply`` (a batch answer to ``request``) validated and priced at batch rates,
        repaired by one live call when it does not validate."""
        ...


def batching(backend: AgentBackend) -> BatchingBackend | None:
    """The batching backend behind ``backend`` (a rate-limited wrapper is looked through)."""
    inner = getattr(backend, "inner", backend)
    return inner if isinstance(inner, BatchingBackend) else None
