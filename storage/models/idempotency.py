"""Idempotency keys: each bound to the request that first used it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class IdempotencyKey(Base):
    """A client's Idempotency-Key, the hash of the request it came with, and its evaluation.

    Recorded whether the request created an evaluation or was answered with a live twin, so
    that the key means one request for good: a repeat gets the same evaluation, a different
    request under the same key is refused.
    """

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
