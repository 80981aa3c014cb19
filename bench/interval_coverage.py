"""How often the blend's nominal 80% intervals cover the truth, simulated from the stated model.

The model is the one docs/scoring.md (section 2) states and ``scoring.blend`` assumes:

- every dimension d has a true value theta_d and its own noise level sigma_d, with
  sigma_d^2 scaled-inverse-chi-square with ``PRIOR_DF`` degrees of freedom around ``PRIOR_SD``^2;
- persona i scores x_id = theta_d + sigma_d * e_id, where e_id is standard normal, independent
  between personas, and correlated at ``PERSONA_CORRELATION`` across one persona's dimensions;
- each persona's weight (believability x confidence) is drawn at random, as real confidences
  vary; the weights carry no information about the noise.

Optionally a Synthesizer joins, whose scores are the weighted means of the others' (what the
offline backend's Synthesizer says): marked as an aggregate, it must not narrow anything.

For 1, 2, 3 and 6 personas scoring every dimension, and for the core panel's layout (three
members, each scoring only its own dimensions, plus the Synthesizer), the bench counts how
often theta_d falls in a dimension's interval and how often the weighted sum of the theta_d
falls in the composite's.

    .venv/bin/python -m bench.interval_coverage [--trials 4000] [--seed 7]
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

import numpy as np

from scoring.blend import (
    DEFAULT_LEVEL,
    PERSONA_CORRELATION,
    PRIOR_DF,
    PRIOR_SD,
    PersonaScores,
    blend_columns,
    columns_of,
)
from scoring.dimensions import Dimension
from scoring.weights import Weights

PANEL_SIZES = (1, 2, 3, 6)
DIMENSIONS = tuple(Dimension)


@dataclass(frozen=True)
class Coverage:
    personas: int
    synthesizer: bool
    trials: int
    dimension: float  # share of (trial, dimension) intervals that held the truth
    composite: float  # share of composite intervals that held the truth
    dimension_width: float  # mean width of a dimension's interval
    composite_width: float


# The core panel's layout (debates.personas): each member scores only its own dimensions.
CORE_LAYOUT: tuple[tuple[Dimension, ...], ...] = (
    (Dimension.MECHANISTIC_PLAUSIBILITY, Dimension.NOVELTY, Dimension.THERAPEUTIC_POTENTIAL),
    (Dimension.EVIDENCE_STRENGTH, Dimension.REPRODUCIBILITY, Dimension.DATA_AVAILABILITY),
    (
        Dimension.FEASIBILITY,
        Dimension.DRUGGABILITY,
        Dimension.SAFETY_PROFILE,
        Dimension.COMPETITIVE_LANDSCAPE,
    ),
)


def draw_panel(
    rng: np.random.Generator,
    personas: int,
    *,
    synthesizer: bool,
    layout: tuple[tuple[Dimension, ...], ...] | None = None,
) -> tuple[list[PersonaScores], dict[Dimension, float]]:
    """One trial's truth and the panel's scores, drawn from the stated model.

    With a ``layout``, persona i scores only ``layout[i]`` (``personas`` is then its length).
    """
    sigma = PRIOR_SD * np.sqrt(PRIOR_DF / rng.chisquare(PRIOR_DF, size=len(DIMENSIONS)))
    theta = rng.uniform(0.3, 0.7, size=len(DIMENSIONS))
    shared = rng.standard_normal(personas)
    own = rng.standard_normal((personas, len(DIMENSIONS)))
    errors = (
        math.sqrt(PERSONA_CORRELATION) * shared[:, None] + math.sqrt(1 - PERSONA_CORRELATION) * own
    )
    scores = theta[None, :] + sigma[None, :] * errors
    confidence = rng.uniform(0.2, 0.9, size=personas)
    covers = np.ones((personas, len(DIMENSIONS)))
    if layout is not None:
        covers = np.array([[d in own for d in DIMENSIONS] for own in layout], dtype=float)
    panel = [
        PersonaScores(
            f"persona{i}",
            {d: float(scores[i, j]) for j, d in enumerate(DIMENSIONS) if covers[i, j]},
            confidence=float(confidence[i]),
        )
        for i in range(personas)
    ]
    if synthesizer:
        counted = confidence[:, None] * covers
        means = (counted * scores).sum(axis=0) / counted.sum(axis=0)
        panel.append(
            PersonaScores(
                "synthesizer",
                {d: float(means[j]) for j, d in enumerate(DIMENSIONS)},
                confidence=0.8,
                aggregate=True,
            )
        )
    return panel, {d: float(theta[j]) for j, d in enumerate(DIMENSIONS)}


def simulate(
    personas: int,
    *,
    trials: int,
    seed: int,
    synthesizer: bool = False,
    level: float = DEFAULT_LEVEL,
    layout: tuple[tuple[Dimension, ...], ...] | None = None,
) -> Coverage:
    if layout is not None:
        personas = len(layout)
    rng = np.random.default_rng([seed, personas, int(synthesizer), int(layout is not None)])
    weights = Weights.default()
    held = composite_held = 0
    width = composite_width = 0.0
    for _ in range(trials):
        panel, truth = draw_panel(rng, personas, synthesizer=synthesizer, layout=layout)
        result = blend_columns(columns_of(panel), weights, level)
        for d, estimate in result.dimensions.items():
            held += estimate.low <= truth[d] <= estimate.high
            width += estimate.high - estimate.low
        target = math.fsum(weights[d] * truth[d] for d in DIMENSIONS)
        composite_held += result.composite_low <= target <= result.composite_high
        composite_width += result.composite_high - result.composite_low
    cells = trials * len(DIMENSIONS)
    return Coverage(
        personas=personas,
        synthesizer=synthesizer,
        trials=trials,
        dimension=held / cells,
        composite=composite_held / trials,
        dimension_width=width / cells,
        composite_width=composite_width / trials,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"nominal level {DEFAULT_LEVEL:.0%}; {args.trials} trials per row, seed {args.seed}\n")
    print(
        "| personas | synthesizer | dimension coverage | composite coverage | "
        "mean dimension width | mean composite width |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for personas in PANEL_SIZES:
        for synthesizer in (False, True):
            c = simulate(personas, trials=args.trials, seed=args.seed, synthesizer=synthesizer)
            print(
                f"| {c.personas} | {'yes' if c.synthesizer else 'no'} | {c.dimension:.1%} | "
                f"{c.composite:.1%} | {c.dimension_width:.3f} | {c.composite_width:.3f} |"
            )
    core = simulate(3, trials=args.trials, seed=args.seed, synthesizer=True, layout=CORE_LAYOUT)
    print(
        f"| core panel (3, one per dimension) | yes | {core.dimension:.1%} | "
        f"{core.composite:.1%} | {core.dimension_width:.3f} | {core.composite_width:.3f} |"
    )


if __name__ == "__main__":
    main()
