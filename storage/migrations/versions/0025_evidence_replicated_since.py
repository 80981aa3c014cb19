"""evidence_items.replicated_since: when a finding was first reproduced

An item's replicated flag is true today, but the replication may have come after the date an
as-of debate stands on. With the date stored, a blind debate sees an item as replicated only
from then on, and an undated replication as not reported (debates.asof).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evidence_items") as batch:
        batch.add_column(sa.Column("replicated_since", sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evidence_items") as batch:
        batch.drop_column("replicated_since")
