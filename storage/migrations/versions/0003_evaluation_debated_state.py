"""evaluations gain the "debated" state: debate stored, waiting for scoring, no lease held

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_STATES = "state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')"
_NEW_STATES = "state IN ('queued', 'running', 'debated', 'succeeded', 'failed', 'cancelled')"
_OLD_LIVE = "state IN ('queued', 'running')"
_NEW_LIVE = "state IN ('queued', 'running', 'debated')"


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
    _swap(_NEW_STATES, _OLD_LIVE, _NEW_LIVE)


def downgrade() -> None:
    # A debated evaluation goes back to running with no lease: the reaper of the old code
    # cannot see it, so it is failed with a reason rather than left hanging.
    op.execute(
        "UPDATE evaluations SET state = 'failed', "
        "error = 'schema downgraded while waiting for scoring' WHERE state = 'debated'"
    )
    _swap(_OLD_STATES, _NEW_LIVE, _OLD_LIVE)
