"""The worked example of docs/scoring.md: h-51e7234f, APOE-Dependent Autophagy Restoration.

The persona scores below are illustrative, written by hand to be plausible for a hypothesis that
targets MTOR (rapalogs exist, so druggability is high; chronic mTOR inhibition is
immunosuppressive, so safety is low); they are not the output of a debate. Everything printed
is computed by the scoring package.

    .venv/bin/python -m bench.worked_example
"""

from __future__ import annotations

from scoring.blend import PersonaScores, blend
from scoring.dimensions import Dimension
from scoring.exchange import Stance, debate_trades
from scoring.lmsr import MarketState
from scoring.priority import exploration_priority
from scoring.weights import Weights

HYPOTHESIS = "h-51e7234f"
# (persona, confidence, believability, probability, scores in dimension order below)
ORDER = list(Dimension)  # the ten dimensions, in the order of the tables
PANEL: list[tuple[str, float, float, float, list[float | None]]] = [
    ("theorist", 0.70, 1.0, 0.62, [0.80, 0.65, 0.75, 0.60, 0.80, 0.75, 0.55, 0.60, 0.70, 0.60]),
    ("skeptic", 0.80, 1.0, 0.35, [0.60, 0.45, 0.65, 0.45, 0.60, 0.70, 0.35, 0.50, 0.60, 0.40]),
    (
        "domain_expert",
        0.75,
        1.0,
        0.50,
        [0.72, 0.58, 0.70, 0.55, 0.72, 0.80, 0.45, 0.55, 0.65, 0.50],
    ),
    ("synthesizer", 0.70, 1.0, 0.50, [0.70, 0.55, 0.70, 0.55, 0.70, 0.75, 0.45, 0.55, 0.65, 0.50]),
    # A specialist that scores only what it knows; the others stay unscored by it.
    (
        "pharmacologist",
        0.80,
        1.0,
        0.45,
        [None, None, None, None, None, 0.78, 0.40, None, None, None],
    ),
]


def main() -> None:
    weights = Weights.default()
    scores = [
        PersonaScores(
            persona,
            {d: s for d, s in zip(ORDER, values, strict=True) if s is not None},
            confidence=confidence,
            believability=believability,
        )
        for persona, confidence, believability, _, values in PANEL
    ]
    result = blend(scores, weights)
    print(f"## {HYPOTHESIS}: weights hash {weights.hash[:16]}...\n")
    print("| dimension | weight | n | mean | 80% interval |")
    print("| --- | --- | --- | --- | --- |")
    for d in ORDER:
        e = result.dimensions[d]
        print(f"| {d.value} | {weights[d]:.2f} | {e.n} | {e.mean:.4f} | {e.low:.4f}–{e.high:.4f} |")
    print(
        f"\ncomposite {result.composite:.4f}, 80% interval "
        f"{result.composite_low:.4f}–{result.composite_high:.4f}, coverage {result.coverage:.2f}, "
        f"missing {[d.value for d in result.missing]}"
    )
    novelty = result.dimensions[Dimension.NOVELTY].mean
    potential = result.dimensions[Dimension.THERAPEUTIC_POTENTIAL].mean
    for n in (1, 4):
        priority = exploration_priority(result.composite, novelty, potential, n)
        print(f"exploration priority after {n} evaluation(s): {priority:.4f}")
    state = MarketState(100.0)
    stances = [Stance(p, prob, bel) for p, _, bel, prob, _ in PANEL]
    print("\n| persona | target | shares yes | shares no | cost | price before → after |")
    print("| --- | --- | --- | --- | --- | --- |")
    for trade in debate_trades(state, stances, quality=0.72):
        print(
            f"| {trade.persona} | {trade.target_probability:.2f} | {trade.shares_yes:.3f} | "
            f"{trade.shares_no:.3f} | {trade.cost:.3f} | "
            f"{trade.price_before:.4f} → {trade.price_after:.4f} |"
        )
        state = state.after(trade.shares_yes, trade.shares_no)
    print(f"\nmarket price (exchange rating) after the debate: {state.price:.4f}")


if __name__ == "__main__":
    main()
