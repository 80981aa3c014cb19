"""A loopback server that speaks the OpenAI chat-completions wire format.

Point the ``openai`` SDK (or any OpenAI-compatible client) at ``server.base_url``::

    with FakeOpenAIServer(delay=0.2) as server:       # every reply 200 ms late
        server.script(server.success('{"winner": "first", ...}'), server.error(429, ...))
        ...
        server.requests[0].json()["messages"]         # what the client sent

Without a script it answers every request with ``default_content`` (a valid debate turn).

It also serves the Batch API (files upload and content, batch create and retrieve); see
``tests.fakes.batches`` for how batches end and how a test steers items, and ``server.batches``
for the batches created.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
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
    form_fields,
    json_body,
    new_id,
    no_faults,
    run_items,
    to_jsonl,
)
from tests.fakes.prompt_cache import OpenAICache
from tests.fakes.replies import VALID_TURN_JSON
from tests.fakes.scripted_server import RecordedRequest, Responder, ScriptedReply, ScriptedServer

_ids = itertools.count(1)

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "not_found_error",
    422: "invalid_request_error",
    429: "rate_limit_exceeded",
}


def chat_completion_body(
    content: str | None,
    *,
    model: str = "fake-model",
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    finish_reason: str = "stop",
    cached_tokens: int = 0,
) -> dict[str, Any]:
    """A ``chat.completion`` object with one choice whose message text is ``content``."""
    return {
        "id": f"chatcmpl-fake{next(_ids)}",
        "object": "chat.completion",
        "created": 1_767_225_600,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached_tokens},
        },
    }


def openai_error_body(status: int, message: str) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


CHAT_ENDPOINT = "/v1/chat/completions"
EXPIRED_ERROR = {
    "code": "batch_expired",
    "message": "This request could not be executed before the completion window expired.",
}


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int = field(default_factory=lambda: int(time.time()))

    def as_object(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "expires_at": None,
            "status_details": None,
        }


@dataclass
class OpenAIBatch(FakeBatch):
    input_file_id: str = ""
    endpoint: str = CHAT_ENDPOINT
    completion_window: str = "24h"
    metadata: dict[str, str] | None = None
    # Validation errors of the input file; a batch with any never runs and reports ``failed``.
    errors: list[dict[str, Any]] = field(default_factory=list)
    output_file_id: str | None = None
    error_file_id: str | None = None

    @property
    def status(self) -> str:
        if self.errors:
            return "failed"
        if not self.ended:
            return "in_progress"
        # OpenAI reports a batch whose window ran out as expired, whatever did finish.
        return "expired" if self.count("expired") else "completed"


def _line_problem(line: Any, endpoint: str, items: list[BatchItem]) -> tuple[str, str, str] | None:
    """(code, message, param) of what makes an input line invalid, or None for a good line."""
    if not isinstance(line, dict):
        return "invalid_request", "A line must be a JSON object.", ""
    custom_id, body = line.get("custom_id"), line.get("body")
    if not isinstance(custom_id, str) or not isinstance(body, dict):
        return "missing_required_parameter", "A line needs a custom_id and a body.", ""
    if any(item.custom_id == custom_id for item in items):
        return "duplicate_custom_id", f"custom_id {custom_id!r} is used twice.", "custom_id"
    if line.get("method") != "POST":
        return "invalid_method", "Only the POST method is supported.", "method"
    if line.get("url") != endpoint:
        return "invalid_url", f"The url must be the batch's endpoint, {endpoint}.", "url"
    if items and body.get("model") != items[0].body.get("model"):
        return "mismatched_model", "All requests in a batch must use one model.", "body.model"
    return None


def parse_batch_input(data: bytes, endpoint: str) -> tuple[list[BatchItem], list[dict[str, Any]]]:
    """The items of a batch input file, and the validation errors that would fail the batch."""
    items: list[BatchItem] = []
    errors: list[dict[str, Any]] = []
    for number, text in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        try:
            line = json.loads(text)
        except ValueError:
            line = None
            problem: tuple[str, str, str] | None = ("invalid_json_line", "Not valid JSON.", "")
        else:
            problem = _line_problem(line, endpoint, items)
        if problem is None:
            items.append(BatchItem(line["custom_id"], line["body"]))
            continue
        code, message, param = problem
        errors.append({"code": code, "message": message, "param": param or None, "line": number})
    if not items and not errors:
        errors.append(
            {"code": "empty_file", "message": "The file is empty.", "param": None, "line": None}
        )
    return items, errors


class FakeOpenAIServer(ScriptedServer):
    """Serves ``POST /v1/chat/completions``; anything else is a 404 in OpenAI's error shape."""

    paths = ("/chat/completions",)

    def __init__(
        self,
        *,
        delay: float = 0.0,
        default_content: str = VALID_TURN_JSON,
        model: str = "fake-model",
        default_reply: ScriptedReply | Responder | None = None,
        caching: bool = False,
        batch_polls: int = 1,
        batch_faults: FaultPicker = no_faults,
        batch_content: ContentPicker = default_content,
    ) -> None:
        self.model = model
        self.default_content = default_content
        # With caching, default replies report the prefix OpenAI's cache would have served.
        self.cache = OpenAICache() if caching else None
        self.batch_polls = batch_polls
        self.batch_faults = batch_faults
        self.batch_content = batch_content
        self.files: dict[str, StoredFile] = {}
        self._files_lock = threading.Lock()
        self._batch_book: BatchBook[OpenAIBatch] = BatchBook()
        super().__init__(delay=delay, default_reply=default_reply or self._default)
        self.route("POST", r"/v1/files", self._upload)
        self.route("GET", r"/v1/files/(?P<file_id>[^/]+)(?P<content>/content)?", self._file)
        self.route("POST", r"/v1/batches", self._create_batch)
        self.route("GET", r"/v1/batches/(?P<batch_id>[^/]+)", self._retrieve_batch)

    @property
    def batches(self) -> list[OpenAIBatch]:
        """The batches created so far, oldest first."""
        return self._batch_book.all()

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def refusal(self, request: RecordedRequest) -> ScriptedReply | None:
        key = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not key:
            return self.error(401, "You didn't provide an API key.")
        return None

    def success(
        self,
        content: str | None,
        *,
        prompt_tokens: int = 100,
        completion_tokens: int = 50,
        finish_reason: str = "stop",
    ) -> ScriptedReply:
        body = chat_completion_body(
            content,
            model=self.model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            finish_reason=finish_reason,
        )
        return ScriptedReply(body=body)

    def error(
        self, status: int, message: str = "scripted error", *, headers: dict[str, str] | None = None
    ) -> ScriptedReply:
        return ScriptedReply(
            status=status, body=openai_error_body(status, message), headers=headers or {}
        )

    def not_found(self, path: str) -> ScriptedReply:
        return self.error(404, f"Unknown request URL: POST {path}")

    def _default(self, request: RecordedRequest) -> ScriptedReply:
        return self._reply_with(request.json(), self.default_content)

    def _reply_with(self, chat_request: dict[str, Any], content: str) -> ScriptedReply:
        if self.cache is None:
            return self.success(content)
        prompt_tokens, cached = self.cache.cached_tokens(chat_request)
        body = chat_completion_body(
            content, model=self.model, prompt_tokens=prompt_tokens, cached_tokens=cached
        )
        return ScriptedReply(body=body)

    # -- files -----------------------------------------------------------------------------

    def _store(self, filename: str, purpose: str, data: bytes) -> StoredFile:
        stored = StoredFile(new_id("file-"), filename, purpose, data)
        with self._files_lock:
            self.files[stored.id] = stored
        return stored

    def _stored(self, file_id: str) -> StoredFile | None:
        with self._files_lock:
            return self.files.get(file_id)

    def _upload(self, request: RecordedRequest, match: re.Match[str]) -> ScriptedReply:
        try:
            fields = form_fields(request)
        except ValueError as exc:
            return self.error(400, str(exc))
        if "purpose" not in fields or "file" not in fields:
            return self.error(400, "Missing required parameter: 'purpose' and 'file' are needed.")
        upload, purpose = fields["file"], fields["purpose"].value.decode("utf-8")
        stored = self._store(upload.filename or "upload", purpose, upload.value)
        return ScriptedReply(body=stored.as_object())

    def _file(self, request: RecordedRequest, match: re.Match[str]) -> ScriptedReply:
        stored = self._stored(match["file_id"])
        if stored is None:
            return self.error(404, f"No such File object: {match['file_id']}")
        return ScriptedReply(body=stored.data if match["content"] else stored.as_object())

    # -- batches ---------------------------------------------------------------------------

    def _create_batch(self, request: RecordedRequest, match: re.Match[str]) -> ScriptedReply:
        try:
            params = request.json()
        except ValueError:
            return self.error(400, "The request body is not valid JSON.")
        endpoint = params.get("endpoint")
        if endpoint != CHAT_ENDPOINT:
            return self.error(400, f"Unsupported endpoint {endpoint!r}; the fake serves chat.")
        if params.get("completion_window") != "24h":
            return self.error(400, "completion_window must be '24h'.")
        input_file_id = str(params.get("input_file_id"))
        stored = self._stored(input_file_id)
        if stored is None:
            return self.error(404, f"No such File object: {input_file_id}")
        if stored.purpose != "batch":
            return self.error(400, f"File {input_file_id} was not uploaded with purpose 'batch'.")
        items, errors = parse_batch_input(stored.data, endpoint)
        batch = OpenAIBatch(
            id=new_id("batch_"),
            items=items,
            polls_left=self.batch_polls,
            input_file_id=input_file_id,
            metadata=params.get("metadata"),
            errors=errors,
        )
        if errors:
            batch.ended_at = batch.created_at
        self._batch_book.add(batch)
        # OpenAI answers a create before it has looked at the file.
        return ScriptedReply(body=self._batch_object(batch, status="validating"))

    def _retrieve_batch(self, request: RecordedRequest, match: re.Match[str]) -> ScriptedReply:
        described = self._batch_book.retrieve(match["batch_id"], self._finish, self._batch_object)
        if described is None:
            return self.error(404, f"No batch found with id '{match['batch_id']}'.")
        return ScriptedReply(body=described)

    def _finish(self, batch: OpenAIBatch) -> None:
        batch.results = run_items(
            batch.items, faults=self.batch_faults, answer=self._answer_item, fail=self._fail_item
        )
        done = [_result_line(r) for r in batch.results if r.outcome == "succeeded"]
        failed = [_result_line(r) for r in batch.results if r.outcome != "succeeded"]
        output = self._store(f"batch_{batch.id}_output.jsonl", "batch_output", to_jsonl(done))
        batch.output_file_id = output.id
        if failed:
            errors = self._store(f"batch_{batch.id}_error.jsonl", "batch_output", to_jsonl(failed))
            batch.error_file_id = errors.id

    def _answer_item(self, item: BatchItem) -> ScriptedReply:
        content = self.batch_content(item.custom_id)
        if content is not None:
            return self._reply_with(item.body, content)
        return self.default_answer(as_live_request(CHAT_ENDPOINT, item.body))

    def _fail_item(self, item: BatchItem) -> ScriptedReply:
        return self.error(500, "The server had an error while processing your request.")

    def _batch_object(self, batch: OpenAIBatch, status: str | None = None) -> dict[str, Any]:
        status = status or batch.status
        created = int(batch.created_at)
        ended = int(batch.ended_at) if batch.ended_at is not None else None
        finished = status in ("completed", "expired")
        if batch.errors:
            counts = {"total": 0, "completed": 0, "failed": 0}
        else:
            # Expired items count as failed: each has a line in the error file, as failures do.
            succeeded = batch.count("succeeded")
            failed = len(batch.results) - succeeded
            counts = {"total": len(batch.items), "completed": succeeded, "failed": failed}
        return {
            "id": batch.id,
            "object": "batch",
            "endpoint": batch.endpoint,
            "model": next((item.body.get("model") for item in batch.items), None),
            "errors": {"object": "list", "data": batch.errors} if batch.errors else None,
            "input_file_id": batch.input_file_id,
            "completion_window": batch.completion_window,
            "status": status,
            "output_file_id": batch.output_file_id,
            "error_file_id": batch.error_file_id,
            "created_at": created,
            "in_progress_at": created if status == "in_progress" or finished else None,
            "expires_at": created + WINDOW_SECONDS,
            "finalizing_at": ended if finished else None,
            "completed_at": ended if status == "completed" else None,
            "failed_at": ended if status == "failed" else None,
            "expired_at": ended if status == "expired" else None,
            "cancelling_at": None,
            "cancelled_at": None,
            "request_counts": counts,
            "metadata": batch.metadata,
        }


def _result_line(result: ItemResult) -> dict[str, Any]:
    reply, line_id = result.reply, new_id("batch_req_")
    if reply is None:
        return {
            "id": line_id,
            "custom_id": result.custom_id,
            "response": None,
            "error": EXPIRED_ERROR,
        }
    body = json_body(reply)
    response = {"status_code": reply.status, "request_id": new_id("req_"), "body": body}
    return {"id": line_id, "custom_id": result.custom_id, "response": response, "error": None}
