"""The ``hyposcore`` command: one entry point for every room."""

from __future__ import annotations

import json

import typer

from hyposcore.cli import db
from hyposcore.cli.common import console
from hyposcore.settings import get_settings

app = typer.Typer(
    name="hyposcore",
    help="Score hypotheses by multi-agent debate and publish the scores into gene pages.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db.app, name="db")


@app.command("settings")
def show_settings(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print the effective settings, secrets masked."""
    shown = get_settings().masked()
    if as_json:
        console.print_json(json.dumps(shown, default=str))
        return
    for name, value in shown.items():
        console.print(f"[bold]{name}[/] = {value}", highlight=False)


if __name__ == "__main__":
    app()
