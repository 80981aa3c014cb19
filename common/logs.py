"""Logging that carries the evaluation id, so one evaluation's lines can be followed anywhere."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager

_EVALUATION: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "hyposcore_evaluation", default=None
)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [evaluation=%(evaluation_id)s] %(message)s"


class EvaluationIdFilter(logging.Filter):
    """Stamp every record with the evaluation being worked on ("-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = _EVALUATION.get()
        record.evaluation_id = "-" if current is None else current
        return True


@contextmanager
def evaluation_context(evaluation_id: int) -> Iterator[None]:
    token = _EVALUATION.set(evaluation_id)
    try:
        yield
    finally:
        _EVALUATION.reset(token)


def configure_logging(level: str = "INFO") -> None:
    """Root logging with the evaluation id in every line (idempotent)."""
    root = logging.getLogger()
    if any(isinstance(f, EvaluationIdFilter) for h in root.handlers for f in h.filters):
        return
    handler = logging.StreamHandler()
    handler.addFilter(EvaluationIdFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
