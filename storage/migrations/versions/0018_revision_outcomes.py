"""page_revisions: the outcome of each resolved hypothesis a revision shows

A page shows a validated or refuted hypothesis's outcome beside its number, so whether a page
is current depends on the outcomes it shows as well as on its snapshots. Revisions from before
showed none, and hold an empty object.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("page_revisions") as batch:
        batch.add_column(
            sa.Column("outcomes", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("page_revisions") as batch:
        batch.drop_column("outcomes")
