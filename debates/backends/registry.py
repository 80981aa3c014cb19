"""Backends by name: ``register`` a factory, ``create`` an instance from settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from debates.backends.base import AgentBackend

BackendFactory = Callable[..., AgentBackend]

_FACTORIES: dict[str, BackendFactory] = {}


def register(name: str) -> Callable[[BackendFactory], BackendFactory]:
    """Decorator: make ``factory`` creatable as backend ``name``."""

    def decorate(factory: BackendFactory) -> BackendFactory:
        if name in _FACTORIES and _FACTORIES[name] is not factory:
            raise ValueError(f"backend {name!r} is registered twice")
        _FACTORIES[name] = factory
        return factory

    return decorate


def available() -> list[str]:
    _load_builtin()
    return sorted(_FACTORIES)


def create(name: str, **options: Any) -> AgentBackend:
    """Build backend ``name``; options are passed to its factory (URLs, keys, model names)."""
    _load_builtin()
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ValueError(
            f"unknown backend {name!r}; available: {', '.join(sorted(_FACTORIES))}"
        ) from None
    return factory(**options)


def _load_builtin() -> None:
    # Importing the modules registers them; provider SDKs are imported lazily inside each
    # backend, so a core install without the optional extras still lists every name.
    import importlib

    for module in (
        "debates.backends.evidence.backend",
        "debates.backends.openai_backend",
        "debates.backends.anthropic_backend",
        "debates.backends.scripted",
    ):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
