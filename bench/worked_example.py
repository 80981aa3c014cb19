"""The worked example of docs/scoring.md: h-51e7234f, APOE-Dependent Autophagy Restoration.

Everything printed is real output: the bundled MTOR gene page and hypotheses are imported into a
throwaway SQLite database exactly as ``hyposcore demo`` imports them, the offline ``evidence``
backend debates h-51e7234f in-process (no server, no network), and each persona's last turn is
blended and traded by ``workers.scoring_phase.plan_score``, the function the workers use, on a
fresh ledger (believability 1.0, an empty market with b = 100). The evidence backend is
deterministic, so the output is the same on every run and is the number ``make demo`` publishes;
tests/hyposcore/test_worked_example.py checks that docs/scoring.md quotes it.

    .venv/bin/python -m bench.worked_example
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path
from tempfile import TemporaryDirectory

from debates.backends import registry
from debates.case import Case
from debates.runner import run_debate
from debates.transcript import latest_by_persona
from debates.types import DebateConfig, DebateOutcome, TurnRecord
from scoring.dimensions import Dimension
from scoring.lmsr import DEFAULT_LIQUIDITY, MarketState
from scoring.priority import exploration_priority
from scoring.weights import Weights
from storage.db import Database
from storage.importing import import_hypotheses
from wiki.importer import import_pages
from workers.cases import load_case
from workers.scoring_phase import ScorePlan, TurnView, plan_score

HYPOTHESIS = "h-51e7234f"
BACKEND = "evidence"
BELIEVABILITY = 1.0  # a fresh ledger: no persona has a calibration record yet (shown only)
ORDER = list(Dimension)  # the ten dimensions, in the order of the tables
# Column heads of the panel table, in ORDER.
SHORT = ("mech", "evid", "nov", "feas", "ther", "drug", "safe", "comp", "data", "repr")


@dataclass(frozen=True)
class PanelRow:
    """One persona's last word: what the scoring phase reads from its latest turn."""

    persona: str
    round: int
    confidence: float
    probability: float
    scores: dict[Dimension, float]


def bundled_case(hypothesis_id: str = HYPOTHESIS) -> Case:
    """The case for ``hypothesis_id`` as ``hyposcore demo`` builds it: page, then dataset."""
    data = files("hyposcore.data")
    with (
        TemporaryDirectory() as tmp,
        as_file(data / "pages" / "mtor.txt") as page,
        as_file(data / "hypotheses.yaml") as dataset,
    ):
        database = Database(f"sqlite:///{tmp}/x.db")
        try:
            database.upgrade()
            import_pages(database, [Path(page)])
            import_hypotheses(database, Path(dataset))
            with database.transaction() as session:
                return load_case(session, hypothesis_id=hypothesis_id)
        finally:
            database.dispose()


def latest_rows(turns: Sequence[TurnRecord]) -> list[PanelRow]:
    """Each persona's turn in the highest round it spoke in (``debates.transcript``), by name."""
    latest = latest_by_persona(turns)
    return [
        PanelRow(
            persona=persona,
            round=latest[persona].round,
            confidence=latest[persona].output.confidence,
            probability=latest[persona].output.probability,
            scores={Dimension(d): float(s) for d, s in latest[persona].output.scores.items()},
        )
        for persona in sorted(latest)
    ]


def print_panel(outcome: DebateOutcome, rows: Sequence[PanelRow]) -> None:
    print(
        f"debate: backend {BACKEND}, panel {', '.join(outcome.panel)}, {outcome.rounds} rounds, "
        f"{len(outcome.turns)} turns, quality {outcome.quality:.4f}\n"
    )
    print(f"Panel (all believability {BELIEVABILITY:.1f}), each persona's latest turn:\n")
    heads = " | ".join(SHORT)
    print(f"| persona | round | confidence | P(validated) | {heads} |")
    print("| --- " * (4 + len(ORDER)) + "|")
    for row in rows:
        cells = " | ".join(
            f"{row.scores[d]:.4f}".removeprefix("0") if d in row.scores else "–" for d in ORDER
        )
        print(
            f"| {row.persona} | {row.round} | {row.confidence:.4f} | {row.probability:.4f} "
            f"| {cells} |"
        )


def worked_example() -> tuple[Case, DebateOutcome, list[PanelRow], ScorePlan]:
    """The case, its debate, each persona's last word, and what the scoring phase records."""
    case = bundled_case()
    outcome = run_debate(case, config=DebateConfig(), backend=registry.create(BACKEND))
    plan = plan_score(
        [TurnView.of_record(turn) for turn in outcome.turns],
        {},  # a fresh ledger: every persona at believability 1.0
        Weights.default(),
        level=0.8,
        market=MarketState(DEFAULT_LIQUIDITY),
        quality=outcome.quality,
    )
    return case, outcome, latest_rows(outcome.turns), plan


def main() -> None:
    case, outcome, rows, plan = worked_example()
    print(f"## {HYPOTHESIS}: {case.title}\n")
    print_panel(outcome, rows)

    weights = Weights.default()
    result = plan.blend
    print(f"\nThe blend (weights hash {weights.hash[:16]}...):\n")
    print("| dimension | weight | n | mean | 80% interval |")
    print("| --- | --- | --- | --- | --- |")
    for d in ORDER:
        if d not in result.dimensions:
            print(f"| {d.value} | {weights[d]:.2f} | 0 | – | – |")
            continue
        e = result.dimensions[d]
        print(f"| {d.value} | {weights[d]:.2f} | {e.n} | {e.mean:.4f} | {e.low:.4f}–{e.high:.4f} |")
    print(
        f"\ncomposite {result.composite:.4f}, 80% interval "
        f"{result.composite_low:.4f}–{result.composite_high:.4f}, coverage {result.coverage:.2f}, "
        f"missing {[d.value for d in result.missing]}"
    )
    novelty = result.dimensions.get(Dimension.NOVELTY)
    potential = result.dimensions.get(Dimension.THERAPEUTIC_POTENTIAL)
    for n in (1, 4):
        priority = exploration_priority(
            result.composite,
            novelty.mean if novelty else None,
            potential.mean if potential else None,
            n,
        )
        print(f"exploration priority after {n} evaluation(s): {priority:.4f}")

    state = MarketState(DEFAULT_LIQUIDITY)
    mean_probability = sum(r.probability for r in rows) / len(rows)
    print(
        f"\nThe market (b = {state.b:g}, empty, debate quality {outcome.quality:.4f}; "
        f"stated probabilities average {mean_probability:.4f}):\n"
    )
    print("| persona | target | shares yes | shares no | cost | price before → after |")
    print("| --- | --- | --- | --- | --- | --- |")
    for trade in plan.trades:
        print(
            f"| {trade.persona} | {trade.target_probability:.2f} | {trade.shares_yes:.3f} | "
            f"{trade.shares_no:.3f} | {trade.cost:.3f} | "
            f"{trade.price_before:.4f} → {trade.price_after:.4f} |"
        )
        state = state.after(trade.shares_yes, trade.shares_no)
    print(f"\nmarket price (exchange rating) after the debate: {state.price:.4f}")


if __name__ == "__main__":
    main()
