"""The one error format: ``{"error": {"code": ..., "message": ..., "details": ...}}``.

Every failure the API answers (401, 404, 413, 422, 500, ...) goes through here, whether
FastAPI, Starlette, storage or an endpoint raised it, so clients parse errors one way. A
failure under the web views (``/`` and ``/web/...``) is answered with the same status and
message as an HTML page instead, when the app was given one: whoever asked is a browser.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from storage.errors import IdempotencyConflictError, InvalidInputError, NotFoundError

log = logging.getLogger("hyposcore.api")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error an endpoint raises on purpose, with its status, code and optional details."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_"))
        self.message = message
        self.details = details
        self.headers = headers


def error_body(
    status: int, message: str, *, code: str | None = None, details: Any = None
) -> dict[str, Any]:
    return {
        "error": {
            "code": code or _CODES.get(status, "error"),
            "message": message,
            "details": jsonable_encoder(details),
        }
    }


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    # Set here too, not only by the middleware: a 500 is answered outside the middleware stack.
    headers = {"X-Content-Type-Options": "nosniff", **(headers or {})}
    return JSONResponse(
        error_body(status, message, code=code, details=details), status_code=status, headers=headers
    )


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Keep what says where and what; drop echoed input, which may be large or hostile.
    return [
        {
            "location": [str(part) for part in err.get("loc", ())],
            "message": str(err.get("msg", "")),
            "type": str(err.get("type", "")),
        }
        for err in exc.errors()
    ]


async def _on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _answer(
        request, exc.status, exc.message, code=exc.code, details=exc.details, headers=exc.headers
    )


# An HTML page for a failed web-view request: request, status, message, extra headers.
ErrorPage = Callable[[Request, int, str, dict[str, str] | None], Response]


def _is_web_view(request: Request) -> bool:
    path = str(request.scope.get("path", ""))
    root = str(request.scope.get("root_path", ""))
    if root and path.startswith(root):
        path = path[len(root) :]
    return path == "/" or path.startswith("/web/")


def _answer(
    request: Request,
    status: int,
    message: str,
    *,
    code: str | None = None,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The error as JSON, or as the app's error page under the web views."""
    page: ErrorPage | None = getattr(request.app.state, "error_page", None)
    if page is not None and _is_web_view(request):
        return page(request, status, message, headers)
    return error_response(status, message, code=code, details=details, headers=headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers on this path (OPTIONS always), for the Allow header.

    Starlette's 405 names only the methods of the first route that matched the path, so a path
    served by two routes (GET and POST /evaluations) would advertise only one of them.
    """
    methods = {"OPTIONS"}
    for route in request.app.router.routes:
        if isinstance(route, Mount):  # static files answer their own methods
            continue
        for method in _METHODS:
            match, _ = route.matches({**request.scope, "method": method})
            if match == Match.FULL:
                methods.add(method)
    return sorted(methods)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 405:
        allow = ", ".join(allowed_methods(request))
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": allow})
        headers = {**(headers or {}), "Allow": allow}
        message = f"{request.method} is not allowed here; allowed: {allow}"
    return _answer(request, exc.status_code, message, headers=headers)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = _validation_details(exc)
    if any(d["type"] == "json_invalid" for d in details):
        message = "the request body is not valid JSON"
    else:
        where = ", ".join(".".join(d["location"]) + ": " + d["message"] for d in details[:5])
        message = f"invalid request: {where}"
    return _answer(request, 422, message, details=details)


async def _on_not_found(request: Request, exc: Exception) -> Response:
    return _answer(request, 404, str(exc))


async def _on_invalid_input(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidInputError)
    return _answer(
        request, 422, str(exc), details=[{"message": str(problem)} for problem in exc.problems]
    )


async def _on_idempotency_conflict(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IdempotencyConflictError)
    return error_response(
        422,
        str(exc),
        code="idempotency_key_reused",
        details={"idempotency_key": exc.key, "evaluation_id": exc.evaluation_id},
    )


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    message = "internal error; the server log has the details"
    try:
        return _answer(request, 500, message)
    except Exception:  # the page itself failed to render: JSON needs no template
        log.exception("the error page failed on %s %s", request.method, request.url.path)
        return error_response(500, message)


def install_error_handlers(app: FastAPI, *, page: ErrorPage | None = None) -> None:
    """Answer every failure in the one error format; with ``page``, failures under the web
    views as that HTML page."""
    app.state.error_page = page
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(NotFoundError, _on_not_found)
    app.add_exception_handler(InvalidInputError, _on_invalid_input)
    app.add_exception_handler(IdempotencyConflictError, _on_idempotency_conflict)
    app.add_exception_handler(Exception, _on_unexpected)
