"""One evaluation's scoring phase: blend, trade, snapshot and finish — in one transaction.

Either all of it is written (trades, the snapshot, the succeeded state) or none of it, and each
part is keyed by the evaluation, so a redelivered message can neither half-score nor score twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hyposcore.settings import Settings
from scoring.blend import Blend, BlendError, PersonaScores, blend
from scoring.calibration import brier, update_believability
from scoring.dimensions import Dimension
from scoring.exchange import Stance, debate_trades
from scoring.lmsr import MarketState
from scoring.weights import Weights
from storage.db import Database
from storage.models import DebateTurn, HypothesisStatus
from storage.queries import evaluations as ledger
from storage.queries.calibration import persona_believability, recalibrate
from storage.queries.exchange import get_or_create_market, market_price, record_trades
from storage.queries.knowledge import get_hypothesis
from storage.queries.snapshots import ensure_scoring_config, record_snapshot
from storage.queries.tournament import get_ratings
from storage.queries.turns import list_turns

RESOLVED = (HypothesisStatus.VALIDATED.value, HypothesisStatus.REFUTED.value)


@dataclass(frozen=True)
class Scored:
    snapshot_id: int
    version: int
    gene_symbols: tuple[str, ...]


def latest_turns(turns: Sequence[DebateTurn]) -> list[DebateTurn]:
    """Each persona's last word: its turn in the highest round it spoke in."""
    latest: dict[str, DebateTurn] = {}
    for turn in sorted(turns, key=lambda t: (t.round, t.id)):
        latest[turn.persona] = turn
    return [latest[persona] for persona in sorted(latest)]


def blend_turns(
    turns: Sequence[DebateTurn],
    believability: Mapping[str, float],
    weights: Weights,
    *,
    level: float,
) -> Blend:
    scores = [
        PersonaScores(
            persona=turn.persona,
            scores={Dimension(name): float(value) for name, value in turn.scores.items()},
            confidence=turn.confidence,
            believability=believability.get(turn.persona, 1.0),
        )
        for turn in latest_turns(turns)
    ]
    return blend(scores, weights, level=level)


def score_evaluation(
    database: Database,
    settings: Settings,
    *,
    evaluation_id: int,
    owner: str,
    weights: Weights | None = None,
) -> Scored | None:
    """Score a debated evaluation; None when its lease moved on or it already finished."""
    weights = weights or Weights.default()
    with database.transaction() as session:
        # Fencing: only the holder of the lease may finish the evaluation.
        if not ledger.heartbeat(
            session, evaluation_id=evaluation_id, worker=owner, lease_seconds=settings.lease_seconds
        ):
            return None
        evaluation = ledger.get_evaluation(session, evaluation_id=evaluation_id)
        hypothesis = get_hypothesis(session, hypothesis_id=evaluation.hypothesis_id)
        turns = list_turns(session, evaluation_id=evaluation_id)
        believability = persona_believability(session)
        try:
            result = blend_turns(turns, believability, weights, level=settings.interval_level)
        except BlendError as exc:
            ledger.fail_evaluation(
                session, evaluation_id=evaluation_id, worker=owner, error=f"cannot score: {exc}"
            )
            return None
        ensure_scoring_config(session, digest=result.config_hash, weights=weights.as_dict())
        quality = evaluation.quality if evaluation.quality is not None else 0.0
        market = get_or_create_market(
            session, hypothesis_id=hypothesis.id, liquidity=settings.market_liquidity
        )
        state = MarketState(b=market.liquidity, q_yes=market.q_yes, q_no=market.q_no)
        stances = [
            Stance(t.persona, t.probability, believability.get(t.persona, 1.0))
            for t in latest_turns(turns)
        ]
        record_trades(
            session,
            hypothesis_id=hypothesis.id,
            evaluation_id=evaluation_id,
            trades=debate_trades(state, stances, quality),
        )
        rating = get_ratings(session, hypothesis_ids=[hypothesis.id]).get(hypothesis.id)
        snapshot, _ = record_snapshot(
            session,
            hypothesis_id=hypothesis.id,
            evaluation_id=evaluation_id,
            **result.snapshot_fields(),
            market_price=market_price(session, hypothesis_id=hypothesis.id),
            rating=rating.strength if rating else None,
            rating_low=rating.strength_low if rating else None,
            rating_high=rating.strength_high if rating else None,
            quality=quality,
        )
        if hypothesis.status in RESOLVED:
            # A debate about a settled question is a forecast we can grade at once.
            recalibrate(
                session,
                hypothesis_id=hypothesis.id,
                brier=brier,
                believability=update_believability,
            )
        ledger.complete_evaluation(
            session, evaluation_id=evaluation_id, worker=owner, quality=quality
        )
        return Scored(
            snapshot_id=snapshot.id,
            version=snapshot.version,
            gene_symbols=tuple(gene.symbol for gene in hypothesis.genes),
        )
