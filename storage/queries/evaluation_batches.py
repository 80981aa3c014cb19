"""The ledger in batches: queueing many evaluations, claiming and finishing offline ones.

An offline debate costs milliseconds, less than its per-evaluation ledger round trips and its
own broker message would. Offline evaluations queued together are therefore sent as one message
of ids; the worker that takes it claims each evaluation's lease as usual and finishes all of
them in one transaction. Leases, attempts and the reaper work per evaluation exactly as for
evaluations sent one by one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import ACTIVE_STATES, Evaluation, EvaluationState, Hypothesis, utcnow
from storage.queries.claims import claim_evaluations
from storage.queries.evaluations import (
    Enqueued,
    as_of_of,
    as_of_rule_version_of,
    config_hash,
    enqueue_evaluation,
)
from storage.queries.knowledge import missing_hypothesis
from storage.queries.leases import update_held

_RUNNING = EvaluationState.RUNNING.value
_QUEUED = EvaluationState.QUEUED.value
_LIVE = [s.value for s in ACTIVE_STATES]


@dataclass(frozen=True)
class Claimed:
    """An evaluation whose lease this worker now holds."""

    id: int
    hypothesis_id: str
    config: dict[str, Any]
    # Fixed when the evaluation's debate first started; None before that.
    believability: dict[str, float] | None = None
    fence_token: str | None = None
    case_digest: str | None = None


def claim_batch(
    executor: Session | Connection,
    *,
    evaluation_ids: Sequence[int],
    worker: str,
    lease_seconds: int,
    backends: Collection[str] | None = None,
    redelivered: bool = False,
    now: datetime | None = None,
) -> list[Claimed]:
    """Take the leases of those of ``evaluation_ids`` that are claimable (and of ``backends``).

    What is claimable is what ``claim_evaluation`` would claim: queued, expired, or already this
    worker's (a retried task takes its batch back without spending attempts). Returns them in id
    order, with what their debates need.
    """
    rows = claim_evaluations(
        executor,
        evaluation_ids=evaluation_ids,
        worker=worker,
        lease_seconds=lease_seconds,
        backends=backends,
        redelivered=redelivered,
        now=now,
    )
    return [
        Claimed(
            id=i,
            hypothesis_id=h,
            config=dict(c or {}),
            believability=b,
            fence_token=f,
            case_digest=d,
        )
        for i, h, c, b, f, d in rows
    ]


def renew_batch(
    session: Session,
    *,
    evaluation_ids: Sequence[int],
    worker: str,
    lease_seconds: int,
    now: datetime | None = None,
) -> set[int]:
    """Renew this worker's leases on ``evaluation_ids``; returns those it still holds.

    Inside the transaction that finishes the batch this also locks the rows, so no reaper can
    hand them on before the transaction commits.
    """
    if not evaluation_ids:
        return set()
    now = now or utcnow()
    held = session.scalars(
        update(Evaluation)
        .where(
            Evaluation.id.in_(list(evaluation_ids)),
            Evaluation.state == _RUNNING,
            Evaluation.lease_owner == worker,
        )
        .values(
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            heartbeat_at=now,
            updated_at=now,
        )
        .returning(Evaluation.id)
        .execution_options(synchronize_session=False)
    ).all()
    return set(held)


@dataclass(frozen=True)
class Finished:
    """What a finished debate leaves on its ledger row."""

    evaluation_id: int
    decisions: Sequence[Mapping[str, Any]]
    quality: float
    progress: Mapping[str, Any]


def complete_batch(
    session: Session, *, finished: Sequence[Finished], worker: str, now: datetime | None = None
) -> None:
    """Mark the batch succeeded with its decisions, quality and progress, and free the leases.

    Call after ``renew_batch`` and ``record_debate_starts`` in the same transaction, with only
    the evaluations ``renew_batch`` returned.
    """
    if not finished:
        return
    now = now or utcnow()
    statement = update_held().values(
        state=EvaluationState.SUCCEEDED.value,
        lease_owner=None,
        lease_expires_at=None,
        decisions=bindparam("decisions"),
        quality=bindparam("quality"),
        progress=bindparam("progress"),
        finished_at=now,
        updated_at=now,
    )
    session.execute(
        statement,
        [
            {
                "evaluation_id": item.evaluation_id,
                "worker": worker,
                "decisions": [dict(d) for d in item.decisions],
                "quality": item.quality,
                "progress": dict(item.progress),
            }
            for item in finished
        ],
    )


def enqueue_many(
    session: Session,
    *,
    hypothesis_ids: Sequence[str],
    config: Mapping[str, Any],
    max_attempts: int,
    force: bool = False,
    now: datetime | None = None,
) -> list[Enqueued]:
    """``enqueue_evaluation`` for many hypotheses under one configuration, in four statements.

    Returns one entry per requested hypothesis, in order: a new queued row, or (unless
    ``force``) the live twin, which a repeated hypothesis also gets. Raises NotFoundError naming
    the first unknown hypothesis, before anything is written.
    """
    if not hypothesis_ids:
        return []
    _check_known(session, hypothesis_ids)
    digest = config_hash(config)
    live = {} if force else _live_twins(session, hypothesis_ids, digest)
    wanted = list(hypothesis_ids) if force else list(dict.fromkeys(hypothesis_ids))
    now = now or utcnow()
    values = [
        _queued_row(h, config, digest, max_attempts=max_attempts, deduplicated=not force, now=now)
        for h in wanted
        if h not in live
    ]
    try:
        with session.begin_nested():
            created = (
                list(session.scalars(insert(Evaluation).returning(Evaluation), values))
                if values
                else []
            )
    except IntegrityError:
        # A concurrent request took a live slot: fall back to one by one, which resolves races.
        return [
            enqueue_evaluation(
                session, hypothesis_id=h, config=config, max_attempts=max_attempts, force=force
            )
            for h in hypothesis_ids
        ]
    if force:
        return [Enqueued(evaluation, created=True) for evaluation in created]
    fresh = {evaluation.hypothesis_id: evaluation for evaluation in created}
    results: list[Enqueued] = []
    for h in hypothesis_ids:
        if h in fresh:
            live[h] = fresh.pop(h)  # named again, it gets this new row as its live twin
            results.append(Enqueued(live[h], created=True))
        else:
            results.append(Enqueued(live[h], created=False))
    return results


def _queued_row(
    hypothesis_id: str,
    config: Mapping[str, Any],
    digest: str,
    *,
    max_attempts: int,
    deduplicated: bool,
    now: datetime,
) -> dict[str, Any]:
    """A new evaluation's column values, queued; a deduplicated one claims its configuration's
    live slot (``dedup_key``), a forced one none. ``digest`` is ``config_hash(config)``."""
    return {
        "hypothesis_id": hypothesis_id,
        "config": dict(config),
        "config_hash": digest,
        "as_of": as_of_of(config),
        "as_of_rule_version": as_of_rule_version_of(config),
        "dedup_key": digest if deduplicated else None,
        "state": _QUEUED,
        "attempts": 0,
        "max_attempts": max_attempts,
        "progress": {},
        "decisions": [],
        "created_at": now,
        "updated_at": now,
    }


def _check_known(session: Session, hypothesis_ids: Sequence[str]) -> None:
    known = set(
        session.scalars(select(Hypothesis.id).where(Hypothesis.id.in_(set(hypothesis_ids))))
    )
    for hypothesis_id in hypothesis_ids:
        if hypothesis_id not in known:
            raise missing_hypothesis(session, hypothesis_id)


def _live_twins(
    session: Session, hypothesis_ids: Sequence[str], digest: str
) -> dict[str, Evaluation]:
    """Each hypothesis's oldest queued or running evaluation with this configuration."""
    live: dict[str, Evaluation] = {}
    for evaluation in session.scalars(
        select(Evaluation)
        .where(
            Evaluation.hypothesis_id.in_(set(hypothesis_ids)),
            Evaluation.config_hash == digest,
            Evaluation.state.in_(_LIVE),
        )
        .order_by(Evaluation.id.desc())
    ):
        live[evaluation.hypothesis_id] = evaluation  # ids descending: the oldest is kept
    return live
