"""The ``openai`` backend: any OpenAI-compatible chat-completions endpoint.

OpenAI itself, vLLM, Ollama and the llama.cpp server all speak this format; ``base_url`` picks
the endpoint. A live turn is one POST (``json_post``); the Batch API goes through the official
SDK, an optional extra imported when a backend is created, never when this module is imported:
the registry imports it just to list the name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from debates.backends import openai_batches
from debates.backends.base import BackendSettings, Capabilities, FatalError, Message
from debates.backends.batching import BatchItem
from debates.backends.llm_common import ProviderSettings, prompt_parts
from debates.backends.llm_errors import unreadable_body
from debates.backends.llm_prices import PriceTable
from debates.backends.replies import RawReply, count, excerpt, fields
from debates.backends.sdk_chat import BatchApi, ProviderConnection, ProviderSpec, SdkChat, connect

OPENAI_API_URL = "https://api.openai.com/v1"


class OpenAISettings(ProviderSettings):
    """``HYPOSCORE_OPENAI_BASE_URL``, ``_API_KEY``, ``_MODEL`` and ``_TIMEOUT``.

    ``HYPOSCORE_LLM_TIMEOUT_SECONDS``, the timeout every model backend shares, still works.
    """

    model_config = SettingsConfigDict(env_prefix="HYPOSCORE_OPENAI_", populate_by_name=True)

    base_url: str | None = Field(None, description="Endpoint; default: the provider's own API.")
    api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    batches: bool | None = Field(
        None,
        description=(
            "Send work that can wait through the Batch API at half price; default: only "
            "when the endpoint is OpenAI's own (local servers have no Batch API)."
        ),
    )
    timeout: float = Field(
        60.0,
        gt=0,
        description="Seconds per request.",
        validation_alias=AliasChoices("HYPOSCORE_OPENAI_TIMEOUT", "HYPOSCORE_LLM_TIMEOUT_SECONDS"),
    )


def _error_detail(exc: Any) -> str:
    # The SDK's exceptions carry the error object itself as their body.
    return _message_of(getattr(exc, "body", None)) or str(getattr(exc, "message", exc))


def _error_body_detail(body: Any) -> str | None:
    """The message of an error reply, ``{"error": {"message": ...}}``."""
    return _message_of(fields(body).get("error"))


def _message_of(error: Any) -> str | None:
    message = fields(error).get("message")
    return message if isinstance(message, str) else None


SPEC = ProviderSpec(
    name="openai",
    client_class="OpenAI",
    error_class="OpenAIError",
    default_url=OPENAI_API_URL,
    endpoint_label="OpenAI-compatible endpoint",
    keyless_hint="set HYPOSCORE_OPENAI_BASE_URL to a local OpenAI-compatible server",
    error_body_detail=_error_body_detail,
    error_detail=_error_detail,
)


class OpenAIBackend(SdkChat):
    """Asks a chat-completions endpoint for JSON and validates it against the output schema."""

    name = "openai"
    capabilities: ClassVar[Capabilities] = Capabilities(rate_limited=True, reports_usage=True)
    settings_model: ClassVar[type[BackendSettings]] = OpenAISettings
    spec: ClassVar[ProviderSpec] = SPEC
    batch_api: ClassVar[BatchApi] = openai_batches

    @classmethod
    def create(cls, **options: Any) -> OpenAIBackend:
        return create_openai_backend(**options)

    def __init__(
        self,
        connection: ProviderConnection,
        *,
        model: str,
        json_mode: bool = True,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> None:
        super().__init__(connection, model=model)
        self.json_mode = json_mode
        self.temperature = temperature
        self.max_tokens = max_tokens

    def _call(
        self, system: str, conversation: Sequence[Message], *, cache_key: str | None = None
    ) -> RawReply:
        body = self.chat_body(system, conversation, cache_key=cache_key)
        return self._read(self._guarded(lambda: self._post("/chat/completions", body)))

    def chat_body(
        self, system: str, conversation: Sequence[Message], *, cache_key: str | None = None
    ) -> dict[str, Any]:
        """The chat-completions request body, the same for a live call and a batch line."""
        messages = [{"role": "system", "content": system}]
        messages += [{"role": turn.role, "content": turn.content} for turn in conversation]
        body: dict[str, Any] = {"model": self.model, "messages": messages}
        if cache_key is not None:
            # OpenAI caches prompt prefixes by itself; the key routes one debate's prompts
            # to the same cache.
            body["prompt_cache_key"] = cache_key
        if self.json_mode:
            body["response_format"] = {"type": "json_object"}
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        return body

    # -- the Batch API (debates.backends.batching) ---------------------------------------------

    def submit_batch(self, items: Sequence[BatchItem]) -> str:
        def body_for(item: BatchItem) -> dict[str, Any]:
            system, turns, cache_key = prompt_parts(item.request)
            return self.chat_body(system, turns, cache_key=cache_key)

        data = openai_batches.input_file(items, body_for)
        return self._guarded(lambda: openai_batches.submit(self._client, data))

    def _read(self, body: Any) -> RawReply:
        """A chat completion's JSON, live or from a batch's output file."""
        if isinstance(body, str):
            # The SDK hands back the raw text when the body was not JSON: usually a proxy's
            # error page. Retryable, within the worker's budget: a wrong base URL still fails,
            # with this message, once the budget is spent.
            raise unreadable_body(
                self.endpoint, f"a non-JSON body, not a chat completion: {excerpt(body, 200)!r}"
            )
        choices = body.get("choices") if isinstance(body, Mapping) else None
        if not isinstance(choices, list):
            raise FatalError(f"{self.endpoint} answered with JSON that is not a chat completion")
        first = fields(choices[0]) if choices else {}
        usage = fields(body.get("usage"))
        return RawReply(
            text=str(fields(first.get("message")).get("content") or ""),
            prompt_tokens=count(usage.get("prompt_tokens")),
            completion_tokens=count(usage.get("completion_tokens")),
            model=str(body.get("model") or "") or None,
            truncated=first.get("finish_reason") == "length",
            # Part of prompt_tokens; OpenAI charges no cache writes.
            cached_read_tokens=count(
                fields(usage.get("prompt_tokens_details")).get("cached_tokens")
            ),
        )


def create_openai_backend(
    *,
    base_url: str | None = None,
    api_key: str | SecretStr | None = None,
    model: str = "gpt-4o-mini",
    timeout: float = 60.0,
    prices: PriceTable | None = None,
    json_mode: bool = True,
    temperature: float | None = None,
    max_tokens: int | None = None,
) -> OpenAIBackend:
    """Build the backend. ``base_url`` None means api.openai.com, which needs ``api_key``;
    a local endpoint without a key gets a placeholder key. Retries are left to the workers.
    """
    connection = connect(SPEC, base_url=base_url, api_key=api_key, timeout=timeout, prices=prices)
    return OpenAIBackend(
        connection,
        model=model,
        json_mode=json_mode,
        temperature=temperature,
        max_tokens=max_tokens,
    )
