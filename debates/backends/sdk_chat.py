"""What the two SDK-backed model backends (``openai``, ``anthropic``) share.

Each holds a client of its provider's official SDK (for the batch API) and a JSON POST made
with that client's URL and headers (for live turns). The SDK's exceptions become the backend
errors workers know, with the provider's own error message, and a batch's state and results
are read through the provider's batch module. What differs between the two, the request body
and how a reply is read, stays in each backend's module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar

from pydantic import SecretStr

from debates.backends.base import BackendError, FatalError
from debates.backends.batching import BatchAnswer, BatchState
from debates.backends.json_post import ErrorDetail, JsonPost
from debates.backends.llm_common import (
    RepairingChat,
    display_url,
    endpoint_and_key,
    guarded,
    load_sdk,
)
from debates.backends.llm_errors import sdk_error
from debates.backends.llm_prices import ModelPrice, PriceTable, merged_prices
from debates.backends.replies import RawReply

T = TypeVar("T")


class BatchApi(Protocol):
    """A provider's batch module (``openai_batches``, ``anthropic_batches``)."""

    def state(self, client: Any, batch_id: str) -> BatchState: ...

    def results(
        self, client: Any, batch_id: str, *, read: Callable[[Any], RawReply]
    ) -> Mapping[str, BatchAnswer]: ...


@dataclass(frozen=True)
class ProviderConnection:
    """A provider's SDK client and everything a backend needs to talk through it."""

    sdk: Any
    client: Any
    post: JsonPost
    endpoint: str  # how messages name it: "OpenAI-compatible endpoint http://…"
    timeout: float
    prices: dict[str, ModelPrice]


@dataclass(frozen=True)
class ProviderSpec:
    """What tells one SDK-backed provider from the other when its client is built."""

    name: str  # the backend's and the SDK module's name
    client_class: str
    error_class: str
    default_url: str
    endpoint_label: str
    keyless_hint: str
    error_body_detail: ErrorDetail  # the message of an error reply's JSON body
    error_detail: Callable[[Any], str]  # the message of one of the SDK's exceptions


def connect(
    spec: ProviderSpec,
    *,
    base_url: str | None,
    api_key: str | SecretStr | None,
    timeout: float,
    prices: PriceTable | None,
) -> ProviderConnection:
    """The provider's client, built with no retries of its own (the workers own retries: a
    retried call is a second bill); a bad setting is a ``FatalError`` naming it."""
    sdk = load_sdk(spec.name)
    url, key = endpoint_and_key(
        spec.name,
        base_url=base_url,
        api_key=api_key,
        timeout=timeout,
        default_url=spec.default_url,
        keyless_hint=spec.keyless_hint,
    )
    client_class = getattr(sdk, spec.client_class)
    try:
        prices_table = merged_prices(prices)
        client = client_class(api_key=key, base_url=url, timeout=timeout, max_retries=0)
    except (ValueError, getattr(sdk, spec.error_class)) as exc:
        raise FatalError(f"{spec.name} backend: {exc}") from exc
    endpoint = f"{spec.endpoint_label} {display_url(url)}"
    post = JsonPost.like(
        client, timeout=timeout, provider=endpoint, error_detail=spec.error_body_detail
    )
    return ProviderConnection(
        sdk=sdk, client=client, post=post, endpoint=endpoint, timeout=timeout, prices=prices_table
    )


class SdkChat(RepairingChat):
    """``RepairingChat`` over a ``ProviderConnection``: guarded SDK calls, batch reads.

    A subclass names its ``spec`` and ``batch_api`` and supplies ``_call`` (a live turn),
    ``_read`` (a reply's JSON, live or from a batch) and ``submit_batch``.
    """

    spec: ClassVar[ProviderSpec]
    batch_api: ClassVar[BatchApi]

    def __init__(self, connection: ProviderConnection, *, model: str) -> None:
        self._sdk = connection.sdk
        self._client = connection.client
        self._post = connection.post
        self.model = model
        self.timeout = connection.timeout
        self.prices = connection.prices
        self.endpoint = connection.endpoint

    def _read(self, body: Any) -> RawReply:
        raise NotImplementedError

    def batch_state(self, batch_id: str) -> BatchState:
        return self._guarded(lambda: self.batch_api.state(self._client, batch_id))

    def batch_results(self, batch_id: str) -> Mapping[str, BatchAnswer]:
        return self._guarded(
            lambda: self.batch_api.results(self._client, batch_id, read=self._read)
        )

    def _guarded(self, action: Callable[[], T]) -> T:
        return guarded(
            action,
            sdk_error=getattr(self._sdk, self.spec.error_class),
            translate=self._translate,
            endpoint=self.endpoint,
        )

    def _translate(self, exc: Exception) -> BackendError:
        return sdk_error(
            exc,
            self._sdk,
            provider=self.endpoint,
            timeout=self.timeout,
            detail=self.spec.error_detail,
        )
