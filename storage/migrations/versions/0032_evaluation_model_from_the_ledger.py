"""evaluations.model for debates begun before 0031, from what the ledger already shows

0031 left a debate that began before it without a recorded model, saying which model answered
was not known. Two records do show it: a configuration that named a model asked for exactly
that one, and every turn stores the model its reply came from. So an evaluation of a model
backend with no recorded model now gets its configuration's model, or else, once no more turns
can come, the one model all its turns name (a provider may report a dated version of the name
asked for). The built-in model backends' rows filled in are also marked as not reading only
their request, as every new debate of theirs is. A configured training cutoff can then reach
these debates (``workers.model_cutoffs``). An evaluation whose turns name no model or several
keeps NULL.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 22:30:00
"""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The built-in backends, as they were named at this revision.
_OFFLINE = ("evidence", "scripted")
_MODEL_BACKENDS = ("openai", "anthropic")
# States after which a debate stores no more turns.
_DONE = ("debated", "succeeded", "failed", "cancelled")

_EVALUATIONS = sa.table(
    "evaluations",
    sa.column("id", sa.Integer()),
    sa.column("config", sa.JSON()),
    sa.column("state", sa.String()),
    sa.column("model", sa.String()),
    sa.column("reads_only_request", sa.Boolean()),
)
_TURNS = sa.table(
    "debate_turns", sa.column("evaluation_id", sa.Integer()), sa.column("model", sa.String())
)


def upgrade() -> None:
    connection = op.get_bind()
    unrecorded = connection.execute(
        sa.select(_EVALUATIONS.c.id, _EVALUATIONS.c.config, _EVALUATIONS.c.state).where(
            _EVALUATIONS.c.model.is_(None),
            sa.or_(
                _EVALUATIONS.c.reads_only_request.is_(None),
                _EVALUATIONS.c.reads_only_request.is_(False),
            ),
        )
    ).all()
    answered = _one_model_answered(connection)
    filled: dict[tuple[str, bool], list[int]] = defaultdict(list)
    for row in unrecorded:
        config = row.config or {}
        if config.get("backend") in _OFFLINE:
            continue
        model = config.get("model") or (answered.get(row.id) if row.state in _DONE else None)
        if model:
            filled[model, config.get("backend") in _MODEL_BACKENDS].append(row.id)
    for (model, a_model_backend), ids in filled.items():
        values: dict[str, object] = {"model": model}
        if a_model_backend:
            values["reads_only_request"] = False
        for start in range(0, len(ids), 500):
            connection.execute(
                sa.update(_EVALUATIONS)
                .where(_EVALUATIONS.c.id.in_(ids[start : start + 500]))
                .values(**values)
            )


def _one_model_answered(connection: sa.Connection) -> dict[int, str]:
    """Each evaluation whose turns all name one model: that model."""
    rows = connection.execute(
        sa.select(
            _TURNS.c.evaluation_id,
            sa.func.min(_TURNS.c.model).label("low"),
            sa.func.max(_TURNS.c.model).label("high"),
            sa.func.count().label("turns"),
            sa.func.count(_TURNS.c.model).label("named"),
        ).group_by(_TURNS.c.evaluation_id)
    ).all()
    return {
        row.evaluation_id: row.low
        for row in rows
        if row.low and row.low == row.high and row.turns == row.named
    }


def downgrade() -> None:
    # What was filled in is what the ledger showed, true at 0031 as well; 0031's downgrade
    # drops the column.
    pass
