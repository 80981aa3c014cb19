"""dated evidence, resolving citations and as-of evaluations

Evidence gains the month and day of its publication (the year was already stored; rows keep
it and gain nothing else). A hypothesis gains the citation of the publication that resolved
it. An evaluation gains the date it was run as of (NULL: now) and, for such a blind forecast,
the scores it gave, which never enter the live score history or market; and the token of its
debate's data fence, fixed when the debate starts so that every prompt shares one prefix.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evidence_items") as batch:
        batch.add_column(sa.Column("month", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("day", sa.Integer(), nullable=True))
    with op.batch_alter_table("hypotheses") as batch:
        batch.add_column(sa.Column("resolution_citation", sa.String(length=300), nullable=True))
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("as_of", sa.Date(), nullable=True))
        batch.add_column(sa.Column("forecast", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("fence_token", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("fence_token")
        batch.drop_column("forecast")
        batch.drop_column("as_of")
    with op.batch_alter_table("hypotheses") as batch:
        batch.drop_column("resolution_citation")
    with op.batch_alter_table("evidence_items") as batch:
        batch.drop_column("day")
        batch.drop_column("month")
