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

from debates.backends.base import FatalError
from debates.runner import run_debate
from debates.types import DebateConfig, DebateOutcome
from hyposcore.logs import evaluation_context
from hyposcore.settings import Settings
from scoring.weights import Weights
from storage.db import Database
from storage.queries import evaluations as ledger
from storage.queries.calibration import persona_believability
from storage.queries.evaluation_batches import (
    Claimed,
    Finished,
    claim_batch,
    complete_batch,
    renew_batch,
)
from storage.queries.knowledge import get_hypotheses_with_gene_facts
from storage.queries.turns import list_turns_of, save_turns
from workers.backends import batchable_backends
from workers.cases import case_of
from workers.evaluation import (
    BackendFactory,
    debate_progress,
    decision_dict,
)
from workers.records import turn_fields, turn_record
from workers.scoring_phase import RESOLVED, Debated, TurnView, score_batch

log = logging.getLogger(__name__)


def claim(
    database: Database,
    settings: Settings,
    *,
    evaluation_ids: Sequence[int],
    owner: str,
    batchable_only: bool = False,
) -> list[Claimed]:
    """Claim what is claimable of ``evaluation_ids`` (of a batchable backend, if so asked)."""
    with database.transaction() as session:
        return claim_batch(
            session,
            evaluation_ids=evaluation_ids,
            worker=owner,
            lease_seconds=settings.lease_seconds,
            backends=batchable_backends(settings) if batchable_only else None,
        )


def is_batch(claimed: Sequence[Claimed], settings: Settings) -> bool:
    return bool(claimed) and claimed[0].config.get("backend") in batchable_backends(settings)


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
    weights = weights or Weights.default()
    with database.transaction() as session:
        hypotheses = get_hypotheses_with_gene_facts(
            session, hypothesis_ids=[item.hypothesis_id for item in claimed]
        )
        stored = list_turns_of(session, evaluation_ids=[item.id for item in claimed])
        current = persona_believability(session)
        cases = {h.id: case_of(h) for h in hypotheses.values()}
        prior = {i: [turn_record(row) for row in rows] for i, rows in stored.items()}
        genes = {h.id: tuple(gene.symbol for gene in h.genes) for h in hypotheses.values()}
        resolved = {h.id for h in hypotheses.values() if h.status in RESOLVED}
    debates: list[_Debate] = []
    failed: dict[int, str] = {}
    for item in claimed:
        config = DebateConfig.from_dict(item.config)
        believability = item.believability if item.believability is not None else current
        with evaluation_context(item.id):
            try:
                outcome = run_debate(
                    cases[item.hypothesis_id],
                    config=config,
                    backend=backend_for(config),
                    prior_turns=prior[item.id],
                    believability=believability,
                )
            except FatalError as exc:
                log.error("failed for good: %s", exc)
                failed[item.id] = f"{type(exc).__name__}: {exc}"
                continue
        debates.append(_Debate(item, outcome, believability))
    with database.transaction() as session:
        held = renew_batch(
            session,
            evaluation_ids=[item.id for item in claimed],
            worker=owner,
            lease_seconds=settings.lease_seconds,
        )
        debates = [d for d in debates if d.claimed.id in held]
        save_turns(
            session,
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
                    resolved=d.claimed.hypothesis_id in resolved,
                    turns=[TurnView.of_record(t) for t in d.outcome.turns],
                    quality=d.outcome.quality,
                    believability=d.believability,
                )
                for d in debates
            ],
            weights=weights,
        )
        failed.update(unscorable)
        done = set(scored)
        complete_batch(
            session,
            finished=[_finished(d) for d in debates if d.claimed.id in done],
            worker=owner,
        )
        for evaluation_id, error in failed.items():
            if evaluation_id in held:
                ledger.fail_evaluation(
                    session, evaluation_id=evaluation_id, worker=owner, error=error
                )
    symbols = sorted(
        {s for d in debates if d.claimed.id in done for s in genes[d.claimed.hypothesis_id]}
    )
    log.info("batch of %d: %d succeeded, %d failed", len(claimed), len(done), len(failed))
    return BatchResult(
        succeeded=tuple(sorted(done)),
        failed=tuple(sorted(i for i in failed if i in held)),
        gene_symbols=tuple(symbols),
    )


def _finished(debate: _Debate) -> Finished:
    outcome = debate.outcome
    return Finished(
        evaluation_id=debate.claimed.id,
        decisions=[decision_dict(d) for d in outcome.decisions],
        quality=outcome.quality,
        progress=debate_progress("scoring", outcome.rounds, outcome.rounds, len(outcome.turns)),
        believability=debate.believability,
    )
