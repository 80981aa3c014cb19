"""Hypotheses: listing with filters, one hypothesis, its score history and market prices."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import HypothesisIdPath, PageDep, SessionDep
from api.evaluation_schemas import EvaluationOut, evaluation_out
from api.history import history_csv_text, score_history
from api.loaders import load_hypothesis, summaries
from api.negotiation import SEE_THE_VIEW, view_redirect
from api.schemas import (
    DaySpendOut,
    HypothesisDetail,
    HypothesisSpend,
    HypothesisSummary,
    Paginated,
    SnapshotOut,
    TradeOut,
    trade_out,
)
from common.limits import MAX_NAME, MAX_SYMBOL
from common.text import POLICY
from storage.queries.evaluations import list_evaluations
from storage.queries.knowledge import get_hypothesis, list_hypotheses
from storage.queries.spending import hypothesis_spend_by_day
from storage.queries.views import (
    count_evaluations,
    count_hypotheses,
    count_market_trades,
    count_snapshots,
    list_market_trades,
)

router = APIRouter(prefix="/hypotheses", tags=["hypotheses"])

Status = Literal["open", "validated", "refuted"]


@router.get("", response_model=Paginated[HypothesisSummary])
def list_all(
    session: SessionDep,
    page: PageDep,
    gene: Annotated[
        str | None, Query(min_length=1, max_length=MAX_SYMBOL, description="MTOR"), POLICY
    ] = None,
    disease: Annotated[
        str | None,
        Query(min_length=1, max_length=MAX_NAME, description="Alzheimer's disease"),
        POLICY,
    ] = None,
    status: Status | None = None,
) -> Paginated[HypothesisSummary]:
    """Hypotheses by id, optionally only those targeting a gene, about a disease or in a status."""
    found = list_hypotheses(
        session, gene=gene, disease=disease, status=status, limit=page.limit, offset=page.offset
    )
    total = count_hypotheses(session, gene=gene, disease=disease, status=status)
    return Paginated(
        items=summaries(session, found), total=total, limit=page.limit, offset=page.offset
    )


@router.get("/{hypothesis_id}", response_model=HypothesisDetail, responses=SEE_THE_VIEW)
def get_one(
    request: Request, session: SessionDep, hypothesis_id: HypothesisIdPath
) -> HypothesisDetail | Response:
    """One hypothesis with its evidence, its newest snapshot and its latest evaluation's id.

    A browser (Accept preferring text/html) is redirected to the web view instead."""
    detail = load_hypothesis(session, hypothesis_id=hypothesis_id).detail
    return view_redirect(request, detail.links.page) or detail


@router.get("/{hypothesis_id}/history", response_model=Paginated[SnapshotOut])
def history(
    session: SessionDep, page: PageDep, hypothesis_id: HypothesisIdPath
) -> Paginated[SnapshotOut]:
    """Every score snapshot of the hypothesis, oldest version first."""
    items = score_history(
        session, hypothesis_id=hypothesis_id, limit=page.limit, offset=page.offset
    )
    return Paginated(
        items=items,
        total=count_snapshots(session, hypothesis_id=hypothesis_id),
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/{hypothesis_id}/history.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per snapshot."}},
)
def history_csv(session: SessionDep, hypothesis_id: HypothesisIdPath) -> Response:
    """The whole score history as CSV, one row per snapshot version."""
    return Response(
        history_csv_text(score_history(session, hypothesis_id=hypothesis_id, limit=None)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="score-history.csv"'},
    )


@router.get("/{hypothesis_id}/market", response_model=Paginated[TradeOut])
def market(
    session: SessionDep, page: PageDep, hypothesis_id: HypothesisIdPath
) -> Paginated[TradeOut]:
    """The LMSR market's trades in order: each trade's price before and after."""
    get_hypothesis(session, hypothesis_id=hypothesis_id)
    trades = list_market_trades(
        session, hypothesis_id=hypothesis_id, limit=page.limit, offset=page.offset
    )
    return Paginated(
        items=[trade_out(t) for t in trades],
        total=count_market_trades(session, hypothesis_id=hypothesis_id),
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{hypothesis_id}/spend", response_model=HypothesisSpend)
def spend(session: SessionDep, hypothesis_id: HypothesisIdPath) -> HypothesisSpend:
    """What model providers billed for this hypothesis's evaluations, by UTC day: tokens
    (of the input, how much came from the prompt cache) and US dollars."""
    get_hypothesis(session, hypothesis_id=hypothesis_id)
    days = hypothesis_spend_by_day(session, hypothesis_id=hypothesis_id)
    return HypothesisSpend(
        hypothesis_id=hypothesis_id,
        days=[DaySpendOut.model_validate(d, from_attributes=True) for d in days],
        cost_usd=sum(d.cost_usd for d in days),
        prompt_tokens=sum(d.prompt_tokens for d in days),
        cached_read_tokens=sum(d.cached_read_tokens for d in days),
        completion_tokens=sum(d.completion_tokens for d in days),
    )


@router.get("/{hypothesis_id}/evaluations", response_model=Paginated[EvaluationOut])
def evaluations(
    session: SessionDep, page: PageDep, hypothesis_id: HypothesisIdPath
) -> Paginated[EvaluationOut]:
    """The hypothesis's evaluations, newest first."""
    get_hypothesis(session, hypothesis_id=hypothesis_id)
    rows = list_evaluations(
        session, hypothesis_id=hypothesis_id, limit=page.limit, offset=page.offset
    )
    return Paginated(
        items=[evaluation_out(e) for e in rows],
        total=count_evaluations(session, hypothesis_id=hypothesis_id),
        limit=page.limit,
        offset=page.offset,
    )
