"""Offline evaluations in batches: claim several, debate each in memory, finish all at once.

An offline debate costs a few milliseconds, less than the ledger round trips of storing it turn
by turn. So offline evaluations queued together travel as one message of ids; the worker claims
their leases (``storage.queries.evaluation_batches``), runs their debates without touching the
database, and then, in one transaction fenced by its leases, stores every turn, trades,
snapshots and marks them succeeded. If the worker dies, nothing of the batch is written and the
leases expire into the reaper, as for any evaluation; the debates are recomputed exactly on the
next attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from common.logs import evaluation_context
from common.settings import Settings
from debates.asof import debate_inputs
from debates.case import Case
from debates.runner import run_debate
from debates.types import DebateConfig, DebateOutcome, TurnRecord
from scoring.weights import Weights
from storage.db import Database
from storage.queries import debate_starts
from storage.queries import evaluations as ledger
from storage.queries.calibration import persona_believability
from storage.queries.case_rows import read_case_rows
from storage.queries.claims import fail_lost_deliveries
from storage.queries.debate_starts import BackendKnowledge, DebateStart
from storage.queries.evaluation_batches import (
    Claimed,
    Finished,
    claim_batch,
    complete_batch,
    renew_batch,
)
from storage.queries.turns import list_turns_of, save_turns
from workers.agents import batchable_backends, is_batchable
from workers.cases import cases_of
from workers.evaluation import (
    BackendFactory,
    backend_knowledge,
    debate_progress,
    decision_dict,
    kept_case_digest,
)
from workers.records import turn_fields, turn_record
from workers.scoring_phase import RESOLVED, Debated, outcome_views, score_batch

log = logging.getLogger(__name__)


def claim(
    database: Database,
    settings: Settings,
    *,
    evaluation_ids: Sequence[int],
    owner: str,
    batchable_only: bool = False,
    redelivered: bool = False,
) -> list[Claimed]:
    """Claim what is claimable of ``evaluation_ids`` (of a batchable backend, if so asked).

    A ``redelivered`` message (its previous worker died) spends an attempt even on leases it
    already holds, and fails for good those whose attempts it finds spent.
    """
    backends = batchable_backends(settings) if batchable_only else None
    if not redelivered:
        # One conditional UPDATE that returns what the debates need: a statement of its own.
        with database.autocommit() as connection:
            return claim_batch(
                connection,
                evaluation_ids=evaluation_ids,
                worker=owner,
                lease_seconds=settings.lease_seconds,
                backends=backends,
            )
    with database.transaction() as session:
        claimed = claim_batch(
            session,
            evaluation_ids=evaluation_ids,
            worker=owner,
            lease_seconds=settings.lease_seconds,
            backends=backends,
            redelivered=True,
        )
        taken = {item.id for item in claimed}
        lost = fail_lost_deliveries(
            session, evaluation_ids=[i for i in evaluation_ids if i not in taken], worker=owner
        )
        if lost:
            log.error("failed for good, their worker died on every delivery: %s", lost)
        return claimed


def is_batch(claimed: Sequence[Claimed], settings: Settings) -> bool:
    return bool(claimed) and is_batchable(settings, str(claimed[0].config.get("backend")))


@dataclass(frozen=True)
class BatchResult:
    succeeded: tuple[int, ...]
    failed: tuple[int, ...]
    gene_symbols: tuple[str, ...]


@dataclass(frozen=True)
class _Debate:
    claimed: Claimed
    outcome: DebateOutcome
    believability: dict[str, float]
    case_digest: str | None


@dataclass(frozen=True)
class _Inputs:
    """What the batch's debates read from the ledger, in its first (short) transaction."""

    cases: dict[str, Case]
    prior: dict[int, list[TurnRecord]]
    believability: dict[str, float]
    genes: dict[str, tuple[str, ...]]
    resolved: set[str]


def run_batch(
    database: Database,
    settings: Settings,
    claimed: Sequence[Claimed],
    *,
    owner: str,
    backend_for: BackendFactory,
    weights: Weights | None = None,
) -> BatchResult:
    """Debate and score a claimed batch; evaluations whose lease moved on are left alone."""
    inputs = _read_inputs(database, claimed)
    debates, failed = _debate_all(claimed, inputs, backend_for)
    with database.transaction() as session:
        held = renew_batch(
            session,
            evaluation_ids=[item.id for item in claimed],
            worker=owner,
            lease_seconds=settings.lease_seconds,
        )
        debates = [d for d in debates if d.claimed.id in held]
        failed = {i: error for i, error in failed.items() if i in held}
        _record_starts(session, debates, owner)
        done = _store_and_score(session, settings, debates, inputs, weights or Weights.default())
        failed.update({i: e for i, e in done.items() if e is not None})
        succeeded = sorted(i for i, e in done.items() if e is None)
        complete_batch(
            session,
            finished=[_finished(d) for d in debates if d.claimed.id in succeeded],
            worker=owner,
        )
        for evaluation_id, error in failed.items():
            ledger.fail_evaluation(session, evaluation_id=evaluation_id, worker=owner, error=error)
    symbols = {
        s
        for d in debates
        if d.claimed.id in succeeded
        for s in inputs.genes[d.claimed.hypothesis_id]
    }
    log.info("batch of %d: %d succeeded, %d failed", len(claimed), len(succeeded), len(failed))
    return BatchResult(
        succeeded=tuple(succeeded),
        failed=tuple(sorted(failed)),
        gene_symbols=tuple(sorted(symbols)),
    )


