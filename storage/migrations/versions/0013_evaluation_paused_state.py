"""evaluations gain the "paused" state (a spend limit stopped them) and its reason

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-04 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_STATES = "state IN ('queued', 'running', 'debated', 'succeeded', 'failed', 'cancelled')"
_NEW_STATES = (
    "state IN ('queued', 'running', 'debated', 'paused', 'succeeded', 'failed', 'cancelled')"
)
_OLD_LIVE = "state IN ('queued', 'running', 'debated')"
_NEW_LIVE = "state IN ('queued', 'running', 'debated', 'paused')"


def _swap(states: str, live_before: str, live_after: str) -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_constraint(op.f("ck_evaluations_state"), type_="check")
        batch.create_check_constraint(op.f("ck_evaluations_state"), sa.text(states))
        batch.drop_index(
            "uq_evaluations_live_config",
            sqlite_where=sa.text(live_before),
            postgresql_where=sa.text(live_before),
        )
        batch.create_index(
            "uq_evaluations_live_config",
            ["hypothesis_id", "dedup_key"],
            unique=True,
            sqlite_where=sa.text(live_after),
            postgresql_where=sa.text(live_after),
        )


def upgrade() -> None:
    op.add_column("evaluations", sa.Column("paused_reason", sa.Text(), nullable=True))
    _swap(_NEW_STATES, _OLD_LIVE, _NEW_LIVE)


def downgrade() -> None:
    # The old code knows no paused state: a paused evaluation goes back to queued, and its
    # next delivery resumes the stored debate (the old code has no spend limits to stop it).
    op.execute("UPDATE evaluations SET state = 'queued' WHERE state = 'paused'")
    _swap(_OLD_STATES, _NEW_LIVE, _OLD_LIVE)
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("paused_reason")
