"""What the scheduler needs to choose re-evaluations: each open hypothesis's latest score."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import (
    ACTIVE_STATES,
    Evaluation,
    EvaluationState,
    Hypothesis,
    HypothesisStatus,
    ScoreSnapshot,
)


@dataclass(frozen=True)
class ScheduleRow:
    hypothesis_id: str
    composite: float | None
    novelty: float | None
    therapeutic_potential: float | None
    evaluations: int
    last_scored_at: datetime | None
    live: bool


def schedule_rows(session: Session) -> list[ScheduleRow]:
    """Every open hypothesis with its latest snapshot, evaluation count and whether one is live."""
    latest = (
        select(ScoreSnapshot.hypothesis_id, func.max(ScoreSnapshot.version).label("version"))
        .group_by(ScoreSnapshot.hypothesis_id)
        .subquery()
    )
    snapshots = {
        row.hypothesis_id: row
        for row in session.scalars(
            select(ScoreSnapshot).join(
                latest,
                (latest.c.hypothesis_id == ScoreSnapshot.hypothesis_id)
                & (latest.c.version == ScoreSnapshot.version),
            )
        )
    }
    succeeded = dict(
        session.execute(
            select(Evaluation.hypothesis_id, func.count())
            .where(Evaluation.state == EvaluationState.SUCCEEDED.value)
            .group_by(Evaluation.hypothesis_id)
        ).all()
    )
    live = set(
        session.scalars(
            select(Evaluation.hypothesis_id).where(
                Evaluation.state.in_([s.value for s in ACTIVE_STATES])
            )
        )
    )
    rows = []
    for hypothesis_id in session.scalars(
        select(Hypothesis.id)
        .where(Hypothesis.status == HypothesisStatus.OPEN.value)
        .order_by(Hypothesis.id)
    ):
        snapshot = snapshots.get(hypothesis_id)
        dims = snapshot.dimensions if snapshot else {}
        rows.append(
            ScheduleRow(
                hypothesis_id=hypothesis_id,
                composite=snapshot.composite if snapshot else None,
                novelty=_mean(dims, "novelty"),
                therapeutic_potential=_mean(dims, "therapeutic_potential"),
                evaluations=int(succeeded.get(hypothesis_id, 0)),
                last_scored_at=snapshot.created_at if snapshot else None,
                live=hypothesis_id in live,
            )
        )
    return rows


def _mean(dimensions: dict[str, object], name: str) -> float | None:
    entry = dimensions.get(name)
    if isinstance(entry, dict) and isinstance(entry.get("mean"), int | float):
        return float(entry["mean"])
    return None
