"""Backends by name: the built-in ones plus every class in the ``hyposcore.backends`` group.

A package adds a backend without touching hyposcore by declaring an entry point::

    [project.entry-points."hyposcore.backends"]
    mine = "my_package.backend:MyBackend"

The entry point's name is the backend's name (``HYPOSCORE_BACKEND=mine``); the class follows
:class:`~debates.backends.base.BackendClass`. Classes are imported when first asked for, so
listing the names costs no import, and provider SDKs are imported only when a backend is built.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import re
import threading
from importlib.metadata import entry_points
from typing import Any, cast

from debates.backends.base import AgentBackend, BackendClass, BackendSettings, Capabilities

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "hyposcore.backends"
BUILT_IN: dict[str, str] = {
    "evidence": "debates.backends.evidence.backend:EvidenceBackend",
    "openai": "debates.backends.openai_backend:OpenAIBackend",
    "anthropic": "debates.backends.anthropic_backend:AnthropicBackend",
    "scripted": "debates.backends.scripted:ScriptedBackend",
}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

_targets: dict[str, str] | None = None
_classes: dict[str, BackendClass] = {}
_lock = threading.Lock()


def available() -> list[str]:
    """Every backend name, sorted; nothing is imported to list them."""
    return sorted(_known_targets())


def backend_class(name: str) -> BackendClass:
    """The class registered as ``name``; ValueError naming the available ones when unknown."""
    with _lock:
        if name in _classes:
            return _classes[name]
    targets = _known_targets()
    if name not in targets:
        raise ValueError(f"unknown backend {name!r}; available: {', '.join(sorted(targets))}")
    cls = _checked(name, _load(targets[name]), targets[name])
    with _lock:
        return _classes.setdefault(name, cls)


def create(name: str, **options: Any) -> AgentBackend:
    """Build backend ``name`` from explicit options (URLs, keys, model names), no environment."""
    return backend_class(name).create(**options)


def backend_settings(name: str) -> BackendSettings:
    """Backend ``name``'s options as its settings model reads them from the environment."""
    return backend_class(name).settings_model()


def create_from_settings(name: str, *, model: str | None = None) -> AgentBackend:
    """Build backend ``name`` from its own ``HYPOSCORE_<NAME>_*`` settings.

    ``model`` overrides the configured model of a backend that has one; a backend without a
    model option ignores it (``debates.config.validate_config`` refuses a configuration that
    names one for it).
    """
    cls = backend_class(name)
    options = cls.settings_model().options()
    if model is not None and takes_a_model(name):
        options["model"] = model
    return cls.create(**options)


def takes_a_model(name: str) -> bool:
    """Whether backend ``name`` answers as a model one can choose (its settings have one)."""
    return "model" in backend_class(name).settings_model.model_fields


def capabilities(name: str) -> Capabilities:
    """What backend ``name`` can do with its configured options.

    Read again only when the settings' sources change (the ``HYPOSCORE_*`` environment, the
    working directory's ``.env``): a worker asks at every debate, and reading the settings
    costs more than rendering a turn's prompt.
    """
    return _capabilities(name, _settings_sources())


@functools.lru_cache(maxsize=64)
def _capabilities(name: str, sources: tuple[object, ...]) -> Capabilities:
    cls = backend_class(name)
    return cls.settings_model().capabilities(cls.capabilities)


def _settings_sources() -> tuple[object, ...]:
    """What a backend's settings are read from, as a key that changes when they do."""
    # pydantic-settings matches variable names case-insensitively.
    environment = sorted(i for i in os.environ.items() if i[0].upper().startswith("HYPOSCORE_"))
    try:
        found = os.stat(".env")
        dotenv: tuple[int, ...] | None = (found.st_ino, found.st_mtime_ns, found.st_size)
    except OSError:
        dotenv = None
    return tuple(environment), os.getcwd(), dotenv


def all_capabilities() -> dict[str, Capabilities]:
    """Every loadable backend's capabilities; one that fails to load is logged and left out,
    so a broken plug-in cannot stop the backends that work (naming it still raises)."""
    found: dict[str, Capabilities] = {}
    for name in available():
        try:
            found[name] = capabilities(name)
        except Exception as exc:  # a third party's import or settings error, any kind
            log.warning("backend %r left out: %s: %s", name, type(exc).__name__, exc)
    return found


def _known_targets() -> dict[str, str]:
    global _targets
    with _lock:
        if _targets is None:
            _targets = _discover()
        return _targets


def _discover() -> dict[str, str]:
    targets = dict(BUILT_IN)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        known = targets.get(point.name)
        if known is not None and known != point.value:
            raise ValueError(
                f"backend {point.name!r} is registered twice: {known} and {point.value} "
                f"(entry point group {ENTRY_POINT_GROUP})"
            )
        targets[point.name] = point.value
    return targets


def _load(target: str) -> object:
    module_name, _, attribute = target.partition(":")
    value: object = importlib.import_module(module_name)
    for part in attribute.split("."):
        value = getattr(value, part)
    return value


def _checked(name: str, cls: object, target: str) -> BackendClass:
    """``cls`` if it is a usable backend class registered under its own name."""
    if not _NAME.match(name):
        raise ValueError(f"backend name {name!r} ({target}) must match {_NAME.pattern}")
    problems = []
    if getattr(cls, "name", None) != name:
        problems.append(f"its name is {getattr(cls, 'name', None)!r}, not {name!r}")
    if not isinstance(getattr(cls, "capabilities", None), Capabilities):
        problems.append("capabilities is not a Capabilities")
    settings_model = getattr(cls, "settings_model", None)
    prefix = f"HYPOSCORE_{name.upper()}_"
    if not (isinstance(settings_model, type) and issubclass(settings_model, BackendSettings)):
        problems.append("settings_model is not a BackendSettings subclass")
    elif settings_model.model_config.get("env_prefix") != prefix:
        problems.append(f"settings_model's env_prefix is not {prefix!r}")
    if not callable(getattr(cls, "create", None)):
        problems.append("it has no create(**options)")
    if problems:
        raise ValueError(f"backend {name!r} ({target}) is not usable: {'; '.join(problems)}")
    return cast(BackendClass, cls)
