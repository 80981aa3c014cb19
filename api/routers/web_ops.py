"""Server-rendered pages about the pipeline: one evaluation in detail, and the workers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from api.deps import EvaluationIdPath, SessionDep, SettingsDep
from api.evaluation_schemas import evaluation_out, turn_outs
from api.routers.web import not_found_page, render_page
from api.schemas import score_summary
from common.settings import Settings
from common.text import batch_wait, pass_states
from debates.panel import described_panel
from scoring.exchange import no_trade_reason
from storage.errors import NotFoundError
from storage.models import utcnow
from storage.queries.evaluations import get_evaluation
from storage.queries.knowledge import get_hypothesis
from storage.queries.provider_batches import latest_batch_of
from storage.queries.snapshots import snapshot_of_evaluation
from storage.queries.spending import billed_usage
from storage.queries.turns import list_turns
from storage.queries.views import LatestScores
from storage.queries.workers import PROVIDER_BATCH_TASK, last_pass, list_passes, list_workers

router = APIRouter(include_in_schema=False)


@router.get("/web/evaluations/{evaluation_id}", response_class=HTMLResponse, name="web_evaluation")
def evaluation_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    evaluation_id: EvaluationIdPath,
) -> HTMLResponse:
    """An evaluation's state, rounds and decisions, every turn, its scores and its error."""
    try:
        evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    except NotFoundError as exc:
        return not_found_page(request, exc)
    hypothesis = get_hypothesis(session, hypothesis_id=evaluation.hypothesis_id)
    turns = list_turns(session, evaluation_id=evaluation.id)
    rounds = sorted({turn.round for turn in turns})
    shown = turn_outs(evaluation, turns)
    snapshot = snapshot_of_evaluation(session, evaluation_id=evaluation.id)
    batch = latest_batch_of(session, evaluation_id=evaluation.id)
    context = {
        "evaluation": evaluation_out(
            evaluation, billed_usage(session, evaluation_id=evaluation.id), batch
        ),
        "batch_wait": _batch_wait(session, settings)
        if batch is None and evaluation.state == "queued"
        else None,
        "hypothesis": hypothesis,
        "panel": described_panel(evaluation.config or {}, evaluation.decisions or []),
        "rounds": [(r, [t for t in shown if t.round == r]) for r in rounds],
        "no_trade": no_trade_reason(evaluation.quality),
        # The hypothesis page's summary of a snapshot: the badges' rule and bands.
        "score": score_summary(
            LatestScores(latest=snapshot, previous=None),
            status=hypothesis.status,
            resolved_on=hypothesis.resolved_on,
        )
        if snapshot
        else None,
    }
    return render_page(request, "evaluation.html", context)


def _batch_wait(session: Session, settings: Settings) -> str:
    """What a batch evaluation no batch has taken yet waits for (the page shows it only then)."""
    last = last_pass(session, task=PROVIDER_BATCH_TASK)
    return batch_wait(last, now=utcnow(), poll_seconds=settings.provider_batch_poll_seconds)


@router.get("/web/workers", response_class=HTMLResponse, name="web_workers")
def workers_page(request: Request, session: SessionDep) -> HTMLResponse:
    """The workers the ledger has heard from, live ones first, from their heartbeats."""
    workers = sorted(list_workers(session), key=lambda w: (not w.alive, w.name))
    now = utcnow()
    passes = pass_states(list_passes(session), now=now)
    return render_page(request, "workers.html", {"workers": workers, "passes": passes, "now": now})
