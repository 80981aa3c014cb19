"""A model-backed evaluation's debate phase: resume the debate, store each turn as it comes.

The task claims the evaluation (once per delivery) and hands the claim here; this module holds
the orchestration, and the debate logic itself lives in ``debates``. Every write is keyed so a
redelivered message repeats nothing: turns are unique per (evaluation, round, persona), and a
resumed debate skips stored turns. The phase ends by moving the evaluation to ``debated`` in
the transaction that stores its last turns, giving up its lease: scoring is the score task's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from common.settings import Settings
from debates.asof import debate_inputs
from debates.backends import registry
from debates.backends.base import AgentBackend, Usage
from debates.backends.knowledge import knowledge_of
from debates.case import Case, case_digest
from debates.fencing import new_fence
from debates.runner import planned_rounds, run_debate
from debates.types import DebateConfig, DebateOutcome, Decision, TurnRecord
from storage.db import Database
from storage.models import utcnow
from storage.queries import debate_starts
from storage.queries import evaluations as ledger
from storage.queries.calibration import persona_believability
from storage.queries.debate_starts import BackendKnowledge, DebateStart
from storage.queries.debated import mark_debated
from storage.queries.evaluation_batches import Claimed
from storage.queries.spending import record_unanswered_call
from storage.queries.turns import save_turns, stored_turns
from workers.cases import load_case
from workers.lease import LeaseKeeper, LeaseLostError
from workers.records import turn_fields, turn_record
from workers.spending import SpendLimitError, SpendLimits, check_spend

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.5

# Builds the agent backend an evaluation's configuration names.
BackendFactory = Callable[[DebateConfig], AgentBackend]


@dataclass(frozen=True)
class DebatePhase:
    """What the debate phase leaves for the scoring phase."""

    evaluation_id: int
    owner: str
    outcome: DebateOutcome


def run_debate_phase(
    database: Database,
    settings: Settings,
    claimed: Claimed,
    *,
    owner: str,
    backend_for: BackendFactory,
    on_started: Callable[[], None] | None = None,
) -> DebatePhase:
    """Run (or resume) the debate of an evaluation ``owner`` has claimed; leave it debated.

    ``on_started`` is called once the start is done, before the first turn is asked (the
    worker's start gate, ``workers.start_gate``).

    Raises LeaseLostError when another worker took the evaluation over meanwhile, and
    SpendLimitError at the turn boundary where a spend limit stops it (every turn asked so
    far is stored).
    """
    evaluation_id = claimed.id
    config = DebateConfig.from_dict(claimed.config)
    can = registry.capabilities(config.backend)
    limits = SpendLimits.from_settings(settings)
    if not (limits.any and can.reports_usage):
        limits = SpendLimits(None, None)
    start = _start_or_resume(database, claimed, config, owner=owner)
    backend = backend_for(config)
    with LeaseKeeper(
        database, evaluation_id=evaluation_id, owner=owner, lease_seconds=settings.lease_seconds
    ) as lease:
        writer = TurnWriter(
            database,
            lease,
            evaluation_id=evaluation_id,
            batched=can.recomputable,
            rounds=planned_rounds(config),
            turns_done=len(start.prior),
        )
        guard = TurnGuard(database, limits, evaluation_id=evaluation_id, on_first=on_started)
        try:
            outcome = run_debate(
                start.case,
                config=config,
                backend=backend,
                prior_turns=start.prior,
                on_turn=writer.add,
                believability=start.believability,
                before_turn=guard.before_turn,
                fence_token=start.fence_token,
            )
        except Exception as exc:
            guard.record_billed(exc)
            raise
        writer.finish(outcome, owner=owner)
    return DebatePhase(evaluation_id=evaluation_id, owner=owner, outcome=outcome)


@dataclass(frozen=True)
class _Start:
    """What a debate goes on from: its case, the turns already stored, and the believability
    and fence token recorded when it first began."""

    case: Case
    prior: list[TurnRecord]
    believability: dict[str, float]
    # None for a debate begun before fencing, which goes on unfenced.
    fence_token: str | None


def backend_knowledge(config: DebateConfig) -> BackendKnowledge:
    """What the configuration's backend and model may know beyond the case, as the ledger
    keeps it (``debates.backends.knowledge``)."""
    known = knowledge_of(config.backend, config.model)
    return BackendKnowledge(
        reads_only_request=known.reads_only_the_request,
        cutoff=None if known.cutoff is None else known.cutoff.latest,
        model=known.model,
    )


def _start_or_resume(
    database: Database, claimed: Claimed, config: DebateConfig, *, owner: str
) -> _Start:
    """Read what a resumed debate goes on from, or record a fresh debate's start."""
    evaluation_id = claimed.id
    as_of = ledger.as_of_of(claimed.config)
    # Reads, and a write fenced by the lease on its own: no transaction is needed around them.
    with database.autocommit_session() as session:
        believability, fence_token = claimed.believability, claimed.fence_token
        # The start below records the believability before any turn is stored, so a debate
        # without it has no turns to resume: a fresh one skips the read.
        prior = (
            []
            if believability is None
            else [turn_record(row) for row in stored_turns(session, evaluation_id=evaluation_id)]
        )
        # A resumed debate goes on with the weights it began with.
        current = persona_believability(session) if believability is None and not as_of else {}
        case, starting = debate_inputs(
            load_case(session, hypothesis_id=claimed.hypothesis_id), current, as_of
        )
        digest = kept_case_digest(claimed, case)
        if believability is None:
            believability = starting
            fence_token = new_fence().token
            knowledge = backend_knowledge(config)
            start = DebateStart(evaluation_id, believability, fence_token, digest, knowledge)
            debate_starts.record_debate_start(session, start, worker=owner)
        elif digest != claimed.case_digest:
            debate_starts.forget_case_digest(session, evaluation_id=evaluation_id, worker=owner)
            log.warning("evaluation %d resumes on a case changed since it began", evaluation_id)
    return _Start(case, prior, believability, fence_token)


def kept_case_digest(claimed: Claimed, case: Case) -> str | None:
    """The case digest (``debates.case.case_digest``) a debate of ``case`` leaves on its
    evaluation: the case's, unless the debate began before on another case. Its turns then
    read two cases, and it stands for neither, so a backtest's rerun never reuses it."""
    digest = case_digest(case)
    return digest if claimed.believability is None or claimed.case_digest == digest else None


class TurnGuard:
    """Knows which turn is being asked: checks the spend limits before it, and records what a
    provider billed for it when it fails (the turn is then never stored, its tokens are).
    Before the first turn asked it calls ``on_first`` (the worker's start gate)."""

    def __init__(
        self,
        database: Database,
        limits: SpendLimits,
        *,
        evaluation_id: int,
        on_first: Callable[[], None] | None = None,
    ) -> None:
        self._database = database
        self._limits = limits
        self._evaluation_id = evaluation_id
        self._on_first = on_first
        self._asking: tuple[int, str] | None = None

    def before_turn(self, round_: int, persona: str) -> None:
        """Raises SpendLimitError when the turn could pass a limit. Turns a model answered
        are stored as they come, so the ledger already holds every cost."""
        if self._asking is None and self._on_first is not None:
            self._on_first()
        self._asking = (round_, persona)
        if not self._limits.any:
            return
        with self._database.sessions() as session:
            reason = check_spend(
                session, self._limits, evaluation_id=self._evaluation_id, now=utcnow()
            )
        if reason is not None:
            raise SpendLimitError(f"before round {round_}, {persona}: {reason}")

    def record_billed(self, failure: BaseException) -> None:
        """Store the usage a failed turn's error carries (``BackendError.usage``, an
        unrepairable reply's), in its own transaction: the delivery fails, the bill stays."""
        usage = getattr(failure, "usage", None)
        if self._asking is None or not isinstance(usage, Usage):
            return
        if not (usage.prompt_tokens or usage.completion_tokens or usage.cost_usd):
            return
        round_, persona = self._asking
        with self._database.transaction() as session:
            record_unanswered_call(
                session,
                evaluation_id=self._evaluation_id,
                round_=round_,
                persona=persona,
                error=type(failure).__name__,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                cost_usd=usage.cost_usd,
            )


class TurnWriter:
    """Stores a debate's turns with the heartbeat that fences them, in one transaction.

    A model's turns cost tokens, so each is stored as it comes. A deterministic offline
    debate is recomputed exactly if it is lost, so its turns are stored in batches, at least
    every FLUSH_SECONDS so that the progress shown in the ledger keeps moving.
    """

    def __init__(
        self,
        database: Database,
        lease: LeaseKeeper,
        *,
        evaluation_id: int,
        batched: bool,
        rounds: int,
        turns_done: int,
    ) -> None:
        self._database = database
        self._lease = lease
        self._evaluation_id = evaluation_id
        self._batched = batched
        self._rounds = rounds
        self._turns_done = turns_done
        self._pending: list[TurnRecord] = []
        self._last_flush = time.monotonic()
        # A model's turn, stored as it comes, on PostgreSQL: one statement, one round trip.
        self._one_statement = not batched and database.dialect == "postgresql"

    def add(self, record: TurnRecord) -> None:
        self._pending.append(record)
        if self._batched and time.monotonic() - self._last_flush < FLUSH_SECONDS:
            return
        done = self._turns_done + len(self._pending)
        progress = debate_progress("debate", record.round, self._rounds, done)
        if self._one_statement and len(self._pending) == 1:
            with self._database.autocommit() as connection:
                self._lease.beat_with_turn(self._rows()[0], progress, connection=connection)
            self._flushed()
            return
        with self._database.core_transaction() as connection:
            self._flush(connection, progress)

    def finish(self, outcome: DebateOutcome, *, owner: str) -> None:
        """Store what is left, the decisions and the quality, and hand the debate to scoring."""
        progress = debate_progress("scoring", outcome.rounds, outcome.rounds, len(outcome.turns))
        # With every turn stored, the hand-over is the fenced write that ends the debate, and a
        # statement of its own.
        context = self._database.core_transaction if self._pending else self._database.autocommit
        with context() as connection:
            if self._pending:
                self._flush(connection, progress)
            handed_over = mark_debated(
                connection,
                evaluation_id=self._evaluation_id,
                worker=owner,
                decisions=[decision_dict(d) for d in outcome.decisions],
                quality=outcome.quality,
                progress=progress,
            )
            if not handed_over:
                raise LeaseLostError(f"evaluation {self._evaluation_id}: lease lost by {owner}")

    def _flush(self, connection: Connection, progress: dict[str, object]) -> None:
        self._lease.beat(progress, connection=connection)
        save_turns(connection, turns=self._rows())
        self._flushed()

    def _rows(self) -> list[dict[str, Any]]:
        return [
            {
                "evaluation_id": self._evaluation_id,
                "round": record.round,
                "persona": record.persona,
                **turn_fields(record),
            }
            for record in self._pending
        ]

    def _flushed(self) -> None:
        self._turns_done += len(self._pending)
        self._pending.clear()
        self._last_flush = time.monotonic()


def debate_progress(phase: str, round_: int, rounds: int, turns_done: int) -> dict[str, object]:
    return {
        "phase": phase,
        "round": round_,
        "rounds": max(rounds, round_),
        "turns_done": turns_done,
    }


def decision_dict(decision: Decision) -> dict[str, object]:
    return {
        "round": decision.round,
        "action": decision.action,
        "reason": decision.reason,
        "detail": decision.detail,
    }
