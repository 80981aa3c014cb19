"""The backtest judge's provider batches: recorded once sent, found again by what they asked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import JudgeBatch, utcnow


def sent_judge_batch(session: Session, *, digest: str, since: datetime) -> str | None:
    """The provider's id of the batch that asked exactly ``digest``, if one was sent since
    ``since``; an older one may no longer be kept by the provider."""
    return session.scalar(
        select(JudgeBatch.provider_batch_id).where(
            JudgeBatch.digest == digest, JudgeBatch.created_at >= since
        )
    )


def record_judge_batch(
    session: Session,
    *,
    digest: str,
    backend: str,
    model: str,
    provider_batch_id: str,
    item_count: int,
    now: datetime | None = None,
) -> None:
    """Record a batch the provider accepted, in place of any earlier one that asked the same
    (one statement, so two runs recording the same digest at once cannot collide)."""
    dialect = session.get_bind().dialect.name
    dialect_insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    row = {
        "digest": digest,
        "backend": backend,
        "model": model,
        "provider_batch_id": provider_batch_id,
        "item_count": item_count,
        "created_at": now or utcnow(),
    }
    statement = dialect_insert(JudgeBatch).values(row)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["digest"],
            set_={column: statement.excluded[column] for column in row if column != "digest"},
        )
    )


def forget_judge_batch(session: Session, *, digest: str) -> None:
    session.execute(delete(JudgeBatch).where(JudgeBatch.digest == digest))
