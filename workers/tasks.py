"""Celery tasks. Thin on purpose: each claims its work in the ledger and calls one function.

Messages carry ids only. Every task is safe to run twice: the ledger's lease decides who works,
and every write is keyed (turns per round and persona, trades and snapshots per evaluation).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from celery import Task, shared_task
from celery.exceptions import Retry
from sqlalchemy.exc import InterfaceError, OperationalError

from common.logs import evaluation_context
from debates.backends.base import FatalError, RateLimitedError, RetryableError
from storage.queries import evaluations as ledger
from storage.queries import leases
from storage.queries.debated import scoring_failed
from storage.queries.evaluation_batches import Claimed
from storage.queries.turns import count_turns
from workers import maintenance, offline_batch, scoring_phase, spending
from workers.agents import backend_factory, batchable_backends
from workers.dispatch import send_evaluate, send_publish, send_score
from workers.evaluation import run_debate_phase
from workers.lease import LeaseLostError
from workers.provider_batches import BatchRunner
from workers.publish_wakeups import pending_publishes
from workers.retry_budget import BudgetSpentError, RetryBudget, backoff_seconds
from workers.runtime import Runtime, runtime_for
from workers.spending import SpendLimitError
from workers.start_gate import start_gate
from workers.wakeups import score_wakeups

log = logging.getLogger(__name__)

# Database hiccups (a dropped connection, a failover) are retried with the same owner token,
# which re-enters its own lease; the evaluation's stored turns make the retry resume.
DB_RETRY_SECONDS = 2
DATABASE_HICCUPS = (OperationalError, InterfaceError)


def _owner(task: Task) -> str:
    # One token per delivery, kept across retries (Celery keeps the task id when retrying).
    return f"{task.request.hostname or 'local'}/{task.request.id}"


def _redelivered(task: Task) -> bool:
    """True when the broker gave this message back because the worker running it died.

    The token is the same as the dead delivery's, so only this flag tells a crash (which
    spends an attempt) from a retry (which does not).
    """
    return bool((task.request.delivery_info or {}).get("redelivered"))


def _failure(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


@shared_task(
    bind=True,
    name="hyposcore.evaluate",
    max_retries=None,
    acks_late=True,
    autoretry_for=DATABASE_HICCUPS,
    retry_backoff=DB_RETRY_SECONDS,
    retry_backoff_max=60,
)
def evaluate(self: Task, evaluation_id: int, retry_budget: dict[str, Any] | None = None) -> None:
    """Claim one evaluation and run (or resume) its debate; hand a model's debate to scoring.

    ``retry_budget`` is what earlier deliveries spent on provider errors (see
    ``workers.retry_budget``); a retry message carries it.
    """
    runtime = runtime_for(self.app)
    owner = _owner(self)
    gate = start_gate(runtime.settings.debate_starts_per_worker)
    with evaluation_context(evaluation_id), gate.starting() as started:
        claimed = offline_batch.claim(
            runtime.database,
            runtime.settings,
            evaluation_ids=[evaluation_id],
            owner=owner,
            redelivered=_redelivered(self),
        )
        if not claimed:
            log.info("not claimed (finished, or another worker holds the lease); dropping")
            return
        if offline_batch.is_batch(claimed, runtime.settings):
            _run_batch(self, runtime, claimed, owner)
            return
        budget = RetryBudget.from_message(retry_budget)
        if _debate(self, runtime, claimed[0], owner, budget, started):
            send_score(
                self.app,
                runtime.database,
                evaluation_id=evaluation_id,
                stamped=True,
                wakeups=score_wakeups(runtime.settings),
            )


def _debate(
    task: Task,
    runtime: Runtime,
    claimed: Claimed,
    owner: str,
    budget: RetryBudget,
    started: Callable[[], None],
) -> bool:
    """The debate phase of one claimed evaluation; True when it was handed to scoring.

    ``started`` gives up the worker's start-gate place once the first turn is asked.

    Every way it can end is decided here, at once: a retry (the lease kept), a failure for
    good, or a release for a retry after an exception nobody expected. Only a database
    hiccup escapes, for Celery's own retry (which re-enters the lease).
    """
    try:
        run_debate_phase(
            runtime.database,
            runtime.settings,
            claimed,
            owner=owner,
            backend_for=backend_factory(runtime.settings),
            on_started=started,
        )
    except LeaseLostError:
        log.warning("lease lost to another worker; stopping")
    except SpendLimitError as exc:
        spending.pause(runtime.database, evaluation_id=claimed.id, owner=owner, stop=exc)
        log.warning("paused: %s", exc)
    except RetryableError as exc:
        _retry_or_fail(task, runtime, claimed.id, owner, exc, budget)
    except FatalError as exc:
        with runtime.database.transaction() as session:
            ledger.fail_evaluation(
                session, evaluation_id=claimed.id, worker=owner, error=_failure(exc)
            )
        log.error("failed for good: %s", exc)
    except (*DATABASE_HICCUPS, Retry):
        raise
    except Exception as exc:
        _release_after(task, runtime, [claimed.id], owner, exc)
    else:
        return True
    return False


@shared_task(
    bind=True,
    name="hyposcore.evaluate_batch",
    acks_late=True,
    max_retries=None,
    autoretry_for=DATABASE_HICCUPS,
    retry_backoff=DB_RETRY_SECONDS,
    retry_backoff_max=60,
)
def evaluate_batch(self: Task, evaluation_ids: list[int]) -> None:
    """Run several offline evaluations together: one claim, one transaction for the results."""
    runtime = runtime_for(self.app)
    if not batchable_backends(runtime.settings):
        # This worker runs offline debates one by one (they are slowed down to drill faults).
        for evaluation_id in evaluation_ids:
            send_evaluate(runtime.database, self.app, evaluation_id=evaluation_id)
        return
    owner = _owner(self)
    claimed = offline_batch.claim(
        runtime.database,
        runtime.settings,
        evaluation_ids=evaluation_ids,
        owner=owner,
        batchable_only=True,
        redelivered=_redelivered(self),
    )
    if len(claimed) < len(evaluation_ids):
        log.info("batch: %d of %d claimable", len(claimed), len(evaluation_ids))
    if claimed:
        _run_batch(self, runtime, claimed, owner)


def _run_batch(task: Task, runtime: Runtime, claimed: Sequence[Claimed], owner: str) -> None:
    try:
        batch = offline_batch.run_batch(
            runtime.database,
            runtime.settings,
            claimed,
            owner=owner,
            backend_for=backend_factory(runtime.settings),
        )
    except DATABASE_HICCUPS:
        raise
    except Exception as exc:
        # Each evaluation's own errors are caught inside; this is the batch as a whole.
        _release_after(task, runtime, [item.id for item in claimed], owner, exc)
        return
    _send_publish(task, batch.gene_symbols)


def _release_after(
    task: Task, runtime: Runtime, evaluation_ids: Sequence[int], owner: str, exc: Exception
) -> None:
    """End this delivery at once after an exception nobody expected, never waiting out a lease.

    Each evaluation goes back to queued with the error (its next claim spends an attempt) and
    its message is sent again after a back-off, or it fails for good once its attempts are spent.
    """
    log.error("unexpected %s; ending this delivery", _failure(exc), exc_info=exc)
    with runtime.database.transaction() as session:
        states = {
            evaluation_id: ledger.release_for_retry(
                session, evaluation_id=evaluation_id, worker=owner, error=_failure(exc)
            )
            for evaluation_id in evaluation_ids
        }
    for evaluation_id, state in states.items():
        if state == "queued":
            wait = backoff_seconds(0, runtime.settings.retry_backoff_seconds)
            send_evaluate(runtime.database, task.app, evaluation_id=evaluation_id, countdown=wait)


def _retry_or_fail(
    task: Task,
    runtime: Runtime,
    evaluation_id: int,
    owner: str,
    exc: RetryableError,
    budget: RetryBudget,
) -> None:
    """Retry the debate after a back-off (or the provider's Retry-After), keeping the lease;
    fail the evaluation once the request's retries or the rate-limit waits are spent."""
    base = runtime.settings.retry_backoff_seconds
    try:
        if isinstance(exc, RateLimitedError):
            wait = exc.retry_after if exc.retry_after is not None else backoff_seconds(0, base)
            budget = budget.after_rate_limit(wait, exc)
        else:
            with runtime.database.sessions() as session:
                turns_done = count_turns(session, evaluation_id=evaluation_id)
            budget = budget.after_failure(turns_done, exc)
            wait = backoff_seconds(budget.failures - 1, base)
    except BudgetSpentError as spent:
        with runtime.database.transaction() as session:
            ledger.fail_evaluation(
                session, evaluation_id=evaluation_id, worker=owner, error=str(spent)
            )
        log.error("failed for good: %s", spent)
        return
    # Keep the lease through the wait so the reaper does not hand the run to someone else.
    with runtime.database.core_transaction() as connection:
        leases.heartbeat(
            connection,
            evaluation_id=evaluation_id,
            worker=owner,
            lease_seconds=int(wait) + runtime.settings.lease_seconds,
        )
    retries = int(task.request.retries or 0)
    log.warning("retryable provider error (%s); retry %d in %.1fs", exc, retries + 1, wait)
    raise task.retry(exc=exc, countdown=wait, kwargs={"retry_budget": budget.as_message()})


@shared_task(
    bind=True,
    name="hyposcore.score",
    max_retries=None,
    acks_late=True,
    autoretry_for=DATABASE_HICCUPS,
    retry_backoff=DB_RETRY_SECONDS,
    retry_backoff_max=60,
)
def score(self: Task, evaluation_id: int, owner: str | None = None) -> None:
    """Score a debated evaluation and the others waiting to be scored, in batches through the
    batches' scoring code (``scoring_phase.score_with_waiting``).

    ``owner`` is accepted from messages sent before the debated state existed, and ignored:
    a debated evaluation holds no lease, and this task claims it by its state alone.
    """
    runtime = runtime_for(self.app)
    # Before the claim: a hand-over from now on sends its own message (workers.wakeups).
    score_wakeups(runtime.settings).clear()
    with evaluation_context(evaluation_id):
        try:
            done = scoring_phase.score_with_waiting(
                runtime.database, runtime.settings, evaluation_id=evaluation_id
            )
        except DATABASE_HICCUPS:
            raise
        except Exception as exc:
            log.error("unexpected %s while scoring", _failure(exc), exc_info=exc)
            with runtime.database.transaction() as session:
                state = scoring_failed(session, evaluation_id=evaluation_id, error=_failure(exc))
            if state == "debated":
                send_score(
                    self.app,
                    runtime.database,
                    evaluation_id=evaluation_id,
                    countdown=backoff_seconds(0, runtime.settings.retry_backoff_seconds),
                )
            return
        if not done.succeeded and not done.failed:
            log.info("scoring skipped: not debated (already scored, or cancelled)")
            return
        _send_publish(self, done.gene_symbols)


def _send_publish(task: Task, gene_symbols: Sequence[str]) -> None:
    settings = runtime_for(task.app).settings
    send_publish(task.app, gene_symbols=gene_symbols, pending=pending_publishes(settings))


@shared_task(
    bind=True,
    name="hyposcore.publish",
    max_retries=10,
    acks_late=True,
    autoretry_for=DATABASE_HICCUPS,
    retry_backoff=DB_RETRY_SECONDS,
)
def publish(self: Task, gene_symbols: list[str] | None = None) -> None:
    """Write the latest scores back into the gene pages (all pages when none are named), with
    the genes other score batches left waiting for this message (``workers.publish_wakeups``)."""
    runtime = runtime_for(self.app)
    if gene_symbols is None:
        maintenance.publish_pages(runtime.database, runtime.settings)
    else:
        maintenance.publish_pending(runtime.database, runtime.settings, gene_symbols=gene_symbols)


@shared_task(bind=True, name="hyposcore.reap", acks_late=True)
def reap(self: Task) -> dict[str, list[int]]:
    """Re-send evaluations a dead worker or a lost message left behind; purge delivered rows."""
    runtime = runtime_for(self.app)
    return maintenance.reap(runtime.database, runtime.settings, self.app)


@shared_task(bind=True, name="hyposcore.reevaluate", acks_late=True)
def reevaluate(self: Task) -> list[int]:
    """Queue re-evaluations of stale or promising hypotheses by exploration priority."""
    runtime = runtime_for(self.app)
    return maintenance.reevaluate(runtime.database, runtime.settings, self.app)


@shared_task(bind=True, name="hyposcore.provider_batches", acks_late=True)
def provider_batches(self: Task) -> dict[str, list[int]]:
    """Collect ended provider batches and send the next round of waiting debates as one."""
    runtime = runtime_for(self.app)
    owner = _owner(self)
    done = BatchRunner(
        runtime.database,
        runtime.settings,
        backend_for=backend_factory(runtime.settings),
        owner=owner,
    ).run_pass()
    wakeups = score_wakeups(runtime.settings)
    for evaluation_id in done.debated:
        send_score(self.app, runtime.database, evaluation_id=evaluation_id, wakeups=wakeups)
    return {
        "collected": done.collected,
        "submitted": done.submitted,
        "debated": done.debated,
        "failed": done.failed,
    }


@shared_task(bind=True, name="hyposcore.tournament_round", acks_late=True)
def tournament_round(self: Task) -> int:
    """Judge the most informative pairs of related hypotheses, one call a match, a seeded coin
    deciding who is shown first."""
    runtime = runtime_for(self.app)
    return maintenance.tournament_round(runtime.database, runtime.settings)


@shared_task(bind=True, name="hyposcore.refit_ratings", acks_late=True)
def refit_ratings(self: Task) -> int:
    """Refit the Bradley–Terry ratings of record from the whole match log."""
    runtime = runtime_for(self.app)
    return maintenance.refit_ratings(runtime.database, runtime.settings)


@shared_task(name="hyposcore.noop", ignore_result=True)
def noop(counter_url: str, counter_key: str) -> None:
    """Count one delivery in Redis and do nothing else: the broker-overhead yardstick of
    bench/pipeline_throughput.py."""
    import redis

    client = redis.Redis.from_url(counter_url)
    try:
        client.incr(counter_key)
    finally:
        client.close()
