"""The ``openai`` backend: any OpenAI-compatible chat-completions endpoint.

OpenAI itself, vLLM, Ollama and the llama.cpp server all speak this format; ``base_url`` picks
the endpoint. A live turn is one POST (``json_post``); the Batch API goes through the official
SDK, an optional extra imported when a backend is created, never when this module is imported:
the registry imports it just to list the name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from debates.backends import openai_batches
from debates.backends.base import (
    BackendError,
    BackendSettings,
    Capabilities,
    FatalError,
    Message,
)
from debates.backends.batching import BatchAnswer, BatchItem, BatchState
from debates.backends.json_post import JsonPost
from debates.backends.llm_common import (
    ProviderSettings,
    RepairingChat,
    display_url,
    endpoint_and_key,
    guarded,
    load_sdk,
    prompt_parts,
)
from debates.backends.llm_errors import sdk_error, unreadable_body
from debates.backends.llm_prices import ModelPrice, PriceTable, merged_prices
from debates.backends.replies import RawReply, count, excerpt, fields

OPENAI_API_URL = "https://api.openai.com/v1"
T = TypeVar("T")


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


class OpenAIBackend(RepairingChat):
    """Asks a chat-completions endpoint for JSON and validates it against the output schema."""

    name = "openai"
    capabilities: ClassVar[Capabilities] = Capabilities(rate_limited=True, reports_usage=True)
    settings_model: ClassVar[type[BackendSettings]] = OpenAISettings

    @classmethod
    def create(cls, **options: Any) -> OpenAIBackend:
        return create_openai_backend(**options)

    def __init__(
        self,
        *,
        client: Any,
        sdk: Any,
        post: JsonPost,
        model: str,
        timeout: float,
        prices: dict[str, ModelPrice],
        endpoint: str,
        json_mode: bool = True,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> None:
        self._client = client
        self._sdk = sdk
        self._post = post
        self.model = model
        self.timeout = timeout
        self.prices = prices
        self.endpoint = endpoint
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

    def batch_state(self, batch_id: str) -> BatchState:
        return self._guarded(lambda: openai_batches.state(self._client, batch_id))

    def batch_results(self, batch_id: str) -> Mapping[str, BatchAnswer]:
        return self._guarded(
            lambda: openai_batches.results(self._client, batch_id, read=self._read)
        )

    def _guarded(self, action: Callable[[], T]) -> T:
        return guarded(
            action,
            sdk_error=self._sdk.OpenAIError,
            translate=self._translate,
            endpoint=self.endpoint,
        )

    def _translate(self, exc: Exception) -> BackendError:
        return sdk_error(
            exc, self._sdk, provider=self.endpoint, timeout=self.timeout, detail=_error_detail
        )

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


def _error_detail(exc: Any) -> str:
    # The SDK's exceptions carry the error object itself as their body.
    return _message_of(getattr(exc, "body", None)) or str(getattr(exc, "message", exc))


def _error_body_detail(body: Any) -> str | None:
    """The message of an error reply, ``{"error": {"message": ...}}``."""
    return _message_of(fields(body).get("error"))


def _message_of(error: Any) -> str | None:
    message = fields(error).get("message")
    return message if isinstance(message, str) else None


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
    sdk = load_sdk("openai")
    base_url, key = endpoint_and_key(
        "openai",
        base_url=base_url,
        api_key=api_key,
        timeout=timeout,
        default_url=OPENAI_API_URL,
        keyless_hint="set HYPOSCORE_OPENAI_BASE_URL to a local OpenAI-compatible server",
    )
    try:
        prices_table = merged_prices(prices)
        client = sdk.OpenAI(api_key=key, base_url=base_url, timeout=timeout, max_retries=0)
    except (ValueError, sdk.OpenAIError) as exc:
        raise FatalError(f"openai backend: {exc}") from exc
    endpoint = f"OpenAI-compatible endpoint {display_url(base_url)}"
    post = JsonPost.like(
        client, timeout=timeout, provider=endpoint, error_detail=_error_body_detail
    )
    return OpenAIBackend(
        client=client,
        sdk=sdk,
        post=post,
        model=model,
        timeout=timeout,
        prices=prices_table,
        endpoint=endpoint,
        json_mode=json_mode,
        temperature=temperature,
        max_tokens=max_tokens,
    )
