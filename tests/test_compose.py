"""docker-compose.yml's services come up: each command, run against this machine's servers.

No Docker engine runs here, so the test reads the compose file and starts every hyposcore
service's own command (and the workers' own health checks) with the compose environment
pointed at this machine's PostgreSQL and Redis instead of the compose hostnames.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from common.settings import Settings
from tests.conftest import REPO_ROOT
from tests.servers import REDIS_URL, free_port, fresh_postgres_database, require_redis
from tests.workers.harness import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
OUR_SERVICES = sorted(name for name, spec in SERVICES.items() if "build" in spec)


def _argv(command: list[str], ports: dict[str, int]) -> list[str]:
    """The compose command as a local process: our console scripts through this Python."""
    argv = list(command)
    if argv[0] in ("hyposcore", "celery"):
        argv = [sys.executable, "-m", argv[0], *argv[1:]]
    for index, word in enumerate(argv):
        if word == "--port" and index + 1 < len(argv):
            argv[index + 1] = str(ports["port"])
        elif word.startswith("--port="):
            argv[index] = f"--port={ports['port']}"
    return argv


def _environment(
    spec: dict[str, Any], database_url: str, data_dir: Path, prefix: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPOSCORE_")}
    compose_env = dict(spec.get("environment", {}))
    # The compose file's hostnames (postgres, redis, /data) become this machine's.
    replacements = {
        "HYPOSCORE_DATABASE_URL": database_url,
        "HYPOSCORE_BROKER_URL": REDIS_URL,
        "HYPOSCORE_DATA_DIR": str(data_dir),
        "HYPOSCORE_PAGES_DIR": str(data_dir / "pages"),
    }
    for key in compose_env:
        env[key] = replacements.get(key, str(compose_env[key]))
    env["HYPOSCORE_BROKER_KEY_PREFIX"] = prefix
    env["PYTHONPATH"] = str(REPO_ROOT)
    return env


@contextmanager
def _service(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
            return bool(response.status == 200)
    except OSError:
        return False


def test_compose_declares_the_services_the_design_names() -> None:
    assert {
        "redis",
        "postgres",
        "api",
        "worker-debates",
        "worker-scoring",
        "beat",
        "flower",
    } <= set(SERVICES)
    for name in ("redis", "postgres", *OUR_SERVICES):
        if name != "migrate":
            assert "healthcheck" in SERVICES[name], f"{name} has no health check"
    # Every HYPOSCORE_ variable the compose file sets is a real setting.
    fields = {f"HYPOSCORE_{name.upper()}" for name in Settings.model_fields}
    for name in OUR_SERVICES:
        assert set(SERVICES[name]["environment"]) <= fields, name


def test_a_worker_that_exits_is_started_again() -> None:
    # A worker whose pool cannot start exits; its supervisor (here compose) must restart it.
    for name in ("worker-debates", "worker-scoring", "beat", "api"):
        assert SERVICES[name].get("restart") == "unless-stopped", name


def test_every_service_command_comes_up(tmp_path: Path) -> None:
    require_redis()
    prefix = f"hyposcore-compose-{uuid.uuid4().hex[:8]}:"
    with fresh_postgres_database() as database_url:
        env_for = {
            name: _environment(SERVICES[name], database_url, tmp_path / "data", prefix)
            for name in OUR_SERVICES
        }
        migrate = SERVICES["migrate"]["command"]
        done = subprocess.run(
            _argv(migrate, {}),
            env=env_for["migrate"],
            cwd=REPO_ROOT,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()
        names = ("api", "worker-debates", "worker-scoring", "beat", "flower")
        with ExitStack() as stack:
            # Started together, as compose starts them, then each waited for in turn.
            ports = {name: free_port() for name in names}
            logs = {name: tmp_path / f"{name}.log" for name in names}
            processes = {
                name: stack.enter_context(
                    _service(
                        _argv(SERVICES[name]["command"], {"port": ports[name]}),
                        env_for[name],
                        logs[name],
                    )
                )
                for name in names
            }
            for name in names:
                _check_comes_up(name, processes[name], ports[name], env_for[name], logs[name])


def _check_comes_up(
    name: str, process: subprocess.Popen[bytes], port: int, env: dict[str, str], log: Path
) -> None:
    def alive_and(condition: bool) -> bool:
        assert process.poll() is None, f"{name} exited:\n{log.read_text(errors='replace')}"
        return condition

    if name in ("api",):
        wait_for(lambda: alive_and(_http_ok(f"http://127.0.0.1:{port}/healthz")), 60, name)
    elif name == "flower":
        wait_for(lambda: alive_and(_http_ok(f"http://127.0.0.1:{port}/healthcheck")), 60, name)
    elif name.startswith("worker"):
        wait_for(lambda: alive_and("ready." in log.read_text(errors="replace")), 90, name)
        _run_healthcheck(name, env)
    elif name == "beat":
        wait_for(lambda: alive_and("beat: Starting" in log.read_text(errors="replace")), 60, name)


def _run_healthcheck(name: str, env: dict[str, str]) -> None:
    """The compose health check of a worker, with $HOSTNAME as the container would have it."""
    test = SERVICES[name]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    command = test[1].replace("$$HOSTNAME", socket.gethostname())
    command = command.replace("celery ", f"{sys.executable} -m celery ", 1)
    result = subprocess.run(  # noqa: S602 - the compose file's own shell health check
        command,
        shell=True,
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert b"pong" in result.stdout
