"""provider_batches and their items; evaluations gain the "batched" state

Work that can wait goes through a provider's batch API; an evaluation whose next turn is in
such a batch is "batched" (live for dedup, holding no lease).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_STATES = (
    "state IN ('queued', 'running', 'debated', 'paused', 'succeeded', 'failed', 'cancelled')"
)
_NEW_STATES = (
    "state IN ('queued', 'running', 'debated', 'paused', 'batched', 'succeeded', 'failed', "
    "'cancelled')"
)
_OLD_LIVE = "state IN ('queued', 'running', 'debated', 'paused')"
_NEW_LIVE = "state IN ('queued', 'running', 'debated', 'paused', 'batched')"


def _swap(states: str, live_before: str, live_after: str) -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_constraint(op.f("ck_evaluations_state"), type_="check")
        batch.create_check_constraint(op.f("ck_evaluations_state"), sa.text(states))
        batch.drop_index(
            "uq_evaluations_live_config",
            sqlite_where=sa.text(live_before),
            postgresql_where=sa.text(live_before),
        )
        batch.create_index(
            "uq_evaluations_live_config",
            ["hypothesis_id", "dedup_key"],
            unique=True,
            sqlite_where=sa.text(live_after),
            postgresql_where=sa.text(live_after),
        )


def upgrade() -> None:
    op.create_table(
        "provider_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("backend", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("provider_batch_id", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('submitting', 'submitted', 'collected', 'failed')",
            name=op.f("ck_provider_batches_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_batches")),
        sa.UniqueConstraint(
            "provider_batch_id", name=op.f("uq_provider_batches_provider_batch_id")
        ),
    )
    op.create_index(op.f("ix_provider_batches_state"), "provider_batches", ["state"])
    op.create_table(
        "provider_batch_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("persona", sa.String(length=64), nullable=False),
        sa.Column("custom_id", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cached_read_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_write_tokens", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("retryable", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('waiting', 'answered', 'errored', 'expired', 'canceled')",
            name=op.f("ck_provider_batch_items_state"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["provider_batches.id"],
            name=op.f("fk_provider_batch_items_batch_id_provider_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_provider_batch_items_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_batch_items")),
        sa.UniqueConstraint(
            "batch_id", "custom_id", name=op.f("uq_provider_batch_items_batch_id_custom_id")
        ),
    )
    op.create_index(op.f("ix_provider_batch_items_batch_id"), "provider_batch_items", ["batch_id"])
    op.create_index(
        op.f("ix_provider_batch_items_evaluation_id"), "provider_batch_items", ["evaluation_id"]
    )
    _swap(_NEW_STATES, _OLD_LIVE, _NEW_LIVE)


def downgrade() -> None:
    # The old code knows no provider batches: a batched evaluation goes back to queued and its
    # next delivery asks its turn live.
    op.execute("UPDATE evaluations SET state = 'queued' WHERE state = 'batched'")
    _swap(_OLD_STATES, _NEW_LIVE, _OLD_LIVE)
    op.drop_table("provider_batch_items")
    op.drop_table("provider_batches")
