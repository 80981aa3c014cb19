"""Provider batches: the ledger's record of work sent through a provider's batch API.

The database stays the ledger: a batch and each of its items are written before the batch is
sent, answers are stored on the items before any evaluation moves on, and an item's answer is
stored once however often the provider's results are read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, check_in, utcnow
from storage.models.enums import BatchItemState, ProviderBatchState


class ProviderBatch(Base):
    __tablename__ = "provider_batches"
    __table_args__ = (check_in("state", ProviderBatchState, "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    backend: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(200))
    # The provider's id, known once it accepted the batch.
    provider_batch_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    # The provider's own word for the batch at the last poll ("in_progress", "ended", ...).
    status: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    item_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    polled_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()


class ProviderBatchItem(Base):
    """One debate turn asked in a batch, and its answer once the batch ended."""

    __tablename__ = "provider_batch_items"
    __table_args__ = (
        UniqueConstraint("batch_id", "custom_id"),
        check_in("state", BatchItemState, "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("provider_batches.id", ondelete="CASCADE"), index=True
    )
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int] = mapped_column(Integer)
    persona: Mapped[str] = mapped_column(String(64))
    custom_id: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))
    # The raw reply and what it used, as the provider reported them; validated when used.
    reply: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(String(200))
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_read_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # Whether a live retry may get past the error (a server error may pass, a 4xx will not).
    retryable: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
