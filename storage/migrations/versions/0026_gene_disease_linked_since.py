"""gene_diseases.linked_since: when a gene's link to a disease was first published

A gene's disease list is today's: it may name a disease linked to the gene only after the
date an as-of debate stands on, and the offline rubric reads the link in two dimensions.
With the date stored, a blind debate reads a link only from then on, and an undated link not
at all (debates.asof).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 10:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("gene_diseases") as batch:
        batch.add_column(sa.Column("linked_since", sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gene_diseases") as batch:
        batch.drop_column("linked_since")
