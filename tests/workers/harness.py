"""Real worker processes for end-to-end and fault tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType

from sqlalchemy import func, select

from storage.db import Database
from storage.models import TERMINAL_STATES, Evaluation

_TERMINAL = {state.value for state in TERMINAL_STATES}


def hyposcore_env(**settings: str) -> dict[str, str]:
    """The current environment with HYPOSCORE_* replaced by ``settings`` (upper-cased keys)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPOSCORE_")}
    env.update({f"HYPOSCORE_{k.upper()}": v for k, v in settings.items()})
    return env


class WorkerProcess:
    """``python -m hyposcore worker`` in its own process group, logging to a file."""

    def __init__(
        self,
        env: Mapping[str, str],
        log_path: Path,
        *,
        queues: str = "debates,scoring,publish",
        pool: str = "threads",
        concurrency: int = 4,
        name: str = "w1",
    ) -> None:
        self.env = dict(env)
        self.log_path = log_path
        self.argv = [
            sys.executable,
            "-m",
            "hyposcore",
            "worker",
            "-Q",
            queues,
            "-P",
            pool,
            "-c",
            str(concurrency),
            "-n",
            f"{name}@%h",
            "-l",
            "INFO",
        ]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, ready_timeout: float = 60.0) -> WorkerProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_for(lambda: "ready." in self.log(), ready_timeout, f"worker ready; log:\n{self.log}")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean shutdown, no message restored."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> WorkerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


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
