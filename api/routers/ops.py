"""Operations: the health check and Prometheus metrics."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import DatabaseDep
from api.errors import error_response
from api.metrics import CONTENT_TYPE, render_metrics
from storage.queries.workers import WorkerStatus, list_workers

log = logging.getLogger("hyposcore.api")

router = APIRouter(tags=["operations"])


@router.get("/healthz", responses={503: {"description": "The database is unreachable."}})
def healthz(database: DatabaseDep) -> Any:
    """200 when the database answers a query, 503 (in the error format) when it does not.

    ``workers`` lists the workers whose heartbeat in the ledger is fresh (host, pid, queues,
    debate backend, broker, last beat, the evaluations they hold); an empty list means queued
    evaluations wait until ``hyposcore worker`` runs somewhere."""
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        with database.sessions() as session:
            workers = list_workers(session, include_gone=False)
    except SQLAlchemyError as exc:
        log.warning("health check failed: %s", exc)
        return error_response(
            503,
            "the database is unreachable",
            code="unavailable",
            details={"database": type(exc).__name__},
        )
    return JSONResponse(
        {
            "status": "ok",
            "database": database.dialect,
            "workers": [_worker_json(worker) for worker in workers],
        }
    )


def _worker_json(worker: WorkerStatus) -> dict[str, Any]:
    return {
        "name": worker.name,
        "host": worker.host,
        "pid": worker.pid,
        "queues": list(worker.queues),
        "backend": worker.backend,
        "broker": worker.broker,
        "started_at": worker.started_at.isoformat(),
        "last_beat_at": worker.last_beat_at.isoformat(),
        "current_evaluations": list(worker.current_evaluations),
    }


@router.get("/metrics", response_class=Response)
def metrics(database: DatabaseDep) -> Response:
    """Prometheus text format: evaluations by state, queue depth, turn latency, provider
    errors and page publishes, all computed from the database at scrape time."""
    with database.sessions() as session:
        body = render_metrics(session)
    return Response(body, media_type=CONTENT_TYPE)
