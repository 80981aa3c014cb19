"""A live provider call: one JSON POST over a kept-alive urllib3 pool, its failures sorted.

A debate turn is a single POST of JSON. Sent through a provider SDK's request machinery
(option models, its retry loop, header assembly, response wrappers) it cost the worker more
CPU than the HTTP exchange itself: about a quarter of a turn (BENCHMARKS.md, *Worker CPU per
model turn*). So live turns take this path, and the SDKs keep the batch and file APIs, where
calls are few. Failures are sorted by the same rules as the SDKs' (``llm_errors``).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.exceptions import TimeoutError as PoolTimeoutError

from debates.backends.llm_errors import (
    connection_error,
    error_for_status,
    timeout_error,
)
from debates.backends.replies import excerpt

# Connections kept per host. A worker's threads each hold one while their request is out;
# urllib3 closes any beyond this after use (and logs a warning each time), so it is set above
# any sensible thread count.
POOL_SIZE = 128

# Reads the provider's own message out of a parsed error body (None when it has none).
ErrorDetail = Callable[[Any], str | None]

# Sends a POST to a URL (a path on the held pool, or absolute through a proxy's manager).
_Send = Callable[..., urllib3.BaseHTTPResponse]


class JsonPost:
    """POSTs JSON to one provider's endpoint; returns the reply's parsed JSON, or its text
    when the body is not JSON (a proxy's error page: the caller says what it expected)."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str],
        timeout: float,
        provider: str,
        error_detail: ErrorDetail,
    ) -> None:
        base_url = base_url.rstrip("/")
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        self._headers.update(headers)
        self._timeout = urllib3.Timeout(connect=timeout, read=timeout)
        self._seconds = timeout
        self._provider = provider
        self._error_detail = error_detail
        manager = pool_for(base_url)
        if isinstance(manager, urllib3.ProxyManager):
            # A proxy may need the absolute URL; its manager knows the forms.
            self._send: _Send = partial(manager.urlopen, "POST")
            self._target = base_url
        else:
            # The host's own pool, held: the manager's per-request URL parsing and pool
            # lookup cost about a fifth of the call (BENCHMARKS.md, *Worker CPU per model turn*).
            self._send = partial(manager.connection_from_url(base_url).urlopen, "POST")
            self._target = urlsplit(base_url).path

    @classmethod
    def like(
        cls, client: Any, *, timeout: float, provider: str, error_detail: ErrorDetail
    ) -> JsonPost:
        """A poster to a provider SDK ``client``'s endpoint, with the headers it sends."""
        return cls(
            str(client.base_url),
            headers=sdk_headers(client),
            timeout=timeout,
            provider=provider,
            error_detail=error_detail,
        )

    def __call__(self, path: str, body: Mapping[str, Any]) -> Any:
        """Raises the backend error the failure is (``llm_errors``): a status of 300 or more,
        a timeout, a refused or broken connection, a body cut short."""
        try:
            # No retries (the workers own them: a retried POST is a second bill) and no
            # redirects (a chat endpoint that redirects is a wrong base URL, said as such).
            response = self._send(
                self._target + path,
                body=json.dumps(body).encode(),
                headers=self._headers,
                timeout=self._timeout,
                retries=False,
                redirect=False,
            )
        except NewConnectionError as exc:  # a subclass of urllib3's TimeoutError, but refused
            raise connection_error(self._provider, _described(exc)) from exc
        except PoolTimeoutError as exc:
            raise timeout_error(self._provider, self._seconds) from exc
        except (HTTPError, OSError) as exc:
            raise connection_error(self._provider, _described(exc)) from exc
        text = response.data.decode("utf-8", errors="replace")
        try:
            reply: Any = json.loads(text)
        except ValueError:
            reply = text
        if response.status >= 300:
            detail = self._error_detail(reply) or excerpt(text, 200) or response.reason or ""
            raise error_for_status(
                response.status, detail, provider=self._provider, headers=response.headers
            )
        return reply


def sdk_headers(client: Any) -> dict[str, str]:
    """The headers a provider SDK's client sends with every request: its credentials, the API
    version it speaks and its name. A live call carries exactly these, so the wire stays what
    the SDK's authors keep it, only without their per-request machinery."""
    headers = {**client.default_headers, **client.auth_headers}
    return {name: value for name, value in headers.items() if isinstance(value, str)}


def pool_for(url: str, *, maxsize: int = POOL_SIZE) -> urllib3.PoolManager:
    """A connection pool for ``url``, through the proxy the environment names for it
    (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``), as the SDKs' own clients honour them."""
    parts = urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(parts.netloc):
        return urllib3.ProxyManager(proxy, maxsize=maxsize)
    return urllib3.PoolManager(maxsize=maxsize)


def _described(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"
