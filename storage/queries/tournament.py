"""The tournament's records: the match log, who may meet whom and the ratings of record.

The match log is the record; ratings of record are a Bradley–Terry fit of it (computed by
``scoring.bt_ratings``) saved with ``save_ratings``; the live Elo moves with each match.
``storage.queries.leaderboard`` reads them back as the leaderboard and its fit's summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple, Protocol, runtime_checkable

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from storage.errors import NotFoundError
from storage.models import (
    Hypothesis,
    HypothesisStatus,
    MatchOutcome,
    Rating,
    TournamentMatch,
    hypothesis_diseases,
    hypothesis_genes,
    utcnow,
)
from storage.queries.inserts import insert_new_only

DEFAULT_ELO = 1200.0
_RATINGS: Table = Rating.__table__  # type: ignore[assignment]


class StrengthLike(Protocol):
    """A fitted value with its interval, None when unrated (``scoring.bt_ratings``'s
    ``TournamentRating`` and ``Spread``, and ``scoring.tournament.Strength`` all fit)."""

    @property
    def value(self) -> float | None: ...
    @property
    def low(self) -> float | None: ...
    @property
    def high(self) -> float | None: ...


@runtime_checkable
class GroupedLike(Protocol):
    """A strength that also says which component of the comparison graph it belongs to."""

    @property
    def component(self) -> int: ...
    @property
    def component_size(self) -> int: ...


def record_match(
    session: Session,
    *,
    hypothesis_a: str,
    hypothesis_b: str,
    outcome: str,
    judge: str,
    verdict_ab: str | None = None,
    verdict_ba: str | None = None,
    rationale: str | None = None,
    elo_a: float | None = None,
    elo_b: float | None = None,
    now: datetime | None = None,
) -> TournamentMatch:
    """Append a judged match; a valid one also counts toward both ratings and sets the live Elo.

    ``elo_a``/``elo_b`` are the ratings after the match (``scoring.tournament.elo_update``);
    an invalid match is kept for the record but changes no rating.
    """
    value = MatchOutcome(outcome).value
    if hypothesis_a == hypothesis_b:
        raise ValueError(f"a hypothesis cannot play itself: {hypothesis_a!r}")
    for hypothesis_id in (hypothesis_a, hypothesis_b):
        if session.get(Hypothesis, hypothesis_id) is None:
            raise NotFoundError(f"hypothesis {hypothesis_id!r} does not exist")
    match = TournamentMatch(
        hypothesis_a=hypothesis_a,
        hypothesis_b=hypothesis_b,
        outcome=value,
        verdict_ab=verdict_ab,
        verdict_ba=verdict_ba,
        judge=judge,
        rationale=rationale,
        created_at=now or utcnow(),
    )
    session.add(match)
    if value != MatchOutcome.INVALID.value:
        for hypothesis_id, elo in ((hypothesis_a, elo_a), (hypothesis_b, elo_b)):
            rating = _rating(session, hypothesis_id)
            rating.matches += 1
            if elo is not None:
                rating.elo = elo
    session.flush()
    return match


class LoggedMatch(NamedTuple):
    """What the fits read of a match."""

    hypothesis_a: str
    hypothesis_b: str
    outcome: str
    verdict_ab: str | None
    verdict_ba: str | None


def match_log(session: Session, *, include_invalid: bool = True) -> list[LoggedMatch]:
    """Every match in the order recorded, as the five columns the fits read: ORM objects took
    four times as long at 200,000 matches (4.0 s against 0.9 s), on every refit and round."""
    query = select(
        TournamentMatch.hypothesis_a,
        TournamentMatch.hypothesis_b,
        TournamentMatch.outcome,
        TournamentMatch.verdict_ab,
        TournamentMatch.verdict_ba,
    ).order_by(TournamentMatch.id)
    if not include_invalid:
        query = query.where(TournamentMatch.outcome != MatchOutcome.INVALID.value)
    return [LoggedMatch(*row) for row in session.execute(query)]


def eligible_groups(session: Session, *, open_only: bool = True) -> list[list[str]]:
    """Who may meet whom: the hypotheses of each gene and of each disease, where two or more
    share it, each group sorted. Any two of one group are worth comparing.

    Groups, not pairs: a group's pairs grow as its size squared, and 10,000 hypotheses of one
    disease would be 50 million pairs (``scoring.eligible_pairs`` walks them in blocks).
    """
    groups: list[list[str]] = []
    for link, column in (
        (hypothesis_genes, hypothesis_genes.c.gene_id),
        (hypothesis_diseases, hypothesis_diseases.c.disease_id),
    ):
        query = select(column, link.c.hypothesis_id).order_by(column, link.c.hypothesis_id)
        if open_only:
            query = query.join(Hypothesis, Hypothesis.id == link.c.hypothesis_id).where(
                Hypothesis.status == HypothesisStatus.OPEN.value
            )
        for _, rows in groupby(session.execute(query), key=itemgetter(0)):
            members = [str(row[1]) for row in rows]
            if len(members) > 1:
                groups.append(members)
    return groups


def pairable(session: Session) -> set[str]:
    """The open hypotheses the tournament may pair: each shares a gene or a disease with
    another open one."""
    return {name for group in eligible_groups(session) for name in group}


def get_ratings(
    session: Session, *, hypothesis_ids: Iterable[str] | None = None
) -> dict[str, Rating]:
    query = select(Rating)
    if hypothesis_ids is not None:
        query = query.where(Rating.hypothesis_id.in_(list(hypothesis_ids)))
    return {r.hypothesis_id: r for r in session.scalars(query)}


def save_ratings(
    session: Session,
    *,
    strengths: Mapping[str, StrengthLike],
    position_bias: float | None = None,
    bias_interval: tuple[float, float] | None = None,
    spread: StrengthLike | None = None,
    fitted_at: datetime | None = None,
) -> int:
    """Store a fit as the ratings of record; returns how many rows it wrote.

    Match and decided counts are recomputed from the log at the same time, so the stored counts
    always agree with the fit they sit beside.
    """
    fitted_at = fitted_at or utcnow()
    played, decided = _valid_match_counts(session)
    # One read of every row, not a get per hypothesis: each get flushed the rows already
    # changed, and at 10,000 hypotheses that was 7 s with the write lock held.
    stored = get_ratings(session)
    if missing := [h for h in strengths if h not in stored]:
        # In one statement, not one each: saving a first fit of 10,000 took 16 s so.
        _add_ratings(session, missing)
        stored = get_ratings(session)
    for hypothesis_id, strength in strengths.items():
        rating = stored[hypothesis_id]
        rating.strength = strength.value
        rating.strength_low = strength.low
        rating.strength_high = strength.high
        rating.matches = played.get(hypothesis_id, 0)
        rating.decided = decided.get(hypothesis_id, 0)
        if isinstance(strength, GroupedLike):
            rating.component = strength.component
            rating.component_size = strength.component_size
        rating.position_bias = position_bias
        rating.position_bias_low, rating.position_bias_high = bias_interval or (None, None)
        rating.strength_spread = None if spread is None else spread.value
        rating.strength_spread_low = None if spread is None else spread.low
        rating.strength_spread_high = None if spread is None else spread.high
        rating.fitted_at = fitted_at
    session.flush()
    return len(strengths)


def latest_fit(session: Session) -> Rating | None:
    """A rating row of the newest fit, which holds the fit-wide values; None before any."""
    return session.scalars(
        select(Rating)
        .where(Rating.fitted_at.is_not(None))
        .order_by(Rating.fitted_at.desc())
        .limit(1)
    ).first()


def latest_fitted_at(session: Session) -> datetime | None:
    """When the match log behind the newest fit was read; None before any fit."""
    latest = latest_fit(session)
    return latest.fitted_at if latest else None


def learnt_spread(session: Session) -> float | None:
    """The spread of strengths the newest fit learnt; None before a fit that stored one."""
    latest = latest_fit(session)
    return latest.strength_spread if latest else None


def _rating(session: Session, hypothesis_id: str) -> Rating:
    """The hypothesis's rating row, made if it has none."""
    rating = session.get(Rating, hypothesis_id)
    if rating is not None:
        return rating
    _add_ratings(session, [hypothesis_id])
    return session.get_one(Rating, hypothesis_id)


def _add_ratings(session: Session, hypothesis_ids: list[str]) -> None:
    """Rating rows (the starting Elo, no matches) for hypotheses that have none; where a
    concurrent writer made one first, theirs stands."""
    rows = [{"hypothesis_id": h, "elo": DEFAULT_ELO, "matches": 0} for h in hypothesis_ids]
    session.execute(insert_new_only(session, _RATINGS, key=["hypothesis_id"]), rows)


def _valid_match_counts(session: Session) -> tuple[dict[str, int], dict[str, int]]:
    """Per hypothesis: valid matches, and decided (won or lost, not tied) ones."""
    played: dict[str, int] = {}
    decided: dict[str, int] = {}
    rows = session.execute(
        select(
            TournamentMatch.hypothesis_a, TournamentMatch.hypothesis_b, TournamentMatch.outcome
        ).where(TournamentMatch.outcome != MatchOutcome.INVALID.value)
    )
    for a, b, outcome in rows:
        for hypothesis_id in (a, b):
            played[hypothesis_id] = played.get(hypothesis_id, 0) + 1
            if outcome != MatchOutcome.TIE.value:
                decided[hypothesis_id] = decided.get(hypothesis_id, 0) + 1
    return played, decided
