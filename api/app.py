"""The HTTP API and web views: ``create_app`` builds a FastAPI app around one database.

Reads are public; writes (queueing evaluations) need a bearer token made with
``hyposcore token create NAME``. OpenAPI documentation is served at ``/docs``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.docs import install_offline_docs
from api.errors import install_error_handlers
from api.middleware import BodySizeLimit, RequestLog
from api.openapi import install_openapi
from api.routers import (
    backtests,
    badges,
    evaluations,
    exchange,
    genes,
    hypotheses,
    ops,
    web,
    web_ops,
)
from api.security import SecurityHeaders, TrustedHosts
from common.logs import configure_logging
from common.settings import Settings, get_settings
from storage.db import Database

STATIC_DIR = Path(__file__).resolve().parent / "static"

DESCRIPTION = """
Scores of scientific hypotheses from multi-agent debates: hypotheses, evaluations and their
debates, score history, market prices, the tournament leaderboard, badges and gene pages.

Reads are public. Writes need `Authorization: Bearer <token>` (create one with
`hyposcore token create NAME`). Lists are paginated with `limit` (1-500, default 50) and
`offset`. Every error has the form `{"error": {"code", "message", "details"}}`.
"""


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the app; without arguments it uses the configured settings and database."""
    settings = settings or get_settings()
    if database is None:
        settings.ensure_data_dir()
        database = Database(
            settings.resolved_database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
    logging.getLogger("hyposcore").setLevel(settings.log_level)

    app = FastAPI(
        title="hyposcore",
        version="0.1.0",
        description=DESCRIPTION,
        # /docs and /redoc are served from local assets by install_offline_docs.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.database = database
    install_error_handlers(app, page=web.error_page)
    install_openapi(app)
    for module in (hypotheses, evaluations, exchange, genes, badges, ops, web, web_ops):
        app.include_router(module.router)
    app.include_router(backtests.router)
    app.include_router(backtests.web_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_offline_docs(app)
    # Innermost first: the log sees every request, including those the host check and the
    # size limit refuse, and every response leaves with the security headers.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(TrustedHosts, allowed=settings.resolved_allowed_hosts)
    app.add_middleware(RequestLog)
    app.add_middleware(SecurityHeaders)
    return app


def create_served_app() -> FastAPI:
    """The factory ``hyposcore serve`` hands uvicorn: logging configured, then the app.

    Logging is set up here rather than in the CLI so that it also holds in the processes
    uvicorn starts with ``--reload``.
    """
    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
