"""The leaderboard and the summary of the fit behind it, read from the ratings of record.

Strengths order hypotheses only inside one component of the comparison graph, so the leaderboard
ranks within components and gives unrated hypotheses no rank at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import Label

from storage.errors import NotFoundError
from storage.models import (
    Hypothesis,
    HypothesisStatus,
    MatchOutcome,
    Rating,
    SchedulerPass,
    TournamentMatch,
)
from storage.queries.tournament import DEFAULT_ELO, latest_fit
from storage.queries.workers import REFIT_TASK


@dataclass(frozen=True)
class LeaderboardRow:
    """One hypothesis on the leaderboard. ``rank`` counts only within ``component`` and is
    None for an unrated hypothesis (no strength: too few decided matches, or never played)."""

    rank: int | None
    hypothesis_id: str
    title: str
    strength: float | None
    strength_low: float | None
    strength_high: float | None
    elo: float
    matches: int
    decided: int
    component: int | None
    component_size: int | None
    fitted_at: datetime | None
    # The hypothesis's status: pairing takes open hypotheses only, so a resolved one never
    # plays again (it keeps a rating it had).
    status: str = HypothesisStatus.OPEN.value

    @property
    def rated(self) -> bool:
        return self.strength is not None


@dataclass(frozen=True)
class FitSummary:
    """What a reader needs to read the leaderboard: when it was fitted, the judge's position
    bias, the spread of strengths, and how many separate groups (components with rated
    hypotheses) it holds."""

    fitted_at: datetime | None
    position_bias: float | None
    groups: int
    rated: int
    hypotheses: int
    matches: int
    # Resolved hypotheses without a rating: pairing takes open ones only, so they never play.
    not_entered: int = 0
    # The sd of log-strengths the fit learnt and its interval; None before a fit stored one.
    spread: float | None = None
    spread_low: float | None = None
    spread_high: float | None = None
    # The position bias's interval; None before a fit stored one.
    bias_low: float | None = None
    bias_high: float | None = None
    # Why the latest refit refused (a fit too large for its memory), leaving these ratings
    # older than the log; None when it wrote.
    refit_refused: str | None = None


def leaderboard(session: Session, *, limit: int = 50, offset: int = 0) -> list[LeaderboardRow]:
    """Every hypothesis: the rated ones group by group (largest group first), strongest first
    within a group; then the unrated open ones, most-played first; then the unrated resolved,
    which pairing no longer takes."""
    unrated = Rating.strength.is_(None)
    rows = session.execute(
        select(Hypothesis.id, Hypothesis.title, Hypothesis.status, Rating, _rank_in_group())
        .outerjoin(Rating, Rating.hypothesis_id == Hypothesis.id)
        .order_by(
            func.coalesce(unrated, True),
            Hypothesis.status != HypothesisStatus.OPEN.value,
            Rating.component,
            Rating.strength.desc(),
            func.coalesce(Rating.matches, 0).desc(),
            Hypothesis.id,
        )
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        _row(str(hid), str(title), str(status), rating, position)
        for hid, title, status, rating, position in rows
    ]


def standing(session: Session, *, hypothesis_id: str) -> LeaderboardRow:
    """One hypothesis's row of ``leaderboard``, its rank counted within its group as there."""
    ranked = select(Rating.hypothesis_id, _rank_in_group()).subquery()
    found = session.execute(
        select(Hypothesis.id, Hypothesis.title, Hypothesis.status, Rating, ranked.c.rank)
        .outerjoin(Rating, Rating.hypothesis_id == Hypothesis.id)
        .outerjoin(ranked, ranked.c.hypothesis_id == Hypothesis.id)
        .where(Hypothesis.id == hypothesis_id)
    ).first()
    if found is None:
        raise NotFoundError(f"hypothesis {hypothesis_id!r} does not exist")
    hid, title, status, rating, position = found
    return _row(str(hid), str(title), str(status), rating, position)


def _rank_in_group() -> Label[int]:
    """A rating's rank by strength within its group (component), strongest 1; the unrated are
    ranked apart, and ``_row`` drops their rank."""
    return (
        func.rank()
        .over(
            partition_by=(Rating.component, Rating.strength.is_(None)),
            order_by=Rating.strength.desc(),
        )
        .label("rank")
    )


def _row(
    hypothesis_id: str, title: str, status: str, rating: Rating | None, rank: int | None
) -> LeaderboardRow:
    if rating is None:
        return LeaderboardRow(
            rank=None,
            hypothesis_id=hypothesis_id,
            title=title,
            strength=None,
            strength_low=None,
            strength_high=None,
            elo=DEFAULT_ELO,
            matches=0,
            decided=0,
            component=None,
            component_size=None,
            fitted_at=None,
            status=status,
        )
    return LeaderboardRow(
        rank=int(rank) if rank is not None and rating.strength is not None else None,
        hypothesis_id=hypothesis_id,
        title=title,
        strength=rating.strength,
        strength_low=rating.strength_low,
        strength_high=rating.strength_high,
        elo=rating.elo,
        matches=rating.matches,
        decided=rating.decided,
        component=rating.component,
        component_size=rating.component_size,
        fitted_at=rating.fitted_at,
        status=status,
    )


def count_leaderboard(session: Session) -> int:
    """How many rows ``leaderboard`` pages through: every hypothesis."""
    return int(session.scalar(select(func.count()).select_from(Hypothesis)) or 0)


def fit_summary(session: Session) -> FitSummary:
    latest = latest_fit(session)
    groups = session.scalar(
        select(func.count(func.distinct(func.coalesce(Rating.component, 0)))).where(
            Rating.strength.is_not(None)
        )
    )
    rated = session.scalar(select(func.count()).where(Rating.strength.is_not(None)))
    not_entered = session.scalar(
        select(func.count())
        .select_from(Hypothesis)
        .outerjoin(Rating, Rating.hypothesis_id == Hypothesis.id)
        .where(Hypothesis.status != HypothesisStatus.OPEN.value, Rating.strength.is_(None))
    )
    return FitSummary(
        fitted_at=latest.fitted_at if latest else None,
        position_bias=latest.position_bias if latest else None,
        bias_low=latest.position_bias_low if latest else None,
        bias_high=latest.position_bias_high if latest else None,
        spread=latest.strength_spread if latest else None,
        spread_low=latest.strength_spread_low if latest else None,
        spread_high=latest.strength_spread_high if latest else None,
        groups=int(groups or 0),
        rated=int(rated or 0),
        hypotheses=count_leaderboard(session),
        matches=int(
            session.scalar(
                select(func.count()).where(TournamentMatch.outcome != MatchOutcome.INVALID.value)
            )
            or 0
        ),
        not_entered=int(not_entered or 0),
        refit_refused=session.scalar(
            select(SchedulerPass.last_error).where(SchedulerPass.task == REFIT_TASK)
        ),
    )
