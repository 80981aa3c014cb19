"""Blend the personas' dimension scores into one composite with an uncertainty interval.

The stated model (docs/scoring.md, section 2): each persona's score of a dimension is the true
value plus noise of an unknown spread sigma, independent between personas; a persona's errors on
the dimensions it scores correlate at ``PERSONA_CORRELATION``. Before anyone speaks, sigma^2 is
scaled-inverse-chi-square with ``PRIOR_DF`` degrees of freedom around ``PRIOR_SD``^2.

Per dimension, the estimate is a mean over the personas that scored it, each weighted by
``believability * confidence``; the spread estimate pools the prior with the observed spread,
and the interval is Student's t with the pooled degrees of freedom, so a lone persona's
interval is as wide as the prior says, not zero. A persona marked ``aggregate`` (the
Synthesizer, whose scores are means of the others') counts only where nobody else scored: its
copy is not independent evidence. The composite is the weighted sum over the scored dimensions,
with the weights renormalised over them; unscored dimensions are listed as missing, never 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from types import MappingProxyType
from typing import Any

from scoring.dimensions import Dimension
from scoring.student import t_value
from scoring.weights import Weights

# Prior standard deviation of a dimension score: what we assume about disagreement before any
# persona has spoken. 0.15 is the spread of a score that is "somewhere in a 0.3-wide band".
PRIOR_SD = 0.15
# How many degrees of freedom the prior spread counts as: six personas' worth of disagreement.
PRIOR_DF = 6.0
# Correlation of one persona's errors across the dimensions it scores (a persona that rates
# one dimension too high tends to rate its others too high as well).
PERSONA_CORRELATION = 0.5
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
    aggregate: bool = False  # its scores summarise the others': used only where nobody else scored


@dataclass(frozen=True)
class DimensionEstimate:
    mean: float
    low: float
    high: float
    n: int  # personas that scored the dimension with a positive weight
    se: float  # standard error of the mean
    df: float = math.inf  # degrees of freedom of the spread estimate (Student's t)
    sd: float = PRIOR_SD  # the estimated spread of one persona's score

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
    shares = [w / total for w in weights]
    mean = math.fsum(a * x for a, x in zip(shares, values, strict=True))
    spread = math.fsum(a * (x - mean) ** 2 for a, x in zip(shares, values, strict=True))
    concentration = math.fsum(a * a for a in shares)  # 1 / n_eff
    n_eff = 1.0 / concentration
    # E[spread] = sigma^2 (1 - 1/n_eff): n_eff * spread carries n_eff - 1 degrees of freedom.
    observed_df = max(0.0, n_eff - 1.0)
    df = PRIOR_DF + observed_df
    variance = (PRIOR_DF * PRIOR_SD**2 + n_eff * spread) / df
    se = math.sqrt(variance * concentration)
    half = t_value(level, df) * se
    mean = _unit(mean)
    return DimensionEstimate(
        mean=mean,
        low=_unit(mean - half),
        high=_unit(mean + half),
        n=len(values),
        se=se,
        df=df,
        sd=math.sqrt(variance),
    )


Column = list[tuple[str, float, float]]  # (persona, score, weight) of one dimension


def blend(scores: Sequence[PersonaScores], weights: Weights, level: float = DEFAULT_LEVEL) -> Blend:
    """Blend every persona's scores; raises BlendError if nothing at all was scored."""
    z_value(level)
    for entry in scores:
        for raw_dimension, value in entry.scores.items():
            dimension = _dimension(raw_dimension, entry.persona)
            _check_unit(value, f"persona {entry.persona!r}: score of {dimension.value}")
    return blend_columns(columns_of(scores), weights, level)


