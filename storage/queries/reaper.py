"""The reaper's sweep: what a dead worker or a lost message left behind in the ledger.

Three kinds of row need it: a running evaluation whose lease expired (its worker died), a
queued one whose message is old (lost with a broker, or never sent), and a debated one whose
score message is old. Only the first spends an attempt; the others only need a message again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from storage.models import Evaluation, EvaluationState, utcnow
from storage.queries.delivery import is_batch_delivery
from storage.queries.evaluations import fail_evaluation, release


@dataclass(frozen=True)
class Sweep:
    """What one reaper pass found: evaluate messages and score messages to re-send, and the
    evaluations it failed for good."""

    requeue: list[int]
    failed: list[int]
    rescore: list[int] = field(default_factory=list)


def sweep_expired(
    session: Session,
    *,
    resend_after_seconds: int,
    rescore_after_seconds: int | None = None,
    now: datetime | None = None,
) -> Sweep:
    """Find evaluations a dead worker or a lost message left behind.

    A running evaluation whose lease expired goes back to queued (or fails once its attempts are
    spent, with the reason); a queued one whose last message is older than
    ``resend_after_seconds`` is re-sent, and so is the score message of a debated one older
    than ``rescore_after_seconds`` (default: the same). Returns the ids whose message the
    caller must send.
    """
    now = now or utcnow()
    requeue, failed = _expired_leases(session, now)
    stale = _stale(session, EvaluationState.QUEUED, now - timedelta(seconds=resend_after_seconds))
    requeue.extend(i for i in stale if i not in requeue)
    # Batch-delivery work is found in the ledger by beat's batch pass; it needs no message.
    requeue = live_delivered(session, requeue)
    rescore_after = resend_after_seconds if rescore_after_seconds is None else rescore_after_seconds
    rescore = _stale(session, EvaluationState.DEBATED, now - timedelta(seconds=rescore_after))
    return Sweep(requeue=sorted(requeue), failed=sorted(failed), rescore=sorted(rescore))


def _expired_leases(session: Session, now: datetime) -> tuple[list[int], list[int]]:
    expired = session.scalars(
        select(Evaluation)
        .where(
            Evaluation.state == EvaluationState.RUNNING.value,
            Evaluation.lease_expires_at < now,
        )
        .with_for_update(skip_locked=True)
    ).all()
    requeue: list[int] = []
    failed: list[int] = []
    for evaluation in expired:
        if evaluation.attempts >= evaluation.max_attempts:
            fail_evaluation(
                session,
                evaluation_id=evaluation.id,
                error=(
                    f"lease expired after {evaluation.attempts} of {evaluation.max_attempts} "
                    f"attempts (last worker: {evaluation.lease_owner}); giving up"
                ),
                now=now,
            )
            failed.append(evaluation.id)
        else:
            release(
                session,
                (Evaluation.id == evaluation.id, Evaluation.state == EvaluationState.RUNNING.value),
                state=EvaluationState.QUEUED,
                now=now,
                error=f"lease of worker {evaluation.lease_owner} expired; re-queued",
            )
            requeue.append(evaluation.id)
    return requeue, failed


def live_delivered(session: Session, evaluation_ids: list[int]) -> list[int]:
    """Those of ``evaluation_ids`` whose turns are asked live, so whose message must be sent."""
    if not evaluation_ids:
        return evaluation_ids
    batch = set(
        session.scalars(
            select(Evaluation.id).where(Evaluation.id.in_(evaluation_ids), is_batch_delivery())
        )
    )
    return [i for i in evaluation_ids if i not in batch]


def _stale(session: Session, state: EvaluationState, sent_before: datetime) -> list[int]:
    """Evaluations in ``state`` whose last message was sent before ``sent_before``, or never."""
    return list(
        session.scalars(
            select(Evaluation.id).where(
                Evaluation.state == state.value,
                or_(Evaluation.enqueued_at.is_(None), Evaluation.enqueued_at < sent_before),
            )
        )
    )


@dataclass(frozen=True)
class Throughput:
    """Evaluations taken from each queue per second lately: debates started, debates scored."""

    started_per_second: float
    scored_per_second: float


def recent_throughput(
    session: Session, *, window_seconds: int = 300, now: datetime | None = None
) -> Throughput:
    """How fast the workers have lately been taking evaluate and score messages."""
    now = now or utcnow()
    since = now - timedelta(seconds=window_seconds)
    started = session.scalar(
        select(func.count()).select_from(Evaluation).where(Evaluation.started_at >= since)
    )
    # Offline batches succeed without the scoring queue, so this can overstate its drain:
    # the reaper then errs towards re-sending, which costs a duplicate, never a loss.
    scored = session.scalar(
        select(func.count())
        .select_from(Evaluation)
        .where(
            Evaluation.finished_at >= since,
            Evaluation.state == EvaluationState.SUCCEEDED.value,
        )
    )
    return Throughput(
        started_per_second=int(started or 0) / window_seconds,
        scored_per_second=int(scored or 0) / window_seconds,
    )
