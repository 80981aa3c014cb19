"""A loopback server that speaks the OpenAI chat-completions wire format.

Point the ``openai`` SDK (or any OpenAI-compatible client) at ``server.base_url``::

    with FakeOpenAIServer(delay=0.2) as server:       # every reply 200 ms late
        server.script(server.success('{"winner": "first", ...}'), server.error(429, ...))
        ...
        server.requests[0].json()["messages"]         # what the client sent

Without a script it answers every request with ``default_content`` (a valid debate turn).
"""

from __future__ import annotations

import itertools
from typing import Any

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
    ) -> None:
        self.model = model
        self.default_content = default_content
        # With caching, default replies report the prefix OpenAI's cache would have served.
        self.cache = OpenAICache() if caching else None
        super().__init__(delay=delay, default_reply=default_reply or self._default)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

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
        if self.cache is None:
            return self.success(self.default_content)
        prompt_tokens, cached = self.cache.cached_tokens(request.json())
        body = chat_completion_body(
            self.default_content,
            model=self.model,
            prompt_tokens=prompt_tokens,
            cached_tokens=cached,
        )
        return ScriptedReply(body=body)
