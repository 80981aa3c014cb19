"""What the API does not trust, as ASGI middleware: the Host header and the client's sniffing.

``TrustedHosts`` refuses a request whose Host is not one the deployment named (Starlette's
``TrustedHostMiddleware`` does the same, but answers plain text; this one answers in the API's
error format). ``SecurityHeaders`` puts ``X-Content-Type-Options: nosniff`` on every response,
so a browser never reads JSON, CSV or text as a script or a page.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.middleware import send_error

NOSNIFF = (b"x-content-type-options", b"nosniff")


def host_name(header: str) -> str | None:
    """The host part of a Host header (no port), lower-cased; None when it is malformed."""
    header = header.strip().lower()
    if header.startswith("["):  # an IPv6 literal, [::1]:8000
        end = header.find("]")
        return header[1:end] if end > 1 else None
    name = header.split(":", 1)[0]
    return name or None


def host_allowed(name: str, patterns: Sequence[str]) -> bool:
    for pattern in patterns:
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


class TrustedHosts:
    """Answer 400 to a request whose Host header names a host not in ``allowed``."""

    def __init__(self, app: ASGIApp, *, allowed: Sequence[str]) -> None:
        self.app = app
        self.allowed = [pattern.lower() for pattern in allowed]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope.get("headers", []) if k == b"host"), b"")
        name = host_name(header.decode("latin-1"))
        if name is not None and host_allowed(name, self.allowed):
            await self.app(scope, receive, send)
            return
        await send_error(
            send,
            400,
            "the Host header names a host this server does not answer to; "
            "see HYPOSCORE_ALLOWED_HOSTS",
            details={"host": name},
            headers=(NOSNIFF,),
        )


class SecurityHeaders:
    """Add ``X-Content-Type-Options: nosniff`` to every response that lacks it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == NOSNIFF[0] for name, _ in headers):
                    headers.append(NOSNIFF)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
