"""debate_turns: input tokens read from and written to the provider's prompt cache

Both are part of prompt_tokens and are priced apart (debates.backends.llm_prices); rows from
before hold 0, as no cache was asked for then.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("debate_turns") as batch:
        batch.add_column(
            sa.Column("cached_read_tokens", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("cache_write_tokens", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("debate_turns") as batch:
        batch.drop_column("cache_write_tokens")
        batch.drop_column("cached_read_tokens")
