"""The ``anthropic`` backend: the Anthropic Messages API.

The Messages API has no JSON mode, so the system prompt carries the schema (``llm_common``
adds it when the templates did not) and the reply's first text block is parsed, tolerating a
```json fence. A live turn is one POST (``json_post``); Message Batches go through the
official SDK, an optional extra imported when a backend is created.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from debates.backends import anthropic_batches
from debates.backends.base import BackendSettings, Capabilities, FatalError, Message
from debates.backends.batching import BatchItem
from debates.backends.llm_common import ProviderSettings, prompt_parts
from debates.backends.llm_errors import unreadable_body
from debates.backends.llm_prices import PriceTable
from debates.backends.replies import RawReply, count, fields
from debates.backends.sdk_chat import BatchApi, ProviderConnection, ProviderSpec, SdkChat, connect

ANTHROPIC_API_URL = "https://api.anthropic.com"


class AnthropicSettings(ProviderSettings):
    """``HYPOSCORE_ANTHROPIC_BASE_URL``, ``_API_KEY``, ``_MODEL`` and ``_TIMEOUT``.

    ``HYPOSCORE_LLM_TIMEOUT_SECONDS``, the timeout every model backend shares, still works.
    """

    model_config = SettingsConfigDict(env_prefix="HYPOSCORE_ANTHROPIC_", populate_by_name=True)

    base_url: str | None = Field(None, description="Endpoint; default: the provider's own API.")
    api_key: SecretStr | None = None
    model: str = "claude-sonnet-4-6"
    timeout: float = Field(
        60.0,
        gt=0,
        description="Seconds per request.",
        validation_alias=AliasChoices(
            "HYPOSCORE_ANTHROPIC_TIMEOUT", "HYPOSCORE_LLM_TIMEOUT_SECONDS"
        ),
    )
    batches: bool | None = Field(
        None,
        description=(
            "Send work that can wait through Message Batches at half price; default: only "
            "when the endpoint is Anthropic's own."
        ),
    )


def _error_detail(exc: Any) -> str:
    return _error_body_detail(getattr(exc, "body", None)) or str(getattr(exc, "message", exc))


def _error_body_detail(body: Any) -> str | None:
    """The type and message of an error reply, ``{"type": "error", "error": {...}}``."""
    error = fields(fields(body).get("error"))
    message = error.get("message")
    return f"{error.get('type', 'error')}: {message}" if isinstance(message, str) else None


SPEC = ProviderSpec(
    name="anthropic",
    client_class="Anthropic",
    error_class="AnthropicError",
    default_url=ANTHROPIC_API_URL,
    endpoint_label="Anthropic endpoint",
    keyless_hint="set HYPOSCORE_ANTHROPIC_BASE_URL to a gateway that needs none",
    error_body_detail=_error_body_detail,
    error_detail=_error_detail,
)


class AnthropicBackend(SdkChat):
    """Asks the Messages API for JSON and validates it against the output schema."""

    name = "anthropic"
    capabilities: ClassVar[Capabilities] = Capabilities(rate_limited=True, reports_usage=True)
    settings_model: ClassVar[type[BackendSettings]] = AnthropicSettings
    spec: ClassVar[ProviderSpec] = SPEC
    batch_api: ClassVar[BatchApi] = anthropic_batches

    @classmethod
    def create(cls, **options: Any) -> AnthropicBackend:
        return create_anthropic_backend(**options)

    def __init__(
        self, connection: ProviderConnection, *, model: str, max_tokens: int = 4096
    ) -> None:
        super().__init__(connection, model=model)
        self.max_tokens = max_tokens

    def _call(
        self, system: str, conversation: Sequence[Message], *, cache_key: str | None = None
    ) -> RawReply:
        params = self.message_params(system, conversation)
        return self._read(self._guarded(lambda: self._post("/v1/messages", params)))

    def message_params(self, system: str, conversation: Sequence[Message]) -> dict[str, Any]:
        """The Messages request, the same for a live call and a batch request.

        No sampling options: the 2.x SDK's Messages.create no longer takes temperature.
        Anthropic caches only up to breakpoints: one after the shared rules, one after the
        part of the user message every later turn repeats (a cache key is OpenAI's way).
        """
        return {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "system": [{"type": "text", "text": system, "cache_control": EPHEMERAL}],
            "messages": alternating_turns(conversation),
        }

    # -- Message Batches (debates.backends.batching) -------------------------------------------

    def submit_batch(self, items: Sequence[BatchItem]) -> str:
        def params_for(item: BatchItem) -> dict[str, Any]:
            system, turns, _ = prompt_parts(item.request)
            return self.message_params(system, turns)

        return self._guarded(lambda: anthropic_batches.submit(self._client, items, params_for))

    def _read(self, message: Any) -> RawReply:
        """A Messages API message's JSON, live or from a batch's results."""
        blocks = message.get("content") if isinstance(message, Mapping) else None
        if not isinstance(blocks, list):
            raise unreadable_body(self.endpoint, "not a Messages API message")
        texts = (fields(block) for block in blocks)
        text = next((str(b.get("text") or "") for b in texts if b.get("type") == "text"), "")
        usage = fields(message.get("usage"))
        read = count(usage.get("cache_read_input_tokens"))
        written = count(usage.get("cache_creation_input_tokens"))
        return RawReply(
            text=text,
            # Anthropic's input_tokens leaves out what the cache served or stored.
            prompt_tokens=count(usage.get("input_tokens")) + read + written,
            completion_tokens=count(usage.get("output_tokens")),
            model=str(message.get("model") or "") or None,
            truncated=message.get("stop_reason") == "max_tokens",
            cached_read_tokens=read,
            cache_write_tokens=written,
        )


EPHEMERAL = {"type": "ephemeral"}


def alternating_turns(conversation: Sequence[Message]) -> list[dict[str, Any]]:
    """Messages API turns: consecutive messages of one role are joined, never re-roled. A
    message with a cached prefix becomes two text blocks, the first ending in a breakpoint."""
    turns: list[dict[str, Any]] = []
    for message in conversation:
        content = _content(message)
        if turns and turns[-1]["role"] == message.role:
            turns[-1]["content"] = _joined(turns[-1]["content"], content)
        else:
            turns.append({"role": message.role, "content": content})
    return turns


def _content(message: Message) -> str | list[dict[str, Any]]:
    """The message as text blocks split where later turns stop repeating it, with breakpoints
    after the case and after the transcript: the next turn finds this turn's cache entry at
    one of its block boundaries."""
    text = message.content
    marks = [m for m in message.cache_marks if 0 < m < len(text)]
    if not marks:
        return text
    cuts = [0, *marks, len(text)]
    blocks: list[dict[str, Any]] = [
        {"type": "text", "text": text[a:b]} for a, b in itertools.pairwise(cuts) if b > a
    ]
    for index in {0, len(marks) - 1}:  # two breakpoints: the case, and all that repeats
        blocks[index]["cache_control"] = EPHEMERAL
    return blocks


def _joined(
    first: str | list[dict[str, Any]], second: str | list[dict[str, Any]]
) -> str | list[dict[str, Any]]:
    if isinstance(first, str) and isinstance(second, str):
        return f"{first}\n\n{second}"
    return [*_as_blocks(first), *_as_blocks(second)]


def _as_blocks(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


def create_anthropic_backend(
    *,
    base_url: str | None = None,
    api_key: str | SecretStr | None = None,
    model: str = "claude-sonnet-4-6",
    timeout: float = 60.0,
    prices: PriceTable | None = None,
    max_tokens: int = 4096,
) -> AnthropicBackend:
    """Build the backend. ``base_url`` None means api.anthropic.com, which needs ``api_key``;
    another endpoint without a key gets a placeholder. Retries are left to the workers.
    """
    if max_tokens < 1:
        raise FatalError(f"anthropic backend: max_tokens must be at least 1, got {max_tokens!r}")
    connection = connect(SPEC, base_url=base_url, api_key=api_key, timeout=timeout, prices=prices)
    return AnthropicBackend(connection, model=model, max_tokens=max_tokens)
