"""evaluations.model: the model a debate's backend answered as

A debate's configuration names a model only when its requester chose one; otherwise each
worker asks its own configured default, and the ledger did not say which. Each debate now
records, at its start, the model it asks for (with the worker's default filled in), beside
that model's training cutoff (0030), so a backtest's report names the model that debated
instead of the default of the process that builds the report. Rows already in the ledger
keep NULL: which model answered them is not known.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("model", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("model")
