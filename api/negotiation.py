"""Content negotiation: a browser asking for an API resource is sent to its web view.

Browsers send ``Accept: text/html,…,*/*;q=0.8``; API clients send ``application/json`` or
``*/*`` (curl, httpx, requests). Only an Accept header that names ``text/html`` and ranks it
above JSON gets the redirect, so every client that does not ask for HTML keeps JSON.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse

SEE_THE_VIEW: dict[int | str, dict[str, Any]] = {
    303: {
        "description": (
            "Sent instead of JSON when the request's Accept header prefers text/html (a "
            "browser): Location is the resource's web view under /web/."
        )
    }
}


def _quality(media_range: str) -> tuple[str, float]:
    kind, *params = (part.strip() for part in media_range.split(";"))
    quality = 1.0
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
    return kind.lower(), quality


def prefers_html(request: Request) -> bool:
    """Whether the Accept header ranks text/html above application/json."""
    ranges = dict(_quality(part) for part in request.headers.get("accept", "").split(",") if part)
    html = ranges.get("text/html", 0.0)
    json = max(ranges.get("application/json", 0.0), ranges.get("application/*", 0.0))
    return html > 0.0 and html > json


def view_redirect(request: Request, view_path: str) -> RedirectResponse | None:
    """A 303 to ``view_path`` for a browser, ``None`` for an API client."""
    if not prefers_html(request):
        return None
    return RedirectResponse(view_path, status_code=303, headers={"Vary": "Accept"})
