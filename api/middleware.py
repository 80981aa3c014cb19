"""ASGI middleware: the request size limit and the per-request log line.

Both are plain ASGI (not ``BaseHTTPMiddleware``) so the limit can answer 413 before the
endpoint sees a byte, and neither buffers responses.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body

log = logging.getLogger("hyposcore.api.requests")


async def send_error(
    send: Send,
    status: int,
    message: str,
    *,
    details: dict[str, Any],
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    """Answer with the API's error body from plain ASGI middleware, before any endpoint runs."""
    body = json.dumps(error_body(status, message, details=details)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_413(send: Send, limit: int) -> None:
    await send_error(
        send,
        413,
        f"request body is larger than the limit of {limit} bytes",
        details={"max_bytes": limit},
        headers=((b"connection", b"close"),),
    )


class BodySizeLimit:
    """Refuse bodies over ``max_bytes`` with 413.

    A declared Content-Length over the limit is refused before any of the body is read; a
    streamed (chunked) body is read only until it passes the limit. Accepted bodies are
    replayed to the app, so the limit holds whatever the endpoint does with the stream.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _send_413(send, self.max_bytes)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _send_413(send, self.max_bytes)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestLog:
    """One log line per request: method, path, status and duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def record_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            log.info(
                "%s %s %s %.1fms",
                scope.get("method", "?"),
                # A path may carry encoded newlines; escape them so one request stays one line.
                str(scope.get("path", "?")).encode("unicode_escape").decode("ascii"),
                status["code"],
                elapsed_ms,
            )
