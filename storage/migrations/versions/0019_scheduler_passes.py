"""scheduler_passes: when each pass that only beat starts last ran

Provider-batch work waits in "queued" until beat's provider-batch pass sends it. Recording
the pass's last run lets status and the views tell a wait of a minute from no beat at all.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 18:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduler_passes",
        sa.Column("task", sa.String(length=64), nullable=False),
        sa.Column("last_ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task"),
    )


def downgrade() -> None:
    op.drop_table("scheduler_passes")
