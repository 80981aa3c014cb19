"""The scoring phase: blend, trade, snapshot and finish — one way for one evaluation or many.

``score_batch`` scores debated evaluations in the caller's transaction: an offline batch calls
it in the transaction that stores its debates, and the score task (``score_debated``) in the
transaction that claims debated evaluations from the ledger — its own and those waiting
behind it, so a busy scoring worker pays its per-batch reads once for many debates. Either
all of it is written (trades, the snapshot, the succeeded state) or none of it, and each part
is keyed by the evaluation, so a redelivered message can neither half-score nor score twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from common.settings import Settings
from debates.consistency import flagged_turns
from debates.personas import SYNTHESIZER
from debates.transcript import latest_by_persona
from debates.types import DebateOutcome, TurnRecord
from scoring.blend import Blend, BlendError, PersonaScores, blend
from scoring.calibration import brier_of_moments, update_believability
from scoring.dimensions import Dimension
from scoring.exchange import Stance, debate_trades, no_trade_reason
from scoring.lmsr import MarketState, Trade
from scoring.weights import Weights
from storage.db import Database
from storage.models import DebateTurn, Evaluation, HypothesisStatus, Rating
from storage.queries.calibration import persona_believability, recalibrate_many
from storage.queries.debated import (
    claim_debated,
    complete_debated,
    debated_rows,
    fail_debated,
    gene_symbols_of,
    record_forecasts,
)
from storage.queries.prebuilt import AnyRow
from storage.queries.score_batches import ScoreBatch
from storage.queries.snapshots import ensure_scoring_config
from storage.queries.tournament import get_ratings
from storage.queries.turns import turn_scores_of

log = logging.getLogger(__name__)

RESOLVED = (HypothesisStatus.VALIDATED.value, HypothesisStatus.REFUTED.value)


@dataclass(frozen=True)
class TurnView:
    """What scoring reads of a turn, whether it comes from the ledger or straight from a debate."""

    persona: str
    round: int
    scores: Mapping[str, float]
    confidence: float
    probability: float
    flagged: bool = False  # its scores contradict the evidence (debates.consistency)

    @classmethod
    def of_row(
        cls, turn: DebateTurn | AnyRow, flagged: Set[tuple[int, str]] = frozenset()
    ) -> TurnView:
        return cls(
            turn.persona,
            turn.round,
            turn.scores,
            turn.confidence,
            turn.probability,
            (turn.round, turn.persona) in flagged,
        )

    @classmethod
    def of_record(cls, record: TurnRecord, flagged: Set[tuple[int, str]] = frozenset()) -> TurnView:
        output = record.output
        scores = {dimension.value: value for dimension, value in output.scores.items()}
        return cls(
            record.persona,
            record.round,
            scores,
            output.confidence,
            output.probability,
            (record.round, record.persona) in flagged,
        )


def outcome_views(outcome: DebateOutcome) -> list[TurnView]:
    """A finished debate's turns as scoring reads them, with its flags applied."""
    flagged = flagged_turns(outcome.decisions)
    return [TurnView.of_record(record, flagged) for record in outcome.turns]


def row_views(row: Evaluation | AnyRow, turns: Sequence[DebateTurn | AnyRow]) -> list[TurnView]:
    """A stored debate's turns as scoring reads them, with the flags its decisions record."""
    flagged = flagged_turns(row.decisions or [])
    return [TurnView.of_row(turn, flagged) for turn in turns]


def latest_turns(turns: Sequence[TurnView]) -> list[TurnView]:
    """Each persona's last word (the ``debates.transcript`` rule), by persona name."""
    latest = latest_by_persona(turns)
    return [latest[persona] for persona in sorted(latest)]


