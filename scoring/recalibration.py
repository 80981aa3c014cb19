"""Logistic recalibration of a forecaster, fitted on the training folds only.

A forecaster can rank well and still be off in level: the offline debates put most resolved
hypotheses near 0.5 when nearly three in four of them failed. The recalibrated forecast is

    sigmoid(a + b * logit(p))

with (a, b) fitted by maximum likelihood (Platt scaling) on *other* hypotheses' forecasts and
outcomes, so the map is a constant chosen by looking at outcomes and must never see the one it
is applied to. ``loo_recalibrated`` does that leave-one-out. A small ridge penalty (pulling
a and b toward 0) keeps the fit finite when the training outcomes are perfectly separated or
all alike; it is a numerical guard, not a prior anyone tuned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

RIDGE = 1e-2
# Forecasts are clipped before the logit so that a stated 0 or 1 stays finite.
CLIP = 1e-6
MAX_STEPS = 100
TOLERANCE = 1e-12


class RecalibrationError(ValueError):
    """Forecasts a recalibration cannot be fitted or applied to."""


def logit(p: Array) -> Array:
    clipped = np.clip(p, CLIP, 1 - CLIP)
    return np.asarray(np.log(clipped / (1 - clipped)), dtype=np.float64)


def sigmoid(z: Array) -> Array:
    return np.asarray(1 / (1 + np.exp(-z)), dtype=np.float64)


def fit(p: Sequence[float], y: Sequence[bool], *, ridge: float = RIDGE) -> tuple[float, float]:
    """(a, b) of the penalised maximum-likelihood map sigmoid(a + b * logit(p)), by Newton."""
    if len(p) != len(y) or not p:
        raise RecalibrationError(f"{len(p)} forecasts and {len(y)} outcomes: cannot fit")
    x = logit(np.asarray(p, dtype=np.float64))
    outcomes = np.asarray(y, dtype=np.float64)
    design = np.column_stack([np.ones_like(x), x])
    w = np.zeros(2)
    for _ in range(MAX_STEPS):
        q = sigmoid(design @ w)
        gradient = design.T @ (q - outcomes) + ridge * w
        hessian = (design.T * (q * (1 - q))) @ design + ridge * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.max(np.abs(step))) < TOLERANCE:
            break
    return float(w[0]), float(w[1])


def apply(a: float, b: float, p: Sequence[float]) -> list[float]:
    return [float(v) for v in sigmoid(a + b * logit(np.asarray(p, dtype=np.float64)))]


def loo_recalibrated(p: Sequence[float], y: Sequence[bool]) -> list[float]:
    """Each forecast recalibrated by a map fitted on the other forecasts and outcomes only."""
    if len(p) != len(y):
        raise RecalibrationError(f"{len(p)} forecasts but {len(y)} outcomes")
    if len(p) < 3:
        raise RecalibrationError("a leave-one-out recalibration needs at least three outcomes")
    result = []
    for held_out in range(len(p)):
        others = [i for i in range(len(p)) if i != held_out]
        a, b = fit([p[i] for i in others], [y[i] for i in others])
        result.extend(apply(a, b, [p[held_out]]))
    return result


def pair_recalibrated(
    p: Sequence[float], y: Sequence[bool]
) -> Callable[[int, int], tuple[float, float]]:
    """For a leave-pair-out AUC (``scoring.leave_pair_out``): forecasts i and j both mapped by
    one fit on the other forecasts and outcomes."""
    if len(p) != len(y):
        raise RecalibrationError(f"{len(p)} forecasts but {len(y)} outcomes")
    forecasts, outcomes = list(p), list(y)

    def forecast(i: int, j: int) -> tuple[float, float]:
        others = [k for k in range(len(forecasts)) if k not in (i, j)]
        a, b = fit([forecasts[k] for k in others], [outcomes[k] for k in others])
        first, second = apply(a, b, [forecasts[i], forecasts[j]])
        return first, second

    return forecast
