"""Sorting provider failures into the three kinds the workers act on.

* retryable — timeouts, dropped connections, 408/409 and 5xx (including Anthropic's 529
  "overloaded"): back off and try again;
* rate-limited — 429, with the wait the provider asked for in ``Retry-After``;
* fatal — everything else in 4xx (bad key, malformed request, unknown model): retrying
  cannot help, so the evaluation fails with the provider's own words.

A call can also fail outside the SDK's own error classes: a 200 whose body is cut off raises a
JSON decode error, a reset mid-body a transport error, an HTML page from a proxy comes back as a
string. ``failure_of_call`` sorts those too, so no exception from a provider call reaches the
worker unclassified: unreadable bodies and broken connections are retryable (the worker's retry
budget bounds them), anything else is fatal and names its type.

Both SDK backends map their exception classes onto these helpers, so the rules live here once.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

from debates.backends.base import BackendError, FatalError, RateLimitedError, RetryableError

# Statuses a later identical request may well get through: request timeout, lock conflict.
_RETRYABLE_4XX = frozenset({408, 409})


def retry_after_seconds(
    headers: Mapping[str, str] | None, *, now: Callable[[], float] = time.time
) -> float | None:
    """The wait a 429 asked for: ``retry-after-ms``, else ``Retry-After`` in seconds or as an
    HTTP date. None when absent or unreadable; never negative (a date in the past means now).
    """
    if not headers:
        return None
    lowered = {key.lower(): value for key, value in headers.items()}
    millis = _finite_float(lowered.get("retry-after-ms"))
    if millis is not None:
        return max(millis / 1000.0, 0.0)
    value = lowered.get("retry-after")
    if value is None:
        return None
    seconds = _finite_float(value)
    if seconds is not None:
        return max(seconds, 0.0)
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" dates parse naive; HTTP dates are always UTC
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - now(), 0.0)


def _finite_float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def error_for_status(
    status: int,
    detail: str,
    *,
    provider: str,
    headers: Mapping[str, str] | None = None,
) -> BackendError:
    """The backend error for an HTTP error status, its message naming provider and status."""
    message = f"{provider} answered HTTP {status}: {detail}"
    if status == 429:
        return RateLimitedError(message, retry_after=retry_after_seconds(headers))
    if status >= 500 or status in _RETRYABLE_4XX:
        return RetryableError(message)
    if status in (401, 403):
        return FatalError(f"{message} (check the API key for {provider})")
    if status == 404:
        return FatalError(f"{message} (check the base URL and the model name)")
    return FatalError(message)


def sdk_error(
    exc: Exception, sdk: Any, *, provider: str, timeout: float, detail: Callable[[Any], str]
) -> BackendError:
    """An exception of the ``openai`` or ``anthropic`` SDK as the backend error workers know.

    Both SDKs are generated from one template and share their error classes' names and
    fields; ``detail`` reads the provider's own error body.
    """
    if isinstance(exc, sdk.APITimeoutError):
        return timeout_error(provider, timeout)
    if isinstance(exc, sdk.APIConnectionError):
        return connection_error(provider, str(exc.__cause__ or exc))
    if isinstance(exc, sdk.APIStatusError):
        return error_for_status(
            exc.status_code, detail(exc), provider=provider, headers=dict(exc.response.headers)
        )
    return FatalError(f"{provider}: {type(exc).__name__}: {exc}")


def timeout_error(provider: str, timeout: float) -> RetryableError:
    return RetryableError(f"{provider} did not answer within {timeout:g} s")


def connection_error(provider: str, detail: str) -> RetryableError:
    return RetryableError(f"could not reach {provider}: {detail}")


def unreadable_body(provider: str, detail: str) -> RetryableError:
    return RetryableError(
        f"{provider} sent a body that could not be read as a reply ({detail}); "
        "a proxy or a cut-off transfer is the usual cause (if it persists, is the base URL right?)"
    )


def failure_of_call(provider: str, exc: Exception) -> BackendError:
    """The backend error for an exception the provider's SDK raised outside its own classes."""
    if isinstance(exc, BackendError):
        return exc
    if isinstance(exc, ValueError | UnicodeDecodeError):  # json.JSONDecodeError is a ValueError
        return unreadable_body(provider, f"{type(exc).__name__}: {exc}")
    if isinstance(exc, OSError) or _is_transport_error(exc):
        return connection_error(provider, f"{type(exc).__name__}: {exc}")
    return FatalError(f"{provider}: unexpected {type(exc).__name__}: {exc}")


def _is_transport_error(exc: Exception) -> bool:
    # httpx (under both SDKs) is an optional dependency here, so it is recognised by name.
    return any(
        cls.__name__ in ("TransportError", "HTTPError")
        and cls.__module__.split(".")[0] in ("httpx", "httpcore")
        for cls in type(exc).__mro__
    )
