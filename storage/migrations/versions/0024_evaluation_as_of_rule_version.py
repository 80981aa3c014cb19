"""evaluations.as_of_rule_version: the version of the as-of rule a blind debate followed

Blind debates used to read every drug's approval status and each gene's knowledge-graph
count as they stand today, which is often the answer they are graded on. The rule now shows
them as dated (common.as_of_rule, version 2). A blind forecast grades personas only if its
debate followed the current rule; those made before (NULL here) stay in the ledger but no
longer move a believability.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("as_of_rule_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("as_of_rule_version")
