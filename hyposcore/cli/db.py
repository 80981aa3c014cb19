"""``hyposcore db``: schema migrations."""

from __future__ import annotations

import typer

from common.settings import mask_url
from hyposcore.cli.common import console, open_database
from storage.migrate import current_revision

app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Apply every pending migration to the configured database."""
    database = open_database(upgrade=True)
    url = mask_url(database.engine.url.render_as_string(hide_password=False))
    console.print(f"database {url} is at revision {current_revision(database.engine)}")


@app.command()
def current() -> None:
    """Print the schema revision of the configured database."""
    database = open_database(upgrade=False)
    console.print(current_revision(database.engine) or "empty (run: hyposcore db upgrade)")
