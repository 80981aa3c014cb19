"""scheduler_passes.last_error: why a pass's latest run refused

A tournament refit or round whose fit would need more memory than the worker may take now
refuses before it starts, instead of failing minutes later or being killed. Its reason is kept
on the pass, where ``hyposcore status --workers`` and the workers page show it, until a run
does its work.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scheduler_passes") as batch:
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scheduler_passes") as batch:
        batch.drop_column("last_error")
