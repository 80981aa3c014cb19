"""A real HTTP server on loopback that answers from a script and records what it was sent.

The provider fakes (``openai_server``, ``anthropic_server``) build on this: they only decide
which paths they serve and what a successful body looks like. The server runs in a background
thread, serves requests concurrently (one thread each) and never contacts anything outside
127.0.0.1, so tests and benchmarks can point the real provider SDKs at it.
"""

from __future__ import annotations

import json
import random
import re
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import urlsplit

# How a reply can misbehave on the wire, the ways real providers and proxies have been seen to:
# * ``cut_body``: status 200 and a JSON body cut off mid-string, with a Content-Length that
#   matches what is sent (a proxy that truncated the body);
# * ``reset``: headers promising a body, half of it, then a TCP reset;
# * ``html``: status 200 with an HTML error page from something that is not the provider.
Fault = Literal["cut_body", "reset", "html"]
FAULTS: tuple[Fault, ...] = ("cut_body", "reset", "html")


@dataclass(frozen=True)
class ScriptedReply:
    """One HTTP answer: status, headers, body (a dict is sent as JSON) and a delay before it."""

    status: int = 200
    body: Mapping[str, Any] | str | bytes = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    fault: Fault | None = None

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode("utf-8"), "text/plain; charset=utf-8"
        return json.dumps(self.body).encode("utf-8"), "application/json"


@dataclass(frozen=True)
class RecordedRequest:
    """What the server was sent, kept for the test to inspect."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


Responder = Callable[[RecordedRequest], ScriptedReply]
# A routed endpoint's handler; the match carries the pattern's named groups (ids in the path).
RouteHandler = Callable[[RecordedRequest, re.Match[str]], ScriptedReply]


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a burst of new connections (64 debates
    # starting at once) overflows it and the kernel resets some, which no provider does.
    request_queue_size = 256


class ScriptedServer:
    """Answers each request with the next scripted reply, else with ``default_reply``.

    ``delay`` is added to every reply that does not set its own; it is how benchmarks model a
    slow provider. Requests to paths outside ``paths`` get a 404 from the subclass's
    ``not_found`` body, the way a provider answers an unknown route.

    A subclass can also ``route`` a method and path pattern to a handler of its own (the batch
    endpoints do); routed requests are recorded like any other but never take a scripted reply,
    so a test's script stays aimed at the live calls it was written for.
    """

    paths: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        delay: float = 0.0,
        default_reply: ScriptedReply | Responder | None = None,
    ) -> None:
        self.delay = delay
        self.default_reply = default_reply
        self.requests: list[RecordedRequest] = []
        self.max_in_flight = 0
        self._script: deque[ScriptedReply] = deque()
        self._routes: list[tuple[str, re.Pattern[str], RouteHandler]] = []
        self._lock = threading.Lock()
        self._in_flight = 0
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting -------------------------------------------------------------------------

    def script(self, *replies: ScriptedReply) -> None:
        """Queue replies; each request takes the next one, in order."""
        with self._lock:
            self._script.extend(replies)

    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    def route(self, method: str, pattern: str, handler: RouteHandler) -> None:
        """Answer ``method`` requests whose whole path (query dropped) matches ``pattern``."""
        self._routes.append((method.upper(), re.compile(pattern), handler))

    def default_answer(self, request: RecordedRequest) -> ScriptedReply:
        """What an unscripted live request gets: ``default_reply``, called if it is callable."""
        if callable(self.default_reply):
            return self.default_reply(request)
        if self.default_reply is not None:
            return self.default_reply
        return ScriptedReply(status=500, body={"error": {"message": "the script ran out"}})

    def refusal(self, request: RecordedRequest) -> ScriptedReply | None:
        """The error the provider gives a request that lacks what it requires (a key, an API
        version header), before any script or route sees it; None lets it through."""
        return None

    def success(self, content: str) -> ScriptedReply:
        """A successful reply whose model text is ``content``; subclasses define the shape."""
        raise NotImplementedError

    def not_found(self, path: str) -> ScriptedReply:
        return ScriptedReply(status=404, body={"error": {"message": f"no route {path}"}})

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not running; use it as a context manager")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        """What a client SDK takes as its base URL; providers differ in the path."""
        return self.url

    def start(self) -> Self:
        handler = _handler_for(self)
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        # Handler threads sleeping out a scripted delay must not hold up shutdown.
        self._httpd.block_on_close = False
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- serving ---------------------------------------------------------------------------

    def _next_reply(self, request: RecordedRequest) -> ScriptedReply:
        refused = self.refusal(request)
        routed = self._routed(request)
        with self._lock:
            self.requests.append(request)
            answers_script = routed is None and refused is None
            scripted = self._script.popleft() if self._script and answers_script else None
        if refused is not None:
            return refused
        if routed is not None:
            handler, match = routed
            return handler(request, match)
        if not any(request.path.rstrip("/").endswith(path) for path in self.paths):
            return self.not_found(request.path)
        if scripted is not None:
            return scripted
        return self.default_answer(request)

    def _routed(self, request: RecordedRequest) -> tuple[RouteHandler, re.Match[str]] | None:
        path = urlsplit(request.path).path.rstrip("/")
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is not None and method == request.method:
                return handler, match
        return None

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _wait(self, seconds: float) -> None:
        # An Event wait, not time.sleep, so that stop() cuts a long scripted delay short.
        if seconds > 0:
            self._stopping.wait(seconds)


def _handler_for(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle's algorithm on, the body waits for
        # the client's delayed ACK (~40 ms) on a kept-alive connection, which a real provider
        # does not add.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            self._answer()

        def do_GET(self) -> None:
            self._answer()

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = RecordedRequest(
                method=self.command,
                path=self.path,
                headers={key.lower(): value for key, value in self.headers.items()},
                body=body,
            )
            server._enter()
            try:
                reply = server._next_reply(request)
                server._wait(reply.delay or server.delay)
                self._send(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its timeout); nothing left to tell it
            finally:
                server._leave()

        def _send(self, reply: ScriptedReply) -> None:
            payload, content_type = reply.encoded()
            if reply.fault == "html":
                payload = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
                content_type = "text/html; charset=utf-8"
            elif reply.fault == "cut_body":
                payload = payload[: max(1, len(payload) // 2)]
            self.send_response(reply.status)
            headers = {"content-type": content_type}
            headers.update((name.lower(), value) for name, value in reply.headers.items())
            for name, value in headers.items():
                self.send_header(name, value)
            if reply.fault == "reset":
                self.send_header("Content-Length", str(len(payload) + 100))
                self.end_headers()
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                self._reset_connection()
                return
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _reset_connection(self) -> None:
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet: test output is for assertions, not access logs."""

    return Handler


def with_faults(responder: Responder, *, rate: float, seed: int) -> Responder:
    """``responder``, except that each fault in FAULTS strikes a share ``rate`` of the replies.

    Seeded, so a test or a benchmark sees the same faults in the same order on every run.
    """
    if not 0.0 <= rate * len(FAULTS) <= 1.0:
        raise ValueError(f"rate {rate} for {len(FAULTS)} faults exceeds 1")
    rng = random.Random(seed)
    lock = threading.Lock()

    def answer(request: RecordedRequest) -> ScriptedReply:
        reply = responder(request)
        with lock:
            draw = rng.random()
        index = int(draw / rate) if rate > 0 else len(FAULTS)
        return replace(reply, fault=FAULTS[index]) if index < len(FAULTS) else reply

    return answer
