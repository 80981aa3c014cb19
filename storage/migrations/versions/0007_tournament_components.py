"""ratings say which component they belong to, how many decided matches back them, and the
judge's position bias of the fit

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ratings") as batch:
        batch.add_column(sa.Column("decided", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("component", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("component_size", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("position_bias", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ratings") as batch:
        batch.drop_column("position_bias")
        batch.drop_column("component_size")
        batch.drop_column("component")
        batch.drop_column("decided")
