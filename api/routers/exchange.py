"""The tournament leaderboard and the personas' calibration."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import PageDep, SessionDep
from api.schemas import CalibrationEntry, LeaderboardEntry, Paginated, leaderboard_entry
from api.tournament_fit import TournamentFit, tournament_fit
from storage.queries.calibration import calibration_table
from storage.queries.leaderboard import count_leaderboard, fit_summary, leaderboard

router = APIRouter(tags=["exchange"])


@router.get("/leaderboard", response_model=Paginated[LeaderboardEntry])
def get_leaderboard(session: SessionDep, page: PageDep) -> Paginated[LeaderboardEntry]:
    """Every hypothesis, group by group (components of the comparison graph, largest first),
    strongest first within a group, then the unrated. ``rank`` counts within ``component``
    only (null when unrated); strengths of different components are not comparable."""
    rows = leaderboard(session, limit=page.limit, offset=page.offset)
    return Paginated(
        items=[leaderboard_entry(row) for row in rows],
        total=count_leaderboard(session),
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/leaderboard/fit", response_model=TournamentFit)
def get_leaderboard_fit(session: SessionDep) -> TournamentFit:
    """The newest fit behind the leaderboard: its counts, the judge's position bias, and the
    spread of strengths it learnt with the judge accuracy that implies, each with its 80%
    interval."""
    return tournament_fit(fit_summary(session))


@router.get("/calibration", response_model=list[CalibrationEntry])
def get_calibration(session: SessionDep) -> list[CalibrationEntry]:
    """Each persona's believability and Brier score on resolved hypotheses, most believable
    first; personas not listed have not forecast a resolved hypothesis and count as 1.0."""
    return [
        CalibrationEntry.model_validate(row, from_attributes=True)
        for row in calibration_table(session)
    ]
