"""evaluations.reads_only_request and knowledge_cutoff: what the debating backend may know

A blind forecast grades the personas only if its debate could not have seen the answer. The
as-of rule keeps the answer out of the case, but a model may know it from its training data.
Each debate now records whether its backend reads only the request (the offline ones) or, for a
model, the last day of its configured training cutoff; the calibration reads a forecast only
when one of them shows the outcome came later. Blind forecasts already in the ledger that the
built-in offline backends made are marked as such, so they go on grading.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 18:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The built-in backends that read only their request, as they were named at this revision.
_OFFLINE = ("evidence", "scripted")


def upgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("reads_only_request", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("knowledge_cutoff", sa.Date(), nullable=True))
    evaluations = sa.table(
        "evaluations",
        sa.column("id", sa.Integer()),
        sa.column("config", sa.JSON()),
        sa.column("as_of", sa.Date()),
        sa.column("reads_only_request", sa.Boolean()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(evaluations.c.id, evaluations.c.config).where(evaluations.c.as_of.is_not(None))
    ).all()
    offline = [row.id for row in rows if (row.config or {}).get("backend") in _OFFLINE]
    if offline:
        connection.execute(
            sa.update(evaluations)
            .where(evaluations.c.id.in_(offline))
            .values(reads_only_request=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("knowledge_cutoff")
        batch.drop_column("reads_only_request")
