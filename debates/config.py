"""The one check of a debate configuration, made where a configuration enters.

The API, the CLI and the scheduler call :func:`validate_config` before anything is queued, and
the runner calls it again before it debates, so a worker never starts on a configuration that
cannot be debated. Every refusal is a :class:`ConfigError` naming the field that is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from debates.backends import registry
from debates.personas import get_persona
from debates.types import DebateConfig

MIN_ROUNDS = 2
MAX_ROUNDS = 8


class ConfigError(ValueError):
    """A debate configuration that cannot be debated; ``field`` names the culprit."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def validate_config(config: DebateConfig) -> DebateConfig:
    """``config`` with its panel keys trimmed, or ConfigError naming the first wrong field."""
    _check_rounds(config.min_rounds, config.max_rounds)
    if not 0.0 <= config.convergence_threshold <= 1.0:
        raise ConfigError(
            "convergence_threshold", f"{config.convergence_threshold} is outside [0, 1]"
        )
    if config.backend not in registry.available():
        raise ConfigError(
            "backend",
            f"unknown backend {config.backend!r}; available: {', '.join(registry.available())}",
        )
    if config.model is not None and not registry.takes_a_model(config.backend):
        # Built without it, the backend would debate as itself while the request named a model.
        raise ConfigError(
            "model", f"backend {config.backend!r} has no model to choose (got {config.model!r})"
        )
    if config.panel is None:
        return config
    return replace(config, panel=validate_panel(config.panel))


def validate_panel(requested: Sequence[str]) -> tuple[str, ...]:
    """The requested persona keys, trimmed: each known, none twice, at least one."""
    keys = tuple(key.strip() for key in requested if key.strip())
    if not keys:
        raise ConfigError("panel", "the configured panel is empty")
    seen: set[str] = set()
    for key in keys:
        try:
            get_persona(key)
        except ValueError as exc:  # names the unknown persona and the known ones
            raise ConfigError("panel", str(exc)) from None
        if key in seen:
            raise ConfigError("panel", f"persona {key!r} is listed twice")
        seen.add(key)
    return keys


def _check_rounds(min_rounds: int, max_rounds: int) -> None:
    for field, value in (("max_rounds", max_rounds), ("min_rounds", min_rounds)):
        if not MIN_ROUNDS <= value <= MAX_ROUNDS:
            raise ConfigError(field, f"{value} is outside [{MIN_ROUNDS}, {MAX_ROUNDS}]")
    if min_rounds > max_rounds:
        raise ConfigError(
            "min_rounds",
            f"{min_rounds} is greater than max_rounds {max_rounds} "
            f"(got min_rounds={min_rounds}, max_rounds={max_rounds})",
        )
