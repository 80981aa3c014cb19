"""One evaluation's scoring phase: blend, trade, snapshot and finish — in one transaction.

Either all of it is written (trades, the snapshot, the succeeded state) or none of it, and each
part is keyed by the evaluation, so a redelivered message can neither half-score nor score twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from common.settings import Settings
from debates.personas import SYNTHESIZER
from debates.types import TurnRecord
from scoring.blend import Blend, BlendError, PersonaScores, blend
from scoring.calibration import brier_of_moments, update_believability
from scoring.dimensions import Dimension
from scoring.exchange import Stance, debate_trades
from scoring.lmsr import MarketState, Trade
from scoring.weights import Weights
from storage.db import Database
from storage.models import DebateTurn, HypothesisStatus, Rating
from storage.queries import evaluations as ledger
from storage.queries.calibration import persona_believability, recalibrate, recalibrate_many
from storage.queries.exchange import get_or_create_market, market_price, record_trades
from storage.queries.knowledge import get_hypothesis
from storage.queries.score_batches import ScoreBatch
from storage.queries.snapshots import ensure_scoring_config, record_snapshot
from storage.queries.tournament import get_ratings
from storage.queries.turns import list_turns

RESOLVED = (HypothesisStatus.VALIDATED.value, HypothesisStatus.REFUTED.value)


@dataclass(frozen=True)
class Scored:
    snapshot_id: int
    version: int
    gene_symbols: tuple[str, ...]


@dataclass(frozen=True)
class TurnView:
    """What scoring reads of a turn, whether it comes from the ledger or straight from a debate."""

    persona: str
    round: int
    scores: Mapping[str, float]
    confidence: float
    probability: float

    @classmethod
    def of_row(cls, turn: DebateTurn) -> TurnView:
        return cls(turn.persona, turn.round, turn.scores, turn.confidence, turn.probability)

    @classmethod
    def of_record(cls, record: TurnRecord) -> TurnView:
        output = record.output
        scores = {dimension.value: value for dimension, value in output.scores.items()}
        return cls(record.persona, record.round, scores, output.confidence, output.probability)


def latest_turns(turns: Sequence[TurnView]) -> list[TurnView]:
    """Each persona's last word: its turn in the highest round it spoke in.

    ``turns`` come in the order they were written; a stable sort keeps that order within a round.
    """
    latest: dict[str, TurnView] = {}
    for turn in sorted(turns, key=lambda t: t.round):
        latest[turn.persona] = turn
    return [latest[persona] for persona in sorted(latest)]


@dataclass(frozen=True)
class ScorePlan:
    """Everything one evaluation's scoring writes, computed before anything is written."""

    blend: Blend
    trades: list[Trade]


def plan_score(
    turns: Sequence[TurnView],
    believability: Mapping[str, float],
    weights: Weights,
    *,
    level: float,
    market: MarketState,
    quality: float,
) -> ScorePlan:
    """Blend the personas' last words and trade the market toward them; raises BlendError."""
    latest = latest_turns(turns)
    result = blend(
        [
            PersonaScores(
                persona=turn.persona,
                scores={Dimension(name): float(value) for name, value in turn.scores.items()},
                confidence=turn.confidence,
                believability=believability.get(turn.persona, 1.0),
                # The Synthesizer summarises the others: not one more independent opinion.
                aggregate=turn.persona == SYNTHESIZER,
            )
            for turn in latest
        ],
        weights,
        level=level,
    )
    stances = [Stance(t.persona, t.probability, believability.get(t.persona, 1.0)) for t in latest]
    return ScorePlan(blend=result, trades=debate_trades(market, stances, quality))


