"""The debate's records: turns as stored, round-control decisions, and the outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

from debates.backends.base import Usage
from debates.schema import TurnOutput


@dataclass(frozen=True)
class DebateConfig:
    """How one evaluation debates; stored (as a dict) in the ledger row's config."""

    backend: str = "evidence"
    panel: tuple[str, ...] | None = None  # None: core personas plus specialists picked by case
    min_rounds: int = 2
    max_rounds: int = 8
    convergence_threshold: float = 0.02
    model: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "panel": list(self.panel) if self.panel is not None else None,
            "min_rounds": self.min_rounds,
            "max_rounds": self.max_rounds,
            "convergence_threshold": self.convergence_threshold,
            "model": self.model,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DebateConfig:
        """The configuration stored by ``as_dict``, checked: a bad value raises a pydantic
        ValidationError naming the field; keys it does not know are ignored."""
        return _CONFIG.validate_python(dict(data))


@dataclass(frozen=True)
class TurnRecord:
    """A finished turn: what the persona said, which citations were unsupported, what it cost."""

    round: int
    persona: str
    output: TurnOutput
    unsupported_citations: tuple[str, ...] = ()
    backend: str = "evidence"
    model: str | None = None
    usage: Usage = field(default_factory=Usage)
    latency_ms: float = 0.0


@dataclass(frozen=True)
class Decision:
    """A round-control or panel decision, with its reason, as recorded in the ledger."""

    round: int
    action: str  # e.g. "panel", "continue", "stop", "add_specialist"
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DebateOutcome:
    turns: tuple[TurnRecord, ...]
    decisions: tuple[Decision, ...]
    panel: tuple[str, ...]
    rounds: int
    quality: float


_CONFIG: TypeAdapter[DebateConfig] = TypeAdapter(DebateConfig)
