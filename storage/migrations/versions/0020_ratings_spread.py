"""ratings: the learnt spread of log-strengths, and intervals for it and the position bias

The ratings of record no longer assume how widely strengths spread (how decisive the judge
is); they learn it. Storing the learnt spread beside the position bias lets the leaderboard
say what it is, and how often the judge names the stronger of two random hypotheses. Both
fit-wide numbers get their 80% intervals, so the leaderboard claims no more than the matches
support (a lean of -0.11 from 64 matches is not told apart from none).

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
        batch.add_column(sa.Column("position_bias_low", sa.Float(), nullable=True))
        batch.add_column(sa.Column("position_bias_high", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ratings") as batch:
        batch.drop_column("position_bias_high")
        batch.drop_column("position_bias_low")
        batch.drop_column("strength_spread_high")
        batch.drop_column("strength_spread_low")
        batch.drop_column("strength_spread")
