"""Blend the personas' dimension scores into one composite with an uncertainty interval.

Per dimension, the estimate is a mean over the personas that scored it, each weighted by
``believability * confidence``. Its uncertainty combines the observed spread with a prior spread
(so that one persona alone never looks certain) and shrinks with the effective number of
personas. The composite is the weighted sum over the dimensions that were scored, with the
weights renormalised over them; unscored dimensions are listed as missing, never taken as 0.
See docs/scoring.md for the formulas.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from types import MappingProxyType
from typing import Any

from scoring.dimensions import Dimension
from scoring.weights import Weights

# Prior standard deviation of a dimension score: what we assume about disagreement before any
# persona has spoken. 0.15 is the spread of a score that is "somewhere in a 0.3-wide band".
PRIOR_SD = 0.15
# How many personas' worth of evidence the prior spread counts as.
PRIOR_WEIGHT = 1.0
DEFAULT_LEVEL = 0.8


class BlendError(ValueError):
    """The scores could not be blended; the message names the persona and dimension."""


@dataclass(frozen=True)
class PersonaScores:
    """What one persona said: scores in [0, 1] for the dimensions it covers, and how sure it is."""

    persona: str
    scores: Mapping[Dimension, float]
    confidence: float
    believability: float = 1.0


@dataclass(frozen=True)
class DimensionEstimate:
    mean: float
    low: float
    high: float
    n: int  # personas that scored the dimension with a positive weight
    se: float  # standard error of the mean

    def as_dict(self) -> dict[str, float | int]:
        return {"mean": self.mean, "low": self.low, "high": self.high, "n": self.n}


@dataclass(frozen=True)
class Blend:
    dimensions: Mapping[Dimension, DimensionEstimate]
    missing: tuple[Dimension, ...]
    coverage: float  # share of the total weight carried by the scored dimensions, in (0, 1]
    composite: float
    composite_low: float
    composite_high: float
    level: float
    config_hash: str
    effective_weights: Mapping[Dimension, float] = field(default_factory=dict)

    def snapshot_fields(self) -> dict[str, Any]:
        """The columns of a ``ScoreSnapshot`` this blend fills in (missing dimensions absent)."""
        return {
            "dimensions": {d.value: e.as_dict() for d, e in self.dimensions.items()},
            "composite": self.composite,
            "composite_low": self.composite_low,
            "composite_high": self.composite_high,
            "coverage": self.coverage,
            "config_hash": self.config_hash,
        }


def z_value(level: float) -> float:
    """The two-sided standard-normal quantile: 1.2816 for an 80% interval."""
    if not 0.0 < level < 1.0:
        raise BlendError(f"interval level must be strictly between 0 and 1, got {level!r}")
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def estimate_dimension(
    values: Sequence[float], weights: Sequence[float], *, level: float = DEFAULT_LEVEL
) -> DimensionEstimate:
    """The weighted mean of ``values`` with its interval; ``weights`` must be positive."""
    total = math.fsum(weights)
    mean = math.fsum(w * x for w, x in zip(weights, values, strict=True)) / total
    spread = math.fsum(w * (x - mean) ** 2 for w, x in zip(weights, values, strict=True)) / total
    n_eff = total**2 / math.fsum(w * w for w in weights)
    variance = (PRIOR_WEIGHT * PRIOR_SD**2 + n_eff * spread) / (PRIOR_WEIGHT + n_eff)
    se = math.sqrt(variance / n_eff)
    half = z_value(level) * se
    mean = _unit(mean)
    return DimensionEstimate(
        mean=mean, low=_unit(mean - half), high=_unit(mean + half), n=len(values), se=se
    )


def blend(scores: Sequence[PersonaScores], weights: Weights, level: float = DEFAULT_LEVEL) -> Blend:
    """Blend every persona's scores; raises BlendError if nothing at all was scored."""
    z = z_value(level)
    columns: dict[Dimension, tuple[list[float], list[float]]] = {d: ([], []) for d in Dimension}
    for entry in scores:
        weight = _persona_weight(entry)
        for raw_dimension, value in entry.scores.items():
            dimension = _dimension(raw_dimension, entry.persona)
            _check_unit(value, f"persona {entry.persona!r}: score of {dimension.value}")
            if weight > 0:
                columns[dimension][0].append(float(value))
                columns[dimension][1].append(weight)
    estimates = {
        d: estimate_dimension(values, ws, level=level)
        for d, (values, ws) in columns.items()
        if values
    }
    missing = tuple(d for d in Dimension if d not in estimates)
    covered = math.fsum(weights[d] for d in estimates)
    if not estimates or covered <= 0:
        raise BlendError(
            "no dimension with a positive weight was scored with a positive "
            "believability * confidence; there is nothing to blend"
        )
    effective = {d: weights[d] / covered for d in estimates}
    composite = _unit(math.fsum(effective[d] * e.mean for d, e in estimates.items()))
    # The same personas score every dimension, so their errors are positively correlated; the
    # weighted sum of standard errors is the fully correlated (widest, honest) case.
    composite_se = math.fsum(effective[d] * e.se for d, e in estimates.items())
    return Blend(
        dimensions=MappingProxyType(estimates),
        missing=missing,
        coverage=min(1.0, covered),
        composite=composite,
        composite_low=_unit(composite - z * composite_se),
        composite_high=_unit(composite + z * composite_se),
        level=level,
        config_hash=weights.hash,
        effective_weights=MappingProxyType(effective),
    )


def _persona_weight(entry: PersonaScores) -> float:
    _check_unit(entry.confidence, f"persona {entry.persona!r}: confidence")
    believability = entry.believability
    if not math.isfinite(believability) or believability < 0:
        raise BlendError(
            f"persona {entry.persona!r}: believability must be finite and >= 0, "
            f"got {believability!r}"
        )
    return believability * entry.confidence


def _dimension(raw: Dimension | str, persona: str) -> Dimension:
    try:
        return Dimension(raw)
    except ValueError:
        raise BlendError(f"persona {persona!r}: unknown dimension {raw!r}") from None


def _check_unit(value: float, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BlendError(f"{what} must be a number in [0, 1], got {value!r}")
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise BlendError(f"{what} must be in [0, 1], got {value!r}")


def _unit(x: float) -> float:
    return min(1.0, max(0.0, x))