def _read_inputs(database: Database, claimed: Sequence[Claimed]) -> _Inputs:
    with database.transaction() as session:
        rows = read_case_rows(session, hypothesis_ids=[item.hypothesis_id for item in claimed])
        stored = list_turns_of(session, evaluation_ids=[item.id for item in claimed])
        return _Inputs(
            cases=cases_of(rows),
            prior={i: [turn_record(row) for row in found] for i, found in stored.items()},
            believability=persona_believability(session),
            genes={h: tuple(g.symbol for g in rows.genes.get(h, ())) for h in rows.hypotheses},
            resolved={h.id for h in rows.hypotheses.values() if h.status in RESOLVED},
        )


def _debate_all(
    claimed: Sequence[Claimed], inputs: _Inputs, backend_for: BackendFactory
) -> tuple[list[_Debate], dict[int, str]]:
    """Every debate of the batch, in memory; any error fails only its own evaluation.

    The debates are deterministic, so an exception here would recur on every retry: the
    evaluation fails for good at once, with the exception's type and message.
    """
    debates: list[_Debate] = []
    failed: dict[int, str] = {}
    for item in claimed:
        # A resumed evaluation goes on with the weights its debate began with.
        case, believability = debate_inputs(
            inputs.cases[item.hypothesis_id], inputs.believability, ledger.as_of_of(item.config)
        )
        if item.believability is not None:
            believability = item.believability
        with evaluation_context(item.id):
            try:
                config = DebateConfig.from_dict(item.config)
                outcome = run_debate(
                    case,
                    config=config,
                    backend=backend_for(config),
                    prior_turns=inputs.prior[item.id],
                    believability=believability,
                )
            except Exception as exc:
                log.error("failed for good: %s: %s", type(exc).__name__, exc, exc_info=True)
                failed[item.id] = f"{type(exc).__name__}: {exc}"
                continue
        debates.append(_Debate(item, outcome, believability, kept_case_digest(item, case)))
    return debates, failed


def _store_and_score(
    session: Session,
    settings: Settings,
    debates: Sequence[_Debate],
    inputs: _Inputs,
    weights: Weights,
) -> dict[int, str | None]:
    """Store the turns and score the debates; each evaluation's error, or None if scored."""
    save_turns(
        session.connection(),
        turns=[
            {
                "evaluation_id": d.claimed.id,
                "round": record.round,
                "persona": record.persona,
                **turn_fields(record),
            }
            for d in debates
            for record in d.outcome.turns
        ],
    )
    scored, unscorable = score_batch(
        session,
        settings,
        [
            Debated(
                evaluation_id=d.claimed.id,
                hypothesis_id=d.claimed.hypothesis_id,
                resolved=d.claimed.hypothesis_id in inputs.resolved,
                turns=outcome_views(d.outcome),
                quality=d.outcome.quality,
                believability=d.believability,
                as_of=ledger.as_of_of(d.claimed.config),
            )
            for d in debates
        ],
        weights=weights,
    )
    return {**dict.fromkeys(scored), **unscorable}


def _record_starts(session: Session, debates: Sequence[_Debate], owner: str) -> None:
    """Fix what each debate weighed and read before scoring reads it: a fresh debate's start
    (``storage.queries.debate_starts.record_debate_starts``), and, for one resumed on a case that
    changed since its start, no case digest."""
    known: dict[tuple[object, object], BackendKnowledge] = {}
    starts = []
    for d in debates:
        if d.claimed.believability is not None:
            continue
        backend = (d.claimed.config.get("backend"), d.claimed.config.get("model"))
        if backend not in known:
            known[backend] = backend_knowledge(DebateConfig.from_dict(d.claimed.config))
        starts.append(
            DebateStart(d.claimed.id, d.believability, None, d.case_digest, known[backend])
        )
    debate_starts.record_debate_starts(session, starts=starts, worker=owner)
    for d in debates:
        if d.claimed.believability is not None and d.case_digest != d.claimed.case_digest:
            debate_starts.forget_case_digest(session, evaluation_id=d.claimed.id, worker=owner)


def _finished(debate: _Debate) -> Finished:
    outcome = debate.outcome
    return Finished(
        evaluation_id=debate.claimed.id,
        decisions=[decision_dict(d) for d in outcome.decisions],
        quality=outcome.quality,
        progress=debate_progress("scoring", outcome.rounds, outcome.rounds, len(outcome.turns)),
    )
