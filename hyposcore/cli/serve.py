"""``hyposcore serve``: the HTTP API and web views under uvicorn."""

from __future__ import annotations

import typer

from common.settings import get_settings
from hyposcore.cli.common import console, open_database


def serve(
    host: str | None = typer.Option(None, help="Interface to bind; default HYPOSCORE_API_HOST."),
    port: int | None = typer.Option(
        None, min=1, max=65535, help="Port; default HYPOSCORE_API_PORT."
    ),
    reload: bool = typer.Option(False, "--reload", help="Restart on code changes (development)."),
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) and the web views."""
    import uvicorn

    settings = get_settings()
    # Migrate once here, not in every worker process uvicorn may start.
    open_database(settings, upgrade=True).dispose()
    bind_host = host or settings.api_host
    bind_port = port or settings.api_port
    console.print(f"serving on http://{bind_host}:{bind_port} (API docs at /docs)")
    uvicorn.run(
        "api.app:create_served_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        reload=reload,
        log_level=settings.log_level.lower(),
    )
