"""evaluations.case_digest: the blind case a backtest's as-of evaluation was queued for

A backtest on the workers queued every resolved hypothesis again on each run, so a rerun (say,
after its judge's batches outlasted --timeout) paid for every blind debate a second time. With
the digest of the case stored, a rerun on the same data and settings reuses the evaluations
that succeeded.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 16:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("case_digest", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("case_digest")