def rating_fields(rating: Rating | None) -> dict[str, float | None]:
    """The tournament rating a snapshot carries: strength and its interval, if rated."""
    return {
        "rating": rating.strength if rating else None,
        "rating_low": rating.strength_low if rating else None,
        "rating_high": rating.strength_high if rating else None,
    }


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
        # Weighed as the debate was, with the believabilities fixed when it started.
        believability = evaluation.believability
        if believability is None:
            believability = persona_believability(session)
        quality = evaluation.quality if evaluation.quality is not None else 0.0
        market = get_or_create_market(
            session, hypothesis_id=hypothesis.id, liquidity=settings.market_liquidity
        )
        try:
            plan = plan_score(
                [TurnView.of_row(turn) for turn in turns],
                believability,
                weights,
                level=settings.interval_level,
                market=MarketState(b=market.liquidity, q_yes=market.q_yes, q_no=market.q_no),
                quality=quality,
            )
        except BlendError as exc:
            ledger.fail_evaluation(
                session, evaluation_id=evaluation_id, worker=owner, error=f"cannot score: {exc}"
            )
            return None
        result = plan.blend
        ensure_scoring_config(session, digest=result.config_hash, weights=weights.as_dict())
        record_trades(
            session,
            hypothesis_id=hypothesis.id,
            evaluation_id=evaluation_id,
            trades=plan.trades,
        )
        rating = get_ratings(session, hypothesis_ids=[hypothesis.id]).get(hypothesis.id)
        snapshot, _ = record_snapshot(
            session,
            hypothesis_id=hypothesis.id,
            evaluation_id=evaluation_id,
            **result.snapshot_fields(),
            **rating_fields(rating),
            market_price=market_price(session, hypothesis_id=hypothesis.id),
            quality=quality,
        )
        if hypothesis.status in RESOLVED:
            # A debate about a settled question is a forecast we can grade at once.
            recalibrate(
                session,
                hypothesis_id=hypothesis.id,
                brier=brier_of_moments,
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


@dataclass(frozen=True)
class Debated:
    """A debated evaluation of a batch, ready to score."""

    evaluation_id: int
    hypothesis_id: str
    resolved: bool
    turns: Sequence[TurnView]
    quality: float
    believability: Mapping[str, float]


def score_batch(
    session: Session,
    settings: Settings,
    debated: Sequence[Debated],
    *,
    weights: Weights,
) -> tuple[list[int], dict[int, str]]:
    """Trade and snapshot a batch of fenced evaluations in the caller's transaction.

    Returns the evaluations scored and, for those that could not be, the reason. The markets
    are locked in id order first, so evaluations of one hypothesis trade one after another, in
    evaluation order, exactly as if they had been scored one by one.
    """
    batch = ScoreBatch(
        session,
        hypothesis_ids=[item.hypothesis_id for item in debated],
        liquidity=settings.market_liquidity,
    )
    ratings = get_ratings(session, hypothesis_ids=[item.hypothesis_id for item in debated])
    ensure_scoring_config(session, digest=weights.hash, weights=weights.as_dict())
    scored: set[int] = set()
    failed: dict[int, str] = {}
    for item in debated:
        h = item.hypothesis_id
        b, q_yes, q_no = batch.market(h)
        try:
            plan = plan_score(
                item.turns,
                item.believability,
                weights,
                level=settings.interval_level,
                market=MarketState(b=b, q_yes=q_yes, q_no=q_no),
                quality=item.quality,
            )
        except BlendError as exc:
            failed[item.evaluation_id] = f"cannot score: {exc}"
            continue
        batch.trade(h, evaluation_id=item.evaluation_id, trades=plan.trades)
        batch.snapshot(
            h,
            evaluation_id=item.evaluation_id,
            **plan.blend.snapshot_fields(),
            **rating_fields(ratings.get(h)),
            market_price=batch.price(h),
            quality=item.quality,
        )
        scored.add(item.evaluation_id)
    batch.write()
    resolved = sorted(
        {i.hypothesis_id for i in debated if i.resolved and i.evaluation_id in scored}
    )
    if resolved:
        # Debates about settled questions are forecasts we can grade at once.
        recalibrate_many(
            session,
            hypothesis_ids=resolved,
            brier=brier_of_moments,
            believability=update_believability,
        )
    return sorted(scored), failed
