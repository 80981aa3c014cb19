"""scheduler_passes.running_until: one tournament round at a time

Beat's round messages pile up while no worker runs, and a threads pool then starts them
together: each read the same match log, chose the same pairs and paid the judge for each
twice. A run now holds its pass until it ends (or, if it dies, until the hold lapses), and a
run that finds the pass held stands down.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scheduler_passes") as batch:
        batch.add_column(sa.Column("running_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scheduler_passes") as batch:
        batch.drop_column("running_until")
