"""The tournament leaderboard."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import PageDep, SessionDep
from api.schemas import LeaderboardEntry, Paginated, leaderboard_entry
from storage.queries.tournament import leaderboard
from storage.queries.views import count_ratings

router = APIRouter(tags=["exchange"])


@router.get("/leaderboard", response_model=Paginated[LeaderboardEntry])
def get_leaderboard(session: SessionDep, page: PageDep) -> Paginated[LeaderboardEntry]:
    """Hypotheses by tournament strength (Bradley–Terry, with its interval), then Elo."""
    rows = leaderboard(session, limit=page.limit, offset=page.offset)
    return Paginated(
        items=[leaderboard_entry(row) for row in rows],
        total=count_ratings(session),
        limit=page.limit,
        offset=page.offset,
    )
