"""The ``hyposcore`` command: one entry point for every room."""

from __future__ import annotations

import json
from typing import Any

import typer

from common.settings import get_settings, masked_values
from debates.backends import registry
from hyposcore.cli import db, help, importing, workers
from hyposcore.cli import publish as publish_cli
from hyposcore.cli import status as status_cli
from hyposcore.cli import token as token_cli
from hyposcore.cli.backtest import backtest as backtest_command
from hyposcore.cli.common import console
from hyposcore.cli.debate import debate as debate_command
from hyposcore.cli.demo import demo as demo_command
from hyposcore.cli.history import history as history_command
from hyposcore.cli.leaderboard import show_leaderboard
from hyposcore.cli.serve import serve as serve_command

help.install()
app = typer.Typer(
    name="hyposcore",
    help="Score hypotheses by multi-agent debate and publish the scores into gene pages.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db.app, name="db")
app.add_typer(token_cli.app, name="token")
app.command("serve")(serve_command)
app.add_typer(importing.app, name="import")
app.command("debate")(debate_command)
app.command("backtest")(backtest_command)
app.command("demo")(demo_command)
app.command("queue")(workers.queue)
app.command("status")(status_cli.status)
app.command("history")(history_command)
app.command("leaderboard")(show_leaderboard)
app.command("worker")(workers.worker)
app.command("beat")(workers.beat)
app.command("publish")(publish_cli.publish)
app.add_typer(publish_cli.pages_app, name="pages")


@app.command("settings")
def show_settings(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print the effective settings, each backend's own ones included, secrets masked."""
    shown = {**get_settings().masked(), **backend_settings_shown()}
    if as_json:
        console.print_json(json.dumps(shown, default=str))
        return
    for name, value in shown.items():
        console.print(f"[bold]{name}[/] = {value}", highlight=False)


def backend_settings_shown() -> dict[str, Any]:
    """Every backend's options as ``<backend>_<option>`` (the env var without HYPOSCORE_)."""
    shown: dict[str, Any] = {}
    for name in registry.available():
        try:
            values = dict(registry.backend_settings(name))
        except (ImportError, ValueError) as exc:  # a broken plug-in or a bad value, named
            shown[f"{name}_unavailable"] = f"{type(exc).__name__}: {exc}"
            continue
        shown.update({f"{name}_{key}": v for key, v in masked_values(values).items()})
    return shown


help.reflow_help(app)

if __name__ == "__main__":
    app()
