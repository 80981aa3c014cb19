"""What the provider fakes' batch APIs share: the batch record, when it ends, how its items run.

Both providers accept a batch, report it in progress for a while, then end it with one result per
request. The fakes measure "a while" in retrieves (``batch_polls``), not seconds, so a test
decides exactly which poll sees the batch end and never sleeps. Items run when the batch ends,
one after another in input order, through the same reply logic as a live call, so a prompt cache
sees them the way it would see the same calls made live in that order.

A test steers single items by custom id: ``batch_faults`` says which ones error or expire, and
``batch_content`` which ones answer with text of the test's choosing.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar, cast, get_args

from tests.fakes.scripted_server import RecordedRequest, ScriptedReply

BatchFault = Literal["error", "expire"]
Outcome = Literal["succeeded", "errored", "expired"]
# custom_id -> "error", "expire" or None (the item runs normally).
FaultPicker = Callable[[str], str | None]
# custom_id -> the model text the item answers with, or None for the server's default reply.
ContentPicker = Callable[[str], str | None]

# Both providers give a batch 24 hours before it expires.
WINDOW_SECONDS = 24 * 60 * 60


def no_faults(custom_id: str) -> str | None:
    return None


def default_content(custom_id: str) -> str | None:
    return None


def new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24]}"


def rfc3339(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def to_jsonl(rows: Iterable[Mapping[str, Any]]) -> bytes:
    return b"".join(json.dumps(row).encode("utf-8") + b"\n" for row in rows)


def json_body(reply: ScriptedReply) -> Any:
    """A reply's body as it would sit inside a JSON result line."""
    if isinstance(reply.body, Mapping):
        return dict(reply.body)
    return reply.encoded()[0].decode("utf-8", errors="replace")


@dataclass(frozen=True)
class BatchItem:
    custom_id: str
    body: dict[str, Any]


@dataclass(frozen=True)
class ItemResult:
    custom_id: str
    outcome: Outcome
    reply: ScriptedReply | None  # None for an item that expired without running


@dataclass
class FakeBatch:
    """One batch as the server holds it; ``results`` fill in, in input order, when it ends."""

    id: str
    items: list[BatchItem]
    polls_left: int
    created_at: float = field(default_factory=time.time)
    ended_at: float | None = None
    retrieves: int = 0
    results: list[ItemResult] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    @property
    def custom_ids(self) -> list[str]:
        return [item.custom_id for item in self.items]

    def count(self, outcome: Outcome) -> int:
        return sum(result.outcome == outcome for result in self.results)


B = TypeVar("B", bound=FakeBatch)
T = TypeVar("T")


class BatchBook(Generic[B]):
    """The batches one server was given, in creation order."""

    def __init__(self) -> None:
        self._batches: dict[str, B] = {}
        self._lock = threading.Lock()

    def add(self, batch: B) -> B:
        with self._lock:
            self._batches[batch.id] = batch
        return batch

    def get(self, batch_id: str) -> B | None:
        with self._lock:
            return self._batches.get(batch_id)

    def all(self) -> list[B]:
        with self._lock:
            return list(self._batches.values())

    def retrieve(
        self, batch_id: str, finish: Callable[[B], None], describe: Callable[[B], T]
    ) -> T | None:
        """Count one retrieve of a batch, ending it once its in-progress polls are used up.

        Ending and describing happen under one lock, so concurrent polls neither run a batch
        twice nor describe one half-finished, and batches run one at a time, as they end.
        """
        with self._lock:
            batch = self._batches.get(batch_id)
            if batch is None:
                return None
            batch.retrieves += 1
            if not batch.ended:
                if batch.polls_left > 0:
                    batch.polls_left -= 1
                else:
                    finish(batch)
                    batch.ended_at = time.time()
            return describe(batch)


def fault_of(faults: FaultPicker, custom_id: str) -> BatchFault | None:
    fault = faults(custom_id)
    if fault is None:
        return None
    if fault in get_args(BatchFault):
        return cast(BatchFault, fault)
    raise ValueError(f"batch_faults gave {fault!r} for {custom_id!r}; expected 'error' or 'expire'")


def run_items(
    items: Iterable[BatchItem],
    *,
    faults: FaultPicker,
    answer: Callable[[BatchItem], ScriptedReply],
    fail: Callable[[BatchItem], ScriptedReply],
) -> list[ItemResult]:
    """Each item's result, in input order: ``fail`` for injected errors, else ``answer``.

    An answer with a status other than 200 (a test's own ``default_reply`` can give one) makes
    the item errored too, the way the provider records a request that failed inside a batch.
    """
    results = []
    for item in items:
        fault = fault_of(faults, item.custom_id)
        if fault == "expire":
            results.append(ItemResult(item.custom_id, "expired", None))
            continue
        reply = fail(item) if fault == "error" else answer(item)
        outcome: Outcome = "succeeded" if reply.status == 200 else "errored"
        results.append(ItemResult(item.custom_id, outcome, reply))
    return results


def as_live_request(path: str, body: Mapping[str, Any]) -> RecordedRequest:
    """A batch item dressed as the live request it stands for, for the default reply logic."""
    return RecordedRequest(
        method="POST",
        path=path,
        headers={"content-type": "application/json"},
        body=json.dumps(body).encode("utf-8"),
    )


@dataclass(frozen=True)
class FormField:
    value: bytes
    filename: str | None


def form_fields(request: RecordedRequest) -> dict[str, FormField]:
    """The fields of a ``multipart/form-data`` body (a file upload), by name."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ValueError(f"expected multipart/form-data, got {content_type or 'no content type'}")
    # The email parser reads MIME multipart; it only needs the part boundary from a header.
    head = f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.body)
    if not message.is_multipart():
        raise ValueError("the multipart body has no parts")
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            value = payload if isinstance(payload, bytes) else b""
            fields[name] = FormField(value, part.get_filename())
    return fields