@dataclass(frozen=True)
class ScorePlan:
    """Everything one evaluation's scoring writes, computed before anything is written."""

    blend: Blend
    trades: list[Trade]
    quality: float

    @property
    def no_trade(self) -> str | None:
        """Why the debate left the market's price where it was, or None if it traded. A plan
        always has stances (``plan_score`` refuses a debate with none), so only the quality
        floor can leave it without trades."""
        return None if self.trades else no_trade_reason(self.quality)


def plan_score(
    turns: Sequence[TurnView],
    believability: Mapping[str, float],
    weights: Weights,
    *,
    level: float,
    market: MarketState,
    quality: float,
) -> ScorePlan:
    """Blend the personas' last words and trade the market toward them; raises BlendError.

    A persona whose last word was flagged as contradicting the evidence is left out of both,
    and so is the Synthesizer's summary of the dimensions it scored: that summary inherits
    the contradiction it averages in.
    """
    spoken = latest_turns(turns)
    latest = [turn for turn in spoken if not turn.flagged]
    if spoken and not latest:
        raise BlendError(
            "every persona's last turn was flagged as contradicting the case's evidence "
            f"({', '.join(t.persona for t in spoken)}); there is nothing left to blend"
        )
    tainted = {name for turn in spoken if turn.flagged for name in turn.scores}
    result = blend(
        [
            PersonaScores(
                persona=turn.persona,
                scores={
                    Dimension(name): float(value)
                    for name, value in turn.scores.items()
                    if turn.persona != SYNTHESIZER or name not in tainted
                },
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
    return ScorePlan(blend=result, trades=debate_trades(market, stances, quality), quality=quality)


def forecast_fields(plan: ScorePlan, *, as_of: date, start: MarketState) -> dict[str, Any]:
    """What an as-of evaluation forecast: its composite and interval, and the exchange rating
    its debate gives a fresh market (the price it starts from if the debate did not trade)."""
    return {
        "as_of": as_of.isoformat(),
        "composite": plan.blend.composite,
        "composite_low": plan.blend.composite_low,
        "composite_high": plan.blend.composite_high,
        "level": plan.blend.level,
        "coverage": plan.blend.coverage,
        "exchange_rating": plan.trades[-1].price_after if plan.trades else start.price,
        "traded": bool(plan.trades),
        "config_hash": plan.blend.config_hash,
    }


def rating_fields(rating: Rating | None) -> dict[str, float | None]:
    """The tournament rating a snapshot carries: strength and its interval, if rated."""
    return {
        "rating": rating.strength if rating else None,
        "rating_low": rating.strength_low if rating else None,
        "rating_high": rating.strength_high if rating else None,
    }


@dataclass(frozen=True)
class ScoredBatch:
    """What a score delivery did: evaluations succeeded and failed, genes to publish."""

    succeeded: tuple[int, ...]
    failed: tuple[int, ...]
    gene_symbols: tuple[str, ...]


def score_debated(
    database: Database,
    settings: Settings,
    *,
    evaluation_ids: Sequence[int],
    also_waiting: int = 0,
    weights: Weights | None = None,
) -> ScoredBatch:
    """Claim the debated ones of ``evaluation_ids``, and up to ``also_waiting`` others waiting
    to be scored, and score them in one transaction.

    Those no longer debated (scored by a duplicate message or with another batch, cancelled)
    are skipped.
    """
    with database.transaction() as session:
        claimed = claim_debated(session, evaluation_ids=evaluation_ids, also_waiting=also_waiting)
        rows = debated_rows(session, evaluation_ids=claimed)
        turns = turn_scores_of(session, evaluation_ids=claimed)
        unfixed = any(row.believability is None for row in rows)
        fallback = persona_believability(session) if unfixed else {}
        scored, failed = score_batch(
            session,
            settings,
            [
                Debated(
                    evaluation_id=row.id,
                    hypothesis_id=row.hypothesis_id,
                    resolved=row.hypothesis_status in RESOLVED,
                    turns=row_views(row, turns[row.id]),
                    quality=row.quality if row.quality is not None else 0.0,
                    # Weighed as the debate was, with the believabilities fixed when it started.
                    believability=row.believability if row.believability is not None else fallback,
                    as_of=row.as_of,
                )
                for row in rows
            ],
            weights=weights or Weights.default(),
        )
        complete_debated(session, evaluation_ids=scored)
        fail_debated(session, failures=failed)
        published = [row.hypothesis_id for row in rows if row.id in scored]
        genes = gene_symbols_of(session, hypothesis_ids=published)
        symbols = {symbol for hypothesis_id in published for symbol in genes.get(hypothesis_id, ())}
    return ScoredBatch(
        succeeded=tuple(scored), failed=tuple(sorted(failed)), gene_symbols=tuple(sorted(symbols))
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
    as_of: date | None = None  # a blind forecast: scored on its own market, kept off the live one


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
    forecasts: dict[int, dict[str, Any]] = {}
    for item in debated:
        h = item.hypothesis_id
        # A blind forecast trades a fresh market of its own, never the live one.
        market = (
            MarketState(b=settings.market_liquidity)
            if item.as_of is not None
            else MarketState(*batch.market(h))
        )
        plan = _plan_or_reason(item, weights, level=settings.interval_level, market=market)
        if isinstance(plan, str):
            failed[item.evaluation_id] = plan
            continue
        if item.as_of is not None:
            forecasts[item.evaluation_id] = forecast_fields(plan, as_of=item.as_of, start=market)
        else:
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
    record_forecasts(session, forecasts=forecasts)
    batch.write()
    _grade_resolved(session, [i for i in debated if i.evaluation_id in scored])
    return sorted(scored), failed


def _grade_resolved(session: Session, scored: Sequence[Debated]) -> None:
    """Debates about settled questions are forecasts we can grade at once."""
    grade_personas_on(
        session, hypothesis_ids=sorted({item.hypothesis_id for item in scored if item.resolved})
    )


def grade_personas_on(session: Session, *, hypothesis_ids: Sequence[str]) -> None:
    """Grade every persona again on these resolved hypotheses, by the ledger's rules: the
    Brier score of its forecasts, and the believability that follows from it."""
    if hypothesis_ids:
        recalibrate_many(
            session,
            hypothesis_ids=hypothesis_ids,
            brier=brier_of_moments,
            believability=update_believability,
        )


def _plan_or_reason(
    item: Debated, weights: Weights, *, level: float, market: MarketState
) -> ScorePlan | str:
    """The debate's score plan, or why it cannot be scored: one evaluation's failure must not
    undo the rest of its batch."""
    try:
        return plan_score(
            item.turns,
            item.believability,
            weights,
            level=level,
            market=market,
            quality=item.quality,
        )
    except BlendError as exc:
        return f"cannot score: {exc}"
    except Exception as exc:
        log.exception("evaluation %s: scoring failed", item.evaluation_id)
        return f"cannot score: {type(exc).__name__}: {exc}"


def score_with_waiting(
    database: Database, settings: Settings, *, evaluation_id: int
) -> ScoredBatch:
    """Score ``evaluation_id`` and every debated evaluation waiting behind it, taking up to
    ``settings.score_batch_size`` waiting ones a batch (each batch its own transaction) until
    fewer are left: a delivery that scores the waiting ones leaves none without a message."""
    size = settings.score_batch_size
    own: Sequence[int] = [evaluation_id]
    batches = []
    while True:
        done = score_debated(database, settings, evaluation_ids=own, also_waiting=size)
        batches.append(done)
        waiting_taken = {*done.succeeded, *done.failed}.difference(own)
        own = []
        if len(waiting_taken) < size:
            break
    return ScoredBatch(
        succeeded=tuple(sorted(i for b in batches for i in b.succeeded)),
        failed=tuple(sorted(i for b in batches for i in b.failed)),
        gene_symbols=tuple(sorted({g for b in batches for g in b.gene_symbols})),
    )
