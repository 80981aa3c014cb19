"""``hyposcore backtest --compare A B``: two stored reports side by side, and the cells every
backtest table writes its numbers in."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from common.numbers import signed
from common.text import terminal_safe
from hyposcore.cli.common import console, open_database
from storage.queries.backtests import get_report


def interval_cell(value: float | None, low: float | None = None, high: float | None = None) -> str:
    if value is None:
        return "—"
    if low is None or high is None:
        return f"{value:.3f}"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def signed_cell(value: float | None) -> str:
    return "—" if value is None else signed(value, 3)


def compare_reports(first: str, second: str, *, as_json: bool) -> None:
    """Two stored reports side by side: each forecaster's Brier in A, in B, and B - A."""
    database = open_database()
    try:
        with database.sessions() as session:
            a = get_report(session, name=first)
            b = get_report(session, name=second)
    finally:
        database.dispose()
    rows = compared_rows(a.report, b.report)
    differing = differing_settings(a.report, b.report)
    if as_json:
        typer.echo(
            json.dumps(
                {"a": first, "b": second, "settings_differ": differing, "forecasters": rows},
                indent=2,
            )
        )
        return
    table = Table(title=f"Backtest {first!r} (A) against {second!r} (B)")
    table.add_column("forecaster")
    for label in ("A", "B"):
        table.add_column(f"n {label}", justify="right")
        table.add_column(f"Brier {label} [90%]", justify="right", no_wrap=True)
    table.add_column("B − A", justify="right")
    for row in rows:
        cells = []
        for side in ("a", "b"):
            graded = row[side]
            cells += (
                ["", "—"]
                if graded is None
                else [
                    str(graded["n"]),
                    interval_cell(graded["brier"], graded["brier_low"], graded["brier_high"]),
                ]
            )
        diff = row["brier_difference"]
        table.add_row(Text(terminal_safe(row["name"])), *cells, signed_cell(diff))
    console.print(table)
    _print_differing(differing)


def differing_settings(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Each setting the two reports were made with that differs (the as-of rule, the horizon,
    the debate, the weights...), A's order first: what a difference in Brier may come from."""
    left, right = a.get("settings", {}), b.get("settings", {})
    names = list(left) + [name for name in right if name not in left]
    return [
        {"setting": name, "a": left.get(name), "b": right.get(name)}
        for name in names
        if left.get(name) != right.get(name)
    ]


def _print_differing(differing: list[dict[str, Any]]) -> None:
    if not differing:
        console.print("Both reports were made with the same settings.", style="dim")
        return
    console.print("Settings that differ (a difference in Brier may come from any of them):")
    for row in differing:
        a, b = (json.dumps(row[side], sort_keys=True, default=str) for side in ("a", "b"))
        console.print(Text(terminal_safe(f"  {row['setting']}: A {a}; B {b}")))


def compared_rows(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Every forecaster of either report, A's order first; the Brier difference where both."""
    by_a = {row["name"]: row for row in a["forecasters"]}
    by_b = {row["name"]: row for row in b["forecasters"]}
    names = list(by_a) + [name for name in by_b if name not in by_a]
    keys = ("n", "brier", "brier_low", "brier_high", "log_loss", "auc")
    rows = []
    for name in names:
        left, right = by_a.get(name), by_b.get(name)
        rows.append(
            {
                "name": name,
                "a": {k: left[k] for k in keys} if left else None,
                "b": {k: right[k] for k in keys} if right else None,
                "brier_difference": right["brier"] - left["brier"] if left and right else None,
            }
        )
    return rows
