"""ratings.strength_spread (low, high): the spread of log-strengths the fit learnt

The ratings of record no longer assume how widely strengths spread (how decisive the judge
is); they learn it. Storing the learnt spread beside the position bias lets the leaderboard
say what it is, and how often the judge names the stronger of two random hypotheses.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ratings") as batch:
        batch.add_column(sa.Column("strength_spread", sa.Float(), nullable=True))
        batch.add_column(sa.Column("strength_spread_low", sa.Float(), nullable=True))
        batch.add_column(sa.Column("strength_spread_high", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ratings") as batch:
        batch.drop_column("strength_spread_high")
        batch.drop_column("strength_spread_low")
        batch.drop_column("strength_spread")
