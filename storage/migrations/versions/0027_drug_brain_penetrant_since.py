"""drugs.brain_penetrant_since: when a drug was first shown to reach the brain

Whether a drug crosses the blood-brain barrier is often learnt in the very trials a backtest
grades. With the date stored, a blind debate reads a drug as reaching the brain only from
then on (debates.asof.drug_as_of).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 11:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("drugs") as batch:
        batch.add_column(sa.Column("brain_penetrant_since", sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("drugs") as batch:
        batch.drop_column("brain_penetrant_since")
