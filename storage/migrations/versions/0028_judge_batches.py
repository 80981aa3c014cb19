"""judge_batches: the provider batches a backtest's judge sent

A backtest on a batch-delivery configuration sends its judge's calls as provider batches and
waits up to its --timeout. Recording each batch once the provider accepted it lets a rerun on
the same data collect it, where it used to send the same requests again and pay twice.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "judge_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("backend", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("provider_batch_id", sa.String(length=200), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judge_batches")),
        sa.UniqueConstraint("digest", name=op.f("uq_judge_batches_digest")),
    )


def downgrade() -> None:
    op.drop_table("judge_batches")
