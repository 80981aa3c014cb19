"""The agent-backend seam: messages and an output schema in, a validated result with usage out.

LLM backends read ``messages``; the offline ``evidence`` backend reads the structured
``context`` instead and must give the same output for the same context, byte for byte. So
that it does not pay for prompts it never reads, requests may carry :class:`DeferredMessages`,
rendered on first read.
Backends raise the errors below so that workers can tell a retry from a wait from a failure.

A backend is a class registered by name (see :mod:`debates.backends.registry`): it declares
what it can do (:class:`Capabilities`), which options it reads from the environment (its own
:class:`BackendSettings`) and how it is built from them (``create``); see
docs/adding-a-backend.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import (
    Any,
    ClassVar,
    Generic,
    Literal,
    Protocol,
    TypeVar,
    overload,
    runtime_checkable,
)

from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict

from debates.case import Case

OutputT = TypeVar("OutputT", bound=BaseModel)


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str
    # Offsets into ``content``, ascending, up to which every later turn of the debate repeats
    # it (the case's end, then each transcript entry's): where a backend whose provider caches
    # by breakpoints and block boundaries (Anthropic) splits the text. Empty: nothing repeats.
    cache_marks: tuple[int, ...] = ()


class DeferredMessages(Sequence[Message]):
    """Messages rendered by ``render`` the first time they are read, then kept.

    ``render`` must depend only on values fixed when it was made, so that reading the messages
    late gives what rendering them early would have given.
    """

    __slots__ = ("_messages", "_render")

    def __init__(self, render: Callable[[], Sequence[Message]]) -> None:
        self._render = render
        self._messages: tuple[Message, ...] | None = None

    def rendered(self) -> tuple[Message, ...]:
        # Two threads reading at once may both render; they get equal messages.
        if self._messages is None:
            self._messages = tuple(self._render())
        return self._messages

    @overload
    def __getitem__(self, index: int) -> Message: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Message]: ...

    def __getitem__(self, index: int | slice) -> Message | Sequence[Message]:
        return self.rendered()[index]

    def __len__(self) -> int:
        return len(self.rendered())

    def __iter__(self) -> Iterator[Message]:
        return iter(self.rendered())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DeferredMessages):
            other = other.rendered()
        if isinstance(other, Sequence) and not isinstance(other, str):
            return self.rendered() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.rendered())

    def __repr__(self) -> str:
        return f"DeferredMessages({self.rendered()!r})"


@dataclass(frozen=True)
class Usage:
    """What a call used. ``prompt_tokens`` counts every input token; of those,
    ``cached_read_tokens`` came from the provider's prompt cache and ``cache_write_tokens``
    were written to it (each priced apart, see ``llm_prices``)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cached_read_tokens: int = 0
    cache_write_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.cost_usd + other.cost_usd,
            self.cached_read_tokens + other.cached_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )


@dataclass(frozen=True)
class RequestContext:
    """Structured facts behind the messages, for backends that reason without a model.

    ``task`` says what is asked: "turn" (a persona's debate turn) or "judge" (a pairwise
    tournament verdict, with ``other`` the second hypothesis).
    """

    task: Literal["turn", "judge"]
    case: Case
    persona: str | None = None
    round: int | None = None
    transcript: Sequence[Any] = ()
    other: Case | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Names the prompts that share a prefix (one debate), for providers that route by it.
    cache_key: str | None = None


@dataclass(frozen=True)
class BackendRequest(Generic[OutputT]):
    messages: Sequence[Message]
    output_schema: type[OutputT]
    context: RequestContext


@dataclass(frozen=True)
class BackendResult(Generic[OutputT]):
    output: OutputT
    usage: Usage
    model: str
    raw: str = ""
    latency_ms: float = 0.0


@runtime_checkable
class AgentBackend(Protocol):
    """Anything that can answer a backend request; registered by ``name``."""

    name: str

    def complete(self, request: BackendRequest[OutputT]) -> BackendResult[OutputT]: ...


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do, declared on its class; the workers read this, never a list of names.

    ``batchable``: a whole debate costs milliseconds, so a worker may claim many evaluations and
    finish them in one transaction. ``recomputable``: the same request gives the same answer,
    byte for byte, so turns may be buffered and a lost one is simply asked again.
    ``rate_limited``: every request goes to a provider, so it takes a slot of the provider-wide
    limits. ``streaming``: it can stream a reply. ``reports_usage``: its results carry real
    token counts and costs. ``provider_batches``: it can send work that can wait through the
    provider's batch API (``debates.backends.batching``). ``reads_only_the_request``: its answers
    come from the request alone, so a blind case is all it knows; a model also knows what it
    was trained on, which may include the outcome a backtest grades (``debates.backends.
    knowledge``). Undeclared, a backend is taken to know more.
    """

    batchable: bool = False
    recomputable: bool = False
    rate_limited: bool = True
    streaming: bool = False
    reports_usage: bool = False
    provider_batches: bool = False
    reads_only_the_request: bool = False


class BackendSettings(BaseSettings):
    """A backend's own options, read from ``HYPOSCORE_<NAME>_*`` environment variables.

    Subclass it with ``env_prefix="HYPOSCORE_<NAME>_"`` and one field per keyword option of the
    backend's ``create``; :meth:`options` hands them over. Override :meth:`capabilities` when an
    option changes what the backend can do.
    """

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    def options(self) -> dict[str, Any]:
        """The keyword options for the backend's ``create``."""
        return dict(self)

    def capabilities(self, declared: Capabilities) -> Capabilities:
        """What the backend can do with these options; by default what its class declares."""
        return declared


class BackendClass(Protocol):
    """What the registry needs of a backend class (a class object, not an instance)."""

    name: str
    capabilities: ClassVar[Capabilities]
    settings_model: ClassVar[type[BackendSettings]]

    @classmethod
    def create(cls, **options: Any) -> AgentBackend: ...


class BackendError(Exception):
    """Base of the errors a backend raises on purpose.

    ``usage`` is what the provider billed for the failed request's calls that did answer (the
    first call of a failed repair, say), so the ledger can record every billed token.
    """

    retryable: bool = False
    usage: Usage = Usage()


class RetryableError(BackendError):
    """Worth trying again after a backoff: timeouts, connection resets, 5xx."""

    retryable = True


class RateLimitedError(RetryableError):
    """The provider said 429; wait ``retry_after`` seconds (if it said) before trying again."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FatalError(BackendError):
    """Retrying cannot help: bad credentials, a malformed request, an unknown model."""


class InvalidOutputError(FatalError):
    """The model's reply did not fit the schema, even after the one repair attempt."""
