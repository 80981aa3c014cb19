"""A loopback server that speaks the Anthropic Messages wire format.

Point the ``anthropic`` SDK at ``server.url`` (the SDK adds ``/v1/messages`` itself)::

    with FakeAnthropicServer() as server:
        server.script(server.success('{"winner": "second", ...}'))
        ...
        text_of(server.requests[0].json()["system"])

Without a script it answers every request with ``default_content`` (a valid debate turn).
"""

from __future__ import annotations

import itertools
from typing import Any

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
    ) -> None:
        self.model = model
        self.default_content = default_content
        # With caching, default replies count their input against Anthropic's prompt cache.
        self.cache = AnthropicCache() if caching else None
        super().__init__(delay=delay, default_reply=default_reply or self._default)

    @property
    def base_url(self) -> str:
        return self.url

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
        if self.cache is None:
            return self.success(self.default_content)
        usage = self.cache.usage(request.json())
        body = message_body(
            self.default_content,
            model=self.model,
            input_tokens=usage.input_tokens,
            cache_read_input_tokens=usage.cache_read_input_tokens,
            cache_creation_input_tokens=usage.cache_creation_input_tokens,
        )
        return ScriptedReply(body=body)
