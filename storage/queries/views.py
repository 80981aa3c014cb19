"""Read queries behind the HTTP API, the web views and the metrics endpoint.

Everything here only reads; numbers are aggregated in SQL so a scrape or a page costs a few
queries whatever the table sizes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from storage.models import (
    DebateTurn,
    Evaluation,
    EvaluationState,
    Gene,
    GenePage,
    Hypothesis,
    MarketTrade,
    PageRevision,
    ScoreSnapshot,
)
from storage.queries.knowledge import hypothesis_filters


def count_hypotheses(
    session: Session,
    *,
    gene: str | None = None,
    disease: str | None = None,
    status: str | None = None,
) -> int:
    """How many hypotheses ``storage.queries.knowledge.list_hypotheses`` would page through."""
    query = hypothesis_filters(
        select(func.count()).select_from(Hypothesis), gene=gene, disease=disease, status=status
    )
    return int(session.scalar(query) or 0)


@dataclass(frozen=True)
class LatestScores:
    """A hypothesis's newest snapshot and the one before it (for a badge's trend arrow)."""

    latest: ScoreSnapshot
    previous: ScoreSnapshot | None


def latest_scores(session: Session, *, hypothesis_ids: Sequence[str]) -> dict[str, LatestScores]:
    """The two newest snapshots of each hypothesis in one query; unscored ones are absent."""
    if not hypothesis_ids:
        return {}
    rank = (
        func.row_number()
        .over(partition_by=ScoreSnapshot.hypothesis_id, order_by=ScoreSnapshot.version.desc())
        .label("rank")
    )
    ranked = (
        select(ScoreSnapshot.id, rank)
        .where(ScoreSnapshot.hypothesis_id.in_(list(hypothesis_ids)))
        .subquery()
    )
    rows = session.scalars(
        select(ScoreSnapshot)
        .join(ranked, ranked.c.id == ScoreSnapshot.id)
        .where(ranked.c.rank <= 2)
        .order_by(ScoreSnapshot.hypothesis_id, ScoreSnapshot.version.desc())
    ).all()
    result: dict[str, LatestScores] = {}
    for snapshot in rows:
        known = result.get(snapshot.hypothesis_id)
        if known is None:
            result[snapshot.hypothesis_id] = LatestScores(latest=snapshot, previous=None)
        else:
            result[snapshot.hypothesis_id] = LatestScores(latest=known.latest, previous=snapshot)
    return result


def count_genes(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Gene)) or 0)


def count_snapshots(session: Session, *, hypothesis_id: str) -> int:
    query = select(func.count()).where(ScoreSnapshot.hypothesis_id == hypothesis_id)
    return int(session.scalar(query) or 0)


def list_market_trades(
    session: Session, *, hypothesis_id: str, limit: int = 1000, offset: int = 0
) -> list[MarketTrade]:
    return list(
        session.scalars(
            select(MarketTrade)
            .where(MarketTrade.hypothesis_id == hypothesis_id)
            .order_by(MarketTrade.seq)
            .limit(limit)
            .offset(offset)
        )
    )


def count_market_trades(session: Session, *, hypothesis_id: str) -> int:
    query = select(func.count()).where(MarketTrade.hypothesis_id == hypothesis_id)
    return int(session.scalar(query) or 0)


def count_evaluations(
    session: Session, *, hypothesis_id: str | None = None, states: Sequence[str] | None = None
) -> int:
    query = select(func.count()).select_from(Evaluation)
    if hypothesis_id is not None:
        query = query.where(Evaluation.hypothesis_id == hypothesis_id)
    if states:
        query = query.where(Evaluation.state.in_(list(states)))
    return int(session.scalar(query) or 0)


def latest_evaluation(session: Session, *, hypothesis_id: str) -> Evaluation | None:
    """The hypothesis's newest evaluation of "now": a blind as-of forecast is not its current
    debate, and never what its scores come from."""
    return session.scalar(
        select(Evaluation)
        .where(Evaluation.hypothesis_id == hypothesis_id, Evaluation.as_of.is_(None))
        .order_by(Evaluation.id.desc())
        .limit(1)
    )


def gene_page_for(session: Session, *, gene_id: int) -> GenePage | None:
    return session.scalar(
        select(GenePage).where(GenePage.gene_id == gene_id).order_by(GenePage.id).limit(1)
    )


def latest_page_revision(session: Session, *, page_name: str) -> PageRevision | None:
    return session.scalar(
        select(PageRevision)
        .where(PageRevision.page_name == page_name)
        .order_by(PageRevision.revision.desc())
        .limit(1)
    )


# --- metrics -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LatencyHistogram:
    """Cumulative counts of debate turns at or under each bound (ms), with count and sum."""

    bounds_ms: tuple[float, ...]
    cumulative: tuple[int, ...]
    count: int
    total_ms: float


def turn_latency_histogram(session: Session, *, bounds_ms: Sequence[float]) -> LatencyHistogram:
    columns = [
        func.coalesce(func.sum(case((DebateTurn.latency_ms <= bound, 1), else_=0)), 0)
        for bound in bounds_ms
    ]
    row = session.execute(
        select(
            func.count(DebateTurn.id),
            func.coalesce(func.sum(DebateTurn.latency_ms), 0.0),
            *columns,
        )
    ).one()
    return LatencyHistogram(
        bounds_ms=tuple(bounds_ms),
        cumulative=tuple(int(value) for value in row[2:]),
        count=int(row[0]),
        total_ms=float(row[1]),
    )


def failed_evaluation_errors(session: Session) -> list[tuple[str, int]]:
    """Each distinct error text of failed evaluations with how many failed with it."""
    rows = session.execute(
        select(Evaluation.error, func.count())
        .where(Evaluation.state == EvaluationState.FAILED.value)
        .group_by(Evaluation.error)
    ).all()
    return [(error or "", int(n)) for error, n in rows]


def publish_counts(session: Session) -> dict[str, int]:
    """Published revisions per page name."""
    rows = session.execute(
        select(PageRevision.page_name, func.count()).group_by(PageRevision.page_name)
    ).all()
    return {name: int(n) for name, n in rows}
