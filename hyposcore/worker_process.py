"""A ``hyposcore worker`` in a process of its own: what the demo, the tests and the benchmarks run.

It runs in its own process group, so stopping it also stops the pool children a prefork worker
forks, and it logs to a file, whose "ready." line says the worker is taking tasks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType


class WorkerStartError(RuntimeError):
    """The worker exited, or did not say it was ready in time; the message names its log."""


class WorkerProcess:
    """``python -m hyposcore worker`` with ``env`` (the HYPOSCORE_* settings), logging to a file."""

    def __init__(
        self,
        env: Mapping[str, str],
        log_path: Path,
        *,
        queues: str = "debates,scoring,publish",
        pool: str = "threads",
        concurrency: int = 4,
        name: str = "worker",
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

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def start(self, *, ready_timeout: float = 60.0) -> WorkerProcess:
        """Start the worker and wait until it takes tasks; WorkerStartError if it does not."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + ready_timeout
        while "ready." not in self.log():
            if self.process.poll() is not None:
                raise WorkerStartError(f"the worker exited at start; see {self.log_path}")
            if time.monotonic() > deadline:
                self.kill()
                raise WorkerStartError(
                    f"the worker was not ready after {ready_timeout:.0f} s; see {self.log_path}"
                )
            time.sleep(0.1)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean shutdown, no message restored."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, *, timeout: float = 30.0) -> None:
        """SIGTERM (a warm shutdown: running tasks finish), then SIGKILL after ``timeout``."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
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
