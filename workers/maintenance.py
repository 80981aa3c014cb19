"""The scheduled jobs: the reaper, re-evaluation by priority, tournaments, refits, publishing."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import Celery

from common.settings import Settings
from debates.backends import registry
from debates.judge import judge_pair
from scoring.calibration import brier_of_moments, update_believability
from scoring.priority import Candidate, rank_for_reevaluation
from scoring.tournament import (
    ELO_START,
    Match,
    choose_pairs,
    elo_update,
    fit_bradley_terry,
    match_outcome,
)
from storage.db import Database
from storage.models import TournamentMatch, utcnow
from storage.queries.calibration import recalibrate, resolved_forecasts
from storage.queries.reaper import recent_throughput, sweep_expired
from storage.queries.schedule import schedule_rows
from storage.queries.tournament import (
    eligible_pairs,
    get_ratings,
    list_matches,
    record_match,
    save_ratings,
)
from wiki.publish import PublishReport
from wiki.publish import publish_pages as publish
from wiki.store import FolderPageStore
from workers.broker import broker_queue_depth, purge_delivered
from workers.cases import load_case
from workers.celery_app import DEBATES_QUEUE, SCORING_QUEUE
from workers.dispatch import debate_config, send_evaluate, send_score, submit_evaluations

log = logging.getLogger(__name__)


def reap(database: Database, settings: Settings, app: Celery) -> dict[str, list[int]]:
    """Re-queue evaluations whose lease expired (or fail them when out of attempts), re-send
    queued ones whose message is old and the score message of debated ones whose message is
    old, and purge the embedded broker's delivered rows."""
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
    for evaluation_id in sweep.requeue:
        send_evaluate(database, app, evaluation_id=evaluation_id)
    for evaluation_id in sweep.rescore:
        send_score(app, database, evaluation_id=evaluation_id)
    purged = purge_delivered(settings.resolved_broker_url)
    if sweep.requeue or sweep.failed or sweep.rescore or purged:
        log.info(
            "reaper: re-sent %s, re-sent for scoring %s, failed %s, purged %d delivered "
            "broker rows",
            sweep.requeue,
            sweep.rescore,
            sweep.failed,
            purged,
        )
    return {"requeued": sweep.requeue, "rescored": sweep.rescore, "failed": sweep.failed}


def reevaluate(
    database: Database, settings: Settings, app: Celery, *, now: datetime | None = None
) -> list[int]:
    """Queue the stale or never-scored hypotheses with the highest exploration priority.

    The configured debate settings are checked first: a ConfigError naming the wrong setting,
    and nothing queued.
    """
    config = debate_config(settings)
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
    """Judge the most informative eligible pairs in both orders; returns matches recorded."""
    with database.sessions() as session:
        pairs = eligible_pairs(session)
        log_matches = [_match(m) for m in list_matches(session, include_invalid=False)]
        entrants = {h for pair in pairs for h in pair}
    if not pairs:
        return 0
    strengths = fit_bradley_terry(log_matches, entrants=entrants, bootstrap=50)
    played: dict[frozenset[str], int] = {}
    for match in log_matches:
        key = frozenset((match.a, match.b))
        played[key] = played.get(key, 0) + 1
    chosen = choose_pairs(strengths, pairs, settings.tournament_pairs, played=played)
    judge = registry.create_from_settings(settings.backend)
    for a, b in chosen:
        with database.sessions() as session:
            case_a = load_case(session, hypothesis_id=a)
            case_b = load_case(session, hypothesis_id=b)
        verdicts = judge_pair(judge, case_a, case_b)
        outcome = match_outcome(verdicts.verdict_ab, verdicts.verdict_ba)
        with database.transaction() as session:
            ratings = get_ratings(session, hypothesis_ids=[a, b])
            elo_a, elo_b = elo_update(
                ratings[a].elo if a in ratings else ELO_START,
                ratings[b].elo if b in ratings else ELO_START,
                outcome,
            )
            record_match(
                session,
                hypothesis_a=a,
                hypothesis_b=b,
                outcome=outcome.value,
                judge=verdicts.judge,
                verdict_ab=verdicts.verdict_ab,
                verdict_ba=verdicts.verdict_ba,
                rationale=verdicts.rationale[:4000],
                elo_a=elo_a,
                elo_b=elo_b,
            )
    log.info("tournament: judged %d pairs", len(chosen))
    return len(chosen)


def refit_ratings(database: Database) -> int:
    """Refit the ratings of record from the whole match log (replayable, order-independent)."""
    with database.transaction() as session:
        matches = [_match(m) for m in list_matches(session, include_invalid=False)]
        entrants = {h for pair in eligible_pairs(session) for h in pair}
        strengths = fit_bradley_terry(matches, entrants=entrants)
        return save_ratings(session, strengths=strengths)


def _match(row: TournamentMatch) -> Match:
    return Match(row.hypothesis_a, row.hypothesis_b, row.outcome)


def publish_pages(
    database: Database, settings: Settings, *, gene_symbols: list[str] | None = None
) -> PublishReport:
    """Write the latest snapshots back into the gene pages of the configured page store."""
    store = FolderPageStore(settings.resolved_pages_dir)
    report = publish(database, store, gene_symbols=gene_symbols)
    log.info("publish: %s", report.summary())
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
