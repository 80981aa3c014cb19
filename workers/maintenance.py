"""The scheduled jobs: the reaper, re-evaluation by priority, tournaments, refits, publishing."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from celery import Celery

from common.settings import Settings
from debates.backends import registry
from debates.backends.base import AgentBackend
from debates.judge import judge_once
from scoring.bt_posterior import PRIOR_SD, components, fit_posterior, tally
from scoring.bt_ratings import rate, rate_bytes
from scoring.calibration import brier_of_moments, update_believability
from scoring.pairing import choose_pairs, round_bytes, shown_first
from scoring.priority import Candidate, rank_for_reevaluation
from scoring.tournament import ELO_START, Match, elo_update, single_outcome
from storage.db import Database
from storage.models import utcnow
from storage.queries.calibration import recalibrate, resolved_forecasts
from storage.queries.reaper import live_delivered, recent_throughput, sweep_expired
from storage.queries.schedule import schedule_rows
from storage.queries.tournament import (
    LoggedMatch,
    eligible_groups,
    get_ratings,
    latest_fitted_at,
    learnt_spread,
    match_log,
    pairable,
    record_match,
    save_ratings,
)
from storage.queries.workers import REFIT_TASK, record_pass
from wiki.publish import PublishReport
from wiki.publish import publish_pages as publish
from wiki.store import FolderPageStore
from workers.broker import broker_queue_depth, purge_delivered
from workers.cases import load_case
from workers.celery_app import DEBATES_QUEUE, SCORING_QUEUE
from workers.dispatch import debate_config, send_evaluate, send_score, submit_evaluations
from workers.memory import OverBudgetError, check_fit
from workers.pass_holds import PassRun, holding
from workers.publish_wakeups import pending_publishes
from workers.spending import resumable

log = logging.getLogger(__name__)

# The scheduled passes these record (storage.queries.workers): a round and a refit
# (REFIT_TASK) each hold their pass while they run (workers.pass_holds).
TOURNAMENT_ROUND_TASK = "tournament_round"


def reap(database: Database, settings: Settings, app: Celery) -> dict[str, list[int]]:
    """Re-queue evaluations whose lease expired (or fail them when out of attempts), re-send
    queued ones whose message is old and the score message of debated ones whose message is
    old, resume paused ones that the spend limits now allow, and purge the embedded broker's
    delivered rows."""
    debates_depth = broker_queue_depth(app, DEBATES_QUEUE)
    scoring_depth = broker_queue_depth(app, SCORING_QUEUE)
    base = settings.resend_after_seconds
    with database.transaction() as session:
        rate = recent_throughput(session)
        sweep = sweep_expired(
            session,
            resend_after_seconds=resend_patience(
                base, depth=debates_depth, per_second=rate.started_per_second
            ),
            rescore_after_seconds=resend_patience(
                base, depth=scoring_depth, per_second=rate.scored_per_second
            ),
        )
    resumed = resumable(database, settings, now=utcnow())
    with database.sessions() as session:
        to_send = [*sweep.requeue, *live_delivered(session, resumed)]
    for evaluation_id in to_send:
        send_evaluate(database, app, evaluation_id=evaluation_id)
    for evaluation_id in sweep.rescore:
        send_score(app, database, evaluation_id=evaluation_id)
    purged = purge_delivered(settings.resolved_broker_url)
    if sweep.requeue or sweep.failed or sweep.rescore or resumed or purged:
        log.info(
            "reaper: re-sent %s, re-sent for scoring %s, failed %s, resumed after a spend "
            "limit %s, purged %d delivered broker rows",
            sweep.requeue,
            sweep.rescore,
            sweep.failed,
            resumed,
            purged,
        )
    return {
        "requeued": sweep.requeue,
        "rescored": sweep.rescore,
        "failed": sweep.failed,
        "resumed": resumed,
    }


def reevaluate(
    database: Database, settings: Settings, app: Celery, *, now: datetime | None = None
) -> list[int]:
    """Queue the stale or never-scored hypotheses with the highest exploration priority.

    The configured debate settings are checked first: a ConfigError naming the wrong setting,
    and nothing queued.
    """
    config = debate_config(settings, urgent=False)  # it can wait: batches where offered
    now = now or utcnow()
    stale_before = now - timedelta(hours=settings.stale_after_hours)
    with database.sessions() as session:
        rows = schedule_rows(session)
    candidates = [
        Candidate(r.hypothesis_id, r.composite, r.novelty, r.therapeutic_potential, r.evaluations)
        for r in rows
        if not r.live and (r.last_scored_at is None or r.last_scored_at < stale_before)
    ]
    chosen = rank_for_reevaluation(candidates, settings.reevaluate_batch)
    queued = [
        e.evaluation.id
        for e in submit_evaluations(
            database, settings, hypothesis_ids=chosen, config=config, app=app
        )
    ]
    if queued:
        log.info("scheduler: queued re-evaluations %s of %s", queued, chosen)
    return queued


def tournament_round(database: Database, settings: Settings) -> int:
    """Judge the pairs that tell the ranking most, one call each; returns matches recorded.

    Pairs joining separate components come first. Who is shown first is a coin seeded by the
    length of the log, so replaying the same log replays the same orders. The posterior is
    fitted at the spread of strengths the last refit learnt (``PRIOR_SD`` before one), so a
    decisive judge's pairing is not read through a prior that shrinks it.

    One round at a time: a round started while another runs would read the same log and judge
    the same pairs again, so it stands down (returns 0). A round killed mid-way holds the pass
    for at most one ``tournament_interval_seconds``; a live one renews its hold, and if it
    loses the hold anyway (its renewals failing for a whole interval) it judges no further
    pair, since the round that took the pass may be judging them. A round whose fit would
    need more memory than it may take (``workers.memory``) judges nothing and says why on
    its pass.
    """
    return _one_at_a_time(
        database,
        TOURNAMENT_ROUND_TASK,
        settings.tournament_interval_seconds,
        lambda run: _play_round(database, settings, run),
    )


def _one_at_a_time(
    database: Database, task: str, seconds: float, work: Callable[[PassRun], int]
) -> int:
    """``work``'s count, done holding the pass ``task``; 0 when another run holds it, or when
    its fit would take more memory than it may (the refusal kept on the pass)."""
    with holding(database, task, seconds) as run:
        if run is None:
            log.info("%s: another run holds the pass; this one stands down", task)
            return 0
        try:
            return work(run)
        except OverBudgetError as refused:
            log.error("%s: refused: %s", task, refused)
            run.error = str(refused)
            return 0


def _play_round(database: Database, settings: Settings, run: PassRun) -> int:
    with database.sessions() as session:
        groups = eligible_groups(session)
        recorded = match_log(session)
        spread = learnt_spread(session)
    if not groups:
        return 0
    counts = tally([_match(m) for m in recorded], {h for group in groups for h in group})
    top_k = settings.tournament_top_k if 0 < settings.tournament_top_k < len(counts.ids) else None
    needed = round_bytes(entrants=len(counts.ids), matches=len(recorded), top_k=top_k is not None)
    check_fit(f"a round among {len(counts.ids):,} hypotheses", needed, settings)
    chosen = choose_pairs(
        fit_posterior(counts, prior_sd=PRIOR_SD if spread is None else spread),
        groups,
        settings.tournament_pairs,
        component=components(counts).tolist(),
        top_k=top_k,
        overwrite_cov=True,  # the fit is for this choice alone
    )
    judge = registry.create_from_settings(settings.backend)
    judged = 0
    for pair in chosen:
        if run.lost:  # the next round read the same log: it judges these pairs now
            log.warning("tournament: lost the pass to another round; stopped after %d", judged)
            break
        _judge_and_record(database, judge, *shown_first(*pair, seed=str(len(recorded))))
        judged += 1
    log.info("tournament: judged %d pairs, one call each", judged)
    return judged


def _judge_and_record(database: Database, judge: AgentBackend, first: str, second: str) -> None:
    with database.sessions() as session:
        case_first = load_case(session, hypothesis_id=first)
        case_second = load_case(session, hypothesis_id=second)
    verdict = judge_once(judge, case_first, case_second)
    outcome = single_outcome(verdict.verdict)
    with database.transaction() as session:
        ratings = get_ratings(session, hypothesis_ids=[first, second])
        elo_first, elo_second = elo_update(
            ratings[first].elo if first in ratings else ELO_START,
            ratings[second].elo if second in ratings else ELO_START,
            outcome,
        )
        record_match(
            session,
            hypothesis_a=first,
            hypothesis_b=second,
            outcome=outcome.value,
            judge=verdict.judge,
            verdict_ab=verdict.verdict,
            verdict_ba=None,
            rationale=verdict.rationale[:4000],
            elo_a=elo_first,
            elo_b=elo_second,
        )


def refit_ratings(database: Database, settings: Settings) -> int:
    """Refit the ratings of record from the whole match log (replayable, order-independent);
    returns how many hypotheses are rated.

    One refit at a time: a refit started while another runs stands down (returns 0), since
    it would fit much the same log again beside the first, in the memory the first holds. A
    refit killed mid-way holds the pass for at most one ``refit_interval_seconds``; a live
    one renews its hold, however long its fit takes. A refit whose fit would need more memory
    than it may take (``workers.memory``) keeps the stored ratings, rates none and says why
    on its pass.

    The fit runs between two transactions, not inside one: at thousands of entrants it takes
    seconds to minutes, and on SQLite a transaction holds the write lock that every debate
    and match needs. The ratings are stamped with when the log was read; a fit of a log read
    later (by a refit that took the pass after this one's hold lapsed) is not overwritten.
    """
    return _one_at_a_time(
        database, REFIT_TASK, settings.refit_interval_seconds, lambda _: _refit(database, settings)
    )


def _refit(database: Database, settings: Settings) -> int:
    read_at = utcnow()
    with database.sessions() as session:
        matches = [_match(m) for m in match_log(session, include_invalid=False)]
        entrants = pairable(session)
    field = len(entrants | {name for match in matches for name in (match.a, match.b)})
    needed = rate_bytes(entrants=field, matches=len(matches))
    check_fit(f"the refit of {field:,} hypotheses", needed, settings)
    began = time.perf_counter()
    fit = rate(matches, entrants=entrants)
    rated = sum(rating.rated for rating in fit.ratings.values())
    log.info(
        "refit: %d matches, %d of %d entrants rated in %.1f s",
        len(matches),
        rated,
        len(fit.ratings),
        time.perf_counter() - began,
    )
    # With nothing rated the learnt spread is only its prior's: the matches said nothing.
    spread = fit.spread if rated else None
    with database.transaction() as session:
        record_pass(session, task=REFIT_TASK)
        newest = latest_fitted_at(session)
        if newest is not None and newest > read_at:
            log.info("refit: kept the ratings of a log read after this one's (%s)", newest)
            return rated
        save_ratings(
            session,
            strengths=fit.ratings,
            position_bias=fit.position_bias,
            bias_interval=(fit.bias_low, fit.bias_high),
            spread=spread,
            fitted_at=read_at,
        )
    return rated


def _match(row: LoggedMatch) -> Match:
    # A match judged once (since migration 0007) showed A first and has no verdict_ba.
    once = row.verdict_ab is not None and row.verdict_ba is None
    return Match(row.hypothesis_a, row.hypothesis_b, row.outcome, positioned=once)


def publish_pages(
    database: Database, settings: Settings, *, gene_symbols: list[str] | None = None
) -> PublishReport:
    """Write the latest snapshots back into the gene pages of the configured page store."""
    store = FolderPageStore(settings.resolved_pages_dir)
    report = publish(database, store, gene_symbols=gene_symbols)
    log.info("publish: %s", report.summary())
    return report


def publish_pending(
    database: Database, settings: Settings, *, gene_symbols: list[str]
) -> PublishReport:
    """Publish ``gene_symbols`` and every gene waiting for a publish (``workers.
    publish_wakeups``); the waiting ones are let go only once their pages are written."""
    pending = pending_publishes(settings)
    taken = pending.take()
    report = publish_pages(database, settings, gene_symbols=sorted({*gene_symbols, *taken}))
    pending.done(taken)
    return report


def recalibrate_resolved(database: Database) -> int:
    """Grade every persona's forecasts on the resolved hypotheses; returns hypotheses graded."""
    with database.transaction() as session:
        resolved = sorted({f.hypothesis_id for f in resolved_forecasts(session)})
        for hypothesis_id in resolved:
            recalibrate(
                session,
                hypothesis_id=hypothesis_id,
                brier=brier_of_moments,
                believability=update_believability,
            )
    return len(resolved)


# However deep the queue, a message older than this many re-send intervals is presumed lost.
MAX_PATIENCE_FACTOR = 12


def resend_patience(base_seconds: int, *, depth: int | None, per_second: float) -> int:
    """How old a message must be before the reaper presumes it lost and sends it again.

    A message behind ``depth`` others waits about depth / per_second seconds even when nothing
    is wrong, so re-sending it sooner only duplicates it. The patience grows with that wait
    (twice it, for slack), from ``base_seconds`` for an empty queue up to a cap, which it also
    takes when messages wait but none have been taken lately (nobody consumes; re-sending
    would not help either). An unknown depth keeps the base.
    """
    cap = base_seconds * MAX_PATIENCE_FACTOR
    if not depth:
        return base_seconds
    if per_second <= 0:
        return cap
    return min(cap, base_seconds + int(2 * depth / per_second))
