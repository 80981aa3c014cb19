"""Dimension weights: validated, immutable, and identified by a hash every snapshot records.

Two score histories are only comparable when they were blended with the same weights, so each
configuration is addressed by the SHA-256 of a canonical form; a change of weights is a new
hash, never a silent change of scale.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from types import MappingProxyType

from scoring.dimensions import DEFAULT_WEIGHTS, Dimension

# Weights read from YAML or JSON carry rounding noise; anything closer to 1 than this is 1.
SUM_TOLERANCE = 1e-6
# The version of the blend's rules (scoring.blend: interval model, who counts as evidence).
# It is part of the hash, so snapshots blended under other rules carry another config hash
# and history is never rewritten. Bump it whenever scoring.blend changes what it computes.
SCORING_RULES = "blend-2: t intervals, prior df 6, persona correlation 0.5, aggregates fill in"


class WeightsError(ValueError):
    """A weight configuration was refused; the message names the dimension or the total."""


class Weights(Mapping[Dimension, float]):
    """An immutable mapping of every dimension to a non-negative weight; the weights sum to 1."""

    __slots__ = ("_hash", "_values")

    def __init__(self, values: Mapping[Dimension, float]) -> None:
        self._values = MappingProxyType({d: float(values[d]) for d in Dimension})
        self._hash = _digest(self._values)

    @classmethod
    def default(cls) -> Weights:
        return cls.from_mapping(DEFAULT_WEIGHTS)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, float] | Mapping[Dimension, float]) -> Weights:
        """Validate ``mapping`` (dimension name or Dimension -> weight) and build the weights.

        Every one of the ten dimensions must be given (a weight of 0 is allowed and explicit);
        unknown names, negative or non-finite weights, and totals other than 1 are refused.
        """
        values: dict[Dimension, float] = {}
        for key, raw in mapping.items():
            try:
                dimension = Dimension(key)
            except ValueError:
                known = ", ".join(d.value for d in Dimension)
                raise WeightsError(f"unknown dimension {key!r}; known: {known}") from None
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise WeightsError(f"weight of {dimension.value} must be a number, got {raw!r}")
            weight = float(raw)
            if not math.isfinite(weight) or weight < 0:
                raise WeightsError(
                    f"weight of {dimension.value} must be finite and >= 0, got {raw!r}"
                )
            values[dimension] = weight
        absent = [d.value for d in Dimension if d not in values]
        if absent:
            raise WeightsError(f"missing weight for {', '.join(absent)}")
        total = math.fsum(values.values())
        if abs(total - 1.0) > SUM_TOLERANCE:
            raise WeightsError(f"weights must sum to 1, but they sum to {total:.6g}")
        return cls(values)

    @property
    def hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON form with the rules' version; equal weights under
        the same rules give equal hashes."""
        return self._hash

    def as_dict(self) -> dict[str, float]:
        """Plain ``{dimension name: weight}``, the form stored in ``scoring_configs``."""
        return {d.value: w for d, w in self._values.items()}

    def __getitem__(self, key: Dimension) -> float:
        return self._values[key]

    def __iter__(self) -> Iterator[Dimension]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Weights) and other._hash == self._hash

    def __hash__(self) -> int:
        return hash(self._hash)

    def __repr__(self) -> str:
        return f"Weights({self.as_dict()!r})"


def _digest(values: Mapping[Dimension, float]) -> str:
    # repr() of a float round-trips exactly, so the canonical form loses nothing; sorting the
    # keys makes it independent of the order the weights were written in.
    canonical = json.dumps(
        {"rules": SCORING_RULES, **{d.value: repr(w) for d, w in values.items()}},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
