"""unanswered_calls: tokens a provider billed for calls that produced no stored turn

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 01:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unanswered_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("persona", sa.String(length=64), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_unanswered_calls_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unanswered_calls")),
    )
    op.create_index(
        op.f("ix_unanswered_calls_evaluation_id"), "unanswered_calls", ["evaluation_id"]
    )
    op.create_index(op.f("ix_unanswered_calls_created_at"), "unanswered_calls", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_unanswered_calls_created_at"), table_name="unanswered_calls")
    op.drop_index(op.f("ix_unanswered_calls_evaluation_id"), table_name="unanswered_calls")
    op.drop_table("unanswered_calls")
