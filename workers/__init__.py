"""Celery workers: the thin tasks that move an evaluation through the pipeline.

``celery -A workers worker`` finds the app as ``workers.app``; it is built on first access so
that importing a helper such as ``workers.cases`` does not configure Celery.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("app", "celery"):
        from workers.celery_app import get_app

        return get_app()
    raise AttributeError(name)
