"""drugs.status_history: a drug's dated status changes

A drug's approval status today is often the outcome a backtest grades: approved on the
strength of the trial that settled a hypothesis, or discontinued after it failed. With its
dated changes stored, an as-of debate sees the status as it stood then, and no status for a
drug whose changes are undated (common.drug_status, debates.asof).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("drugs") as batch:
        batch.add_column(sa.Column("status_history", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("drugs") as batch:
        batch.drop_column("status_history")
