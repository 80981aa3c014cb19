"""The backtest on the worker pipeline: every resolved hypothesis queued as an as-of evaluation.

``queue_forecasts`` writes one as-of evaluation per resolved hypothesis (as of ``horizon_days``
before its resolution) and sends it to the workers, like any queued evaluation; the workers
debate it blind (``debates.asof``) and store its turns and forecast in the ledger. Once they
have all ended, ``collect`` reads back what each persona said, and ``workers.backtest_report``
grades it exactly as it grades the in-process backtest: with the same backend and settings,
both give the same report. A rerun on the same data and settings reuses the evaluations that
succeeded before, unless asked to debate afresh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import Celery

from common.dates import parse_partial_date
from common.settings import Settings
from debates.asof import case_as_of
from debates.backends.knowledge import Knowledge
from debates.case import case_digest
from debates.types import DebateConfig
from storage.db import Database
from storage.models import Evaluation, EvaluationState
from storage.queries.backtests import ResolvedHypothesis, finished_forecast
from storage.queries.evaluations import config_hash, count_finished, get_evaluations
from storage.queries.turns import turn_scores_of
from workers.backtest import BacktestError, Forecasted, resolved_cases
from workers.dispatch import blind_config, submit_evaluation
from workers.scoring_phase import row_views


@dataclass(frozen=True)
class QueuedForecast:
    """One resolved hypothesis's as-of evaluation, and what its blind case kept."""

    resolved: ResolvedHypothesis
    evaluation_id: int
    title: str
    evidence_total: int
    evidence_kept: int
    case_digest: str  # debates.case.case_digest of the blind case it is to debate
    reused: bool = False  # a finished evaluation of an earlier run, not queued anew


def queue_forecasts(
    database: Database,
    settings: Settings,
    *,
    horizon_days: int,
    config: Mapping[str, Any],
    fresh: bool = False,
    app: Celery | None = None,
) -> list[QueuedForecast]:
    """Queue an as-of evaluation of every resolved hypothesis, in id order.

    ``config`` is a debate configuration from ``workers.dispatch.debate_config``; each
    evaluation gets it with its own ``as_of``. A live twin (the same backtest already queued)
    is reused, not queued twice (it has not debated yet); so, unless ``fresh``, is one that
    succeeded on the same blind case (``debates.case.case_digest``): a rerun pays for no
    debate twice.
    """
    resolved, cases = resolved_cases(database, horizon_days=horizon_days)
    queued = []
    for item in resolved:
        as_of = item.resolved_on - timedelta(days=horizon_days)
        case = cases[item.hypothesis_id]
        blind = case_as_of(case, as_of)
        digest = case_digest(blind)
        evaluation_id, reused = _forecast_of(
            database,
            settings,
            hypothesis_id=item.hypothesis_id,
            config=blind_config(config, as_of),
            digest=digest,
            fresh=fresh,
            app=app,
        )
        queued.append(
            QueuedForecast(
                resolved=item,
                evaluation_id=evaluation_id,
                title=case.title,
                evidence_total=len(case.evidence),
                evidence_kept=len(blind.evidence),
                case_digest=digest,
                reused=reused,
            )
        )
    return queued


def _forecast_of(
    database: Database,
    settings: Settings,
    *,
    hypothesis_id: str,
    config: Mapping[str, Any],
    digest: str,
    fresh: bool,
    app: Celery | None,
) -> tuple[int, bool]:
    """The evaluation that forecasts one hypothesis: a finished one of the same case and
    settings (True), or one queued now or still live (False)."""
    if not fresh:
        with database.read_session() as session:
            found = finished_forecast(
                session,
                hypothesis_id=hypothesis_id,
                config_hash=config_hash(config),
                case_digest=digest,
            )
        if found is not None:
            return found, True
    # The worker records the digest of the case it debates when the debate starts, so a
    # debate that read other data than this queue saw is never taken for this case.
    enqueued = submit_evaluation(
        database, settings, hypothesis_id=hypothesis_id, config=config, app=app
    )
    return enqueued.evaluation.id, False


def finished(database: Database, queued: Sequence[QueuedForecast]) -> int:
    """How many of the queued evaluations have ended."""
    with database.sessions() as session:
        return count_finished(session, evaluation_ids=[q.evaluation_id for q in queued])


def collect(database: Database, queued: Sequence[QueuedForecast]) -> list[Forecasted]:
    """What each persona said in each ended evaluation; BacktestError names any that failed,
    and any that debated another case than the one queued (the worker records the case its
    debate read): the report grades exactly the blind cases it names."""
    ids = [q.evaluation_id for q in queued]
    with database.sessions() as session:
        rows = get_evaluations(session, evaluation_ids=ids)
        turns = turn_scores_of(session, evaluation_ids=ids)
        unfinished = [
            f"evaluation {q.evaluation_id} of {q.resolved.hypothesis_id} is "
            f"{rows[q.evaluation_id].state}"
            + (f": {rows[q.evaluation_id].error}" if rows[q.evaluation_id].error else "")
            for q in queued
            if rows[q.evaluation_id].state != EvaluationState.SUCCEEDED.value
        ]
        if unfinished:
            raise BacktestError("; ".join(unfinished))
        changed = [
            f"evaluation {q.evaluation_id} of {q.resolved.hypothesis_id}"
            for q in queued
            if rows[q.evaluation_id].case_digest != q.case_digest
        ]
        if changed:
            raise BacktestError(
                f"{', '.join(changed)} debated another case than the one queued: the data "
                "changed while it was queued or debated. Run the same backtest again: it "
                "debates those anew and reuses the rest."
            )
        return [_forecasted(q, rows[q.evaluation_id], turns[q.evaluation_id]) for q in queued]


def _forecasted(queued: QueuedForecast, row: Evaluation, turns: Sequence[Any]) -> Forecasted:
    # Every evaluation the backtest queues is an as-of one (``blind_config``).
    assert row.as_of is not None, f"evaluation {row.id} is not an as-of evaluation"
    return Forecasted(
        hypothesis_id=queued.resolved.hypothesis_id,
        title=queued.title,
        validated=queued.resolved.validated,
        resolved_on=queued.resolved.resolved_on,
        as_of=row.as_of,
        evidence_total=queued.evidence_total,
        evidence_kept=queued.evidence_kept,
        turns=tuple(row_views(row, turns)),
        quality=row.quality if row.quality is not None else 0.0,
        knowledge=_recorded_knowledge(row),
    )


def _recorded_knowledge(row: Evaluation) -> Knowledge:
    """What the worker recorded, at the debate's start, that its backend may know: a worker
    may ask another default model, or know other cutoffs, than the process grading it."""
    cutoff = row.knowledge_cutoff
    return Knowledge(
        backend=DebateConfig.from_dict(row.config).backend,
        model=row.model,
        reads_only_the_request=bool(row.reads_only_request),
        cutoff=None if cutoff is None else parse_partial_date(cutoff),
    )
