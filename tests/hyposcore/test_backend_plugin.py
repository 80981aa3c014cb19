"""A backend from an outside package: built and installed by pip into a temporary folder, found
through the ``hyposcore.backends`` entry-point group, configured by its own HYPOSCORE_TINY_*
settings, and used by ``hyposcore debate`` without a line of hyposcore changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hyposcore.cli.common import open_database
from storage.importing import import_hypotheses
from tests.workers.pipeline_helpers import dataset_path

PYPROJECT = """\
[build-system]
requires = []
build-backend = "wheel_maker"
backend-path = ["."]

[project]
name = "tiny-backend"
version = "0.1"

[project.entry-points."hyposcore.backends"]
tiny = "tiny_backend:TinyBackend"
"""

# The whole backend: one module. It answers every request with the scripted backend's plain
# automatic reply and reports the model its own settings name.
MODULE = """\
from typing import Any, ClassVar

from pydantic_settings import SettingsConfigDict

from debates.backends.base import BackendResult, BackendSettings, Capabilities, Usage
from debates.backends.scripted import automatic_reply


class TinySettings(BackendSettings):
    model_config = SettingsConfigDict(env_prefix="HYPOSCORE_TINY_")

    model: str = "tiny-1"


class TinyBackend:
    name = "tiny"
    capabilities: ClassVar[Capabilities] = Capabilities(rate_limited=False)
    settings_model: ClassVar[type[BackendSettings]] = TinySettings

    def __init__(self, model: str) -> None:
        self.model = model

    @classmethod
    def create(cls, *, model: str = "tiny-1") -> "TinyBackend":
        return cls(model)

    def complete(self, request: Any) -> BackendResult[Any]:
        output = request.output_schema.model_validate(automatic_reply(request))
        return BackendResult(output=output, usage=Usage(), model=self.model)
"""

# pip needs a build backend; without network or the wheel package, the package brings its own:
# a wheel is a zip of the module plus its metadata, entry points read from pyproject.toml.
WHEEL_MAKER = """\
import tomllib
import zipfile
from pathlib import Path

DIST = "tiny_backend-0.1.dist-info"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
    groups = project["entry-points"]
    entry_points = "".join(
        f"[{group}]\\n" + "".join(f"{k} = {v}\\n" for k, v in points.items())
        for group, points in groups.items()
    )
    files = {
        "tiny_backend.py": Path("tiny_backend.py").read_text(),
        f"{DIST}/METADATA": f"Metadata-Version: 2.1\\nName: {project['name']}\\n"
        f"Version: {project['version']}\\n",
        f"{DIST}/WHEEL": "Wheel-Version: 1.0\\nGenerator: wheel_maker\\n"
        "Root-Is-Purelib: true\\nTag: py3-none-any\\n",
        f"{DIST}/entry_points.txt": entry_points,
    }
    name = "tiny_backend-0.1-py3-none-any.whl"
    with zipfile.ZipFile(Path(wheel_directory) / name, "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)
        wheel.writestr(f"{DIST}/RECORD", "".join(f"{p},,\\n" for p in [*files, f"{DIST}/RECORD"]))
    return name
"""


def _install_tiny_backend(tmp_path: Path) -> Path:
    package = tmp_path / "tiny-backend"
    package.mkdir()
    (package / "pyproject.toml").write_text(PYPROJECT)
    (package / "tiny_backend.py").write_text(MODULE)
    (package / "wheel_maker.py").write_text(WHEEL_MAKER)
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
    subprocess.run(
        [*pip, "--no-build-isolation", "--target", str(target), str(package)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert (target / "tiny_backend-0.1.dist-info" / "entry_points.txt").is_file()
    return target


def test_an_installed_backend_runs_a_debate_by_name(tmp_path: Path) -> None:
    import_hypotheses(open_database(), dataset_path())  # into this test's HYPOSCORE_DATA_DIR
    site = _install_tiny_backend(tmp_path)
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "HYPOSCORE_BACKEND": "tiny",
        "HYPOSCORE_TINY_MODEL": "tiny-from-env",
    }
    done = subprocess.run(
        [sys.executable, "-m", "hyposcore", "debate", "h-51e7234f", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome["hypothesis_id"] == "h-51e7234f"
    assert outcome["turns"] and outcome["decisions"][-1]["action"] == "stop"
    assert {(t["backend"], t["model"]) for t in outcome["turns"]} == {("tiny", "tiny-from-env")}
    listed = subprocess.run(
        [sys.executable, "-m", "hyposcore", "settings", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(listed.stdout)["tiny_model"] == "tiny-from-env"


def test_without_the_package_the_name_is_unknown() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hyposcore", "debate", "h-51e7234f"],
        env={**os.environ, "HYPOSCORE_BACKEND": "tiny"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "backend: unknown backend 'tiny'; available: anthropic, evidence" in done.stderr
