"""Score snapshots: the versioned history every badge and page number is read from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import ScoreSnapshot, ScoringConfig


def ensure_scoring_config(session: Session, *, digest: str, weights: Mapping[str, float]) -> None:
    """Record a weight configuration under its hash (once)."""
    if session.get(ScoringConfig, digest) is not None:
        return
    try:
        with session.begin_nested():
            session.add(ScoringConfig(hash=digest, weights=dict(weights)))
    except IntegrityError:
        if session.get(ScoringConfig, digest) is None:
            raise


def record_snapshot(
    session: Session, *, hypothesis_id: str, evaluation_id: int | None, **fields: Any
) -> tuple[ScoreSnapshot, bool]:
    """Append the next version of a hypothesis's score; once per evaluation.

    Returns the snapshot and whether it was created now (False: this evaluation already has one).
    """
    if evaluation_id is not None:
        existing = session.scalar(
            select(ScoreSnapshot).where(ScoreSnapshot.evaluation_id == evaluation_id)
        )
        if existing is not None:
            return existing, False
    for _ in range(5):
        version = 1 + (
            session.scalar(
                select(func.max(ScoreSnapshot.version)).where(
                    ScoreSnapshot.hypothesis_id == hypothesis_id
                )
            )
            or 0
        )
        snapshot = ScoreSnapshot(
            hypothesis_id=hypothesis_id, evaluation_id=evaluation_id, version=version, **fields
        )
        try:
            with session.begin_nested():
                session.add(snapshot)
            return snapshot, True
        except IntegrityError:
            # Another writer took this version number, or already snapshotted this evaluation.
            if evaluation_id is not None:
                existing = session.scalar(
                    select(ScoreSnapshot).where(ScoreSnapshot.evaluation_id == evaluation_id)
                )
                if existing is not None:
                    return existing, False
    raise RuntimeError(f"could not allocate a snapshot version for {hypothesis_id}")


def latest_snapshot(session: Session, *, hypothesis_id: str) -> ScoreSnapshot | None:
    return session.scalar(
        select(ScoreSnapshot)
        .where(ScoreSnapshot.hypothesis_id == hypothesis_id)
        .order_by(ScoreSnapshot.version.desc())
        .limit(1)
    )


def list_snapshots(
    session: Session, *, hypothesis_id: str, limit: int | None = 1000, offset: int = 0
) -> list[ScoreSnapshot]:
    """The hypothesis's snapshots, oldest version first; ``limit=None``: all of them."""
    return list(
        session.scalars(
            select(ScoreSnapshot)
            .where(ScoreSnapshot.hypothesis_id == hypothesis_id)
            .order_by(ScoreSnapshot.version)
            .limit(limit)
            .offset(offset)
        )
    )


def snapshot_of_evaluation(session: Session, *, evaluation_id: int) -> ScoreSnapshot | None:
    """The snapshot an evaluation's scoring recorded, if it got that far."""
    return session.scalar(
        select(ScoreSnapshot).where(ScoreSnapshot.evaluation_id == evaluation_id).limit(1)
    )
