"""Real worker processes for end-to-end and fault tests (``hyposcore.worker_process``)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from sqlalchemy import func, select

from hyposcore.worker_process import WorkerProcess
from storage.db import Database
from storage.models import TERMINAL_STATES, Evaluation

_TERMINAL = {state.value for state in TERMINAL_STATES}

__all__ = ["WorkerProcess", "all_finished", "evaluations", "hyposcore_env", "wait_for"]


def hyposcore_env(**settings: str) -> dict[str, str]:
    """The current environment with HYPOSCORE_* replaced by ``settings`` (upper-cased keys)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPOSCORE_")}
    env.update({f"HYPOSCORE_{k.upper()}": v for k, v in settings.items()})
    return env


def wait_for(
    condition: Callable[[], bool], timeout: float, what: object, *, interval: float = 0.2
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    message = what() if callable(what) else what
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {message}")


def evaluations(database: Database, ids: list[int]) -> list[Evaluation]:
    with database.sessions() as session:
        return [session.get(Evaluation, i) for i in ids]  # type: ignore[misc]


def all_finished(database: Database, ids: list[int]) -> bool:
    """One query, so that polling many evaluations costs the machine (and a benchmark) little."""
    with database.sessions() as session:
        unfinished = session.scalar(
            select(func.count())
            .select_from(Evaluation)
            .where(Evaluation.id.in_(ids), Evaluation.state.not_in(list(_TERMINAL)))
        )
    return unfinished == 0