def columns_of(scores: Sequence[PersonaScores]) -> dict[Dimension, Column]:
    """Each dimension's (persona, score, weight) entries, aggregates only where nobody else.

    Scores are not range-checked here (``blend`` does that), so that a simulation can draw
    them from the stated model as they fall.
    """
    columns: dict[Dimension, Column] = {d: [] for d in Dimension}
    fill_ins: dict[Dimension, Column] = {d: [] for d in Dimension}
    for entry in scores:
        weight = _persona_weight(entry)
        for raw_dimension, value in entry.scores.items():
            dimension = _dimension(raw_dimension, entry.persona)
            if weight > 0:
                target = fill_ins if entry.aggregate else columns
                target[dimension].append((entry.persona, float(value), weight))
    for dimension, column in columns.items():
        if not column:
            column.extend(fill_ins[dimension])
    return columns


def blend_columns(
    columns: Mapping[Dimension, Column], weights: Weights, level: float = DEFAULT_LEVEL
) -> Blend:
    """The blend of already checked columns; raises BlendError if every column is empty."""
    estimates = {
        d: estimate_dimension([x for _, x, _ in column], [w for _, _, w in column], level=level)
        for d, column in columns.items()
        if column
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
    variance, df = composite_variance(columns, estimates, effective)
    half = t_value(level, df) * math.sqrt(variance)
    return Blend(
        dimensions=MappingProxyType(estimates),
        missing=missing,
        coverage=min(1.0, covered),
        composite=composite,
        composite_low=_unit(composite - half),
        composite_high=_unit(composite + half),
        level=level,
        config_hash=weights.hash,
        effective_weights=MappingProxyType(effective),
    )


def composite_variance(
    columns: Mapping[Dimension, Column],
    estimates: Mapping[Dimension, DimensionEstimate],
    effective: Mapping[Dimension, float],
) -> tuple[float, float]:
    """The composite's error as Student's t: its squared scale and degrees of freedom.

    Persona i adds w'_d a_id sigma_d to dimension d's error (a_id its share of d's weight);
    its terms correlate at PERSONA_CORRELATION across dimensions, different personas' not at
    all. Each sigma_d is uncertain (its posterior is scaled-inverse-chi-square with df_d) and
    the dimensions' sigmas are independent, so the sum is closer to normal than any one term:
    the variance takes E[sigma_d^2] and E[sigma_d] E[sigma_d'], and the degrees of freedom are
    Satterthwaite's.
    """
    rho = PERSONA_CORRELATION
    loads: dict[str, dict[Dimension, float]] = {}  # persona -> dimension -> w'_d a_id
    for d, column in columns.items():
        if d not in estimates:
            continue
        total = math.fsum(w for _, _, w in column)
        for persona, _, w in column:
            row = loads.setdefault(persona, {})
            row[d] = row.get(d, 0.0) + effective[d] * w / total
    mean_sd = {d: e.sd * _mean_sd_factor(e.df) for d, e in estimates.items()}
    square_sd = {d: e.sd**2 * _square_sd_factor(e.df) for d, e in estimates.items()}
    shares = dict.fromkeys(estimates, 0.0)  # each dimension's part of the variance
    for row in loads.values():
        together = math.fsum(c * mean_sd[d] for d, c in row.items())
        for d, c in row.items():
            # Its own term with E[sigma_d^2]; cross terms with E[sigma_d] E[sigma_d'].
            alone = c * mean_sd[d]
            shares[d] += c * c * square_sd[d] + rho * alone * (together - alone)
    variance = math.fsum(shares.values())
    spread = math.fsum(shares[d] ** 2 / estimates[d].df for d in estimates)
    df = max(variance**2 / spread if spread > 0 else math.inf, PRIOR_DF)
    # A t variable with df degrees of freedom and scale s has variance s^2 df / (df - 2).
    scale2 = variance * (df - 2.0) / df if math.isfinite(df) else variance
    return scale2, df


def _square_sd_factor(df: float) -> float:
    """E[sigma^2] / sd^2 when sigma^2 is scaled-inverse-chi-square(df, sd^2)."""
    return df / (df - 2.0) if math.isfinite(df) else 1.0


def _mean_sd_factor(df: float) -> float:
    """E[sigma] / sd for the same distribution."""
    if not math.isfinite(df):
        return 1.0
    return math.sqrt(df / 2.0) * math.exp(math.lgamma((df - 1.0) / 2.0) - math.lgamma(df / 2.0))


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
