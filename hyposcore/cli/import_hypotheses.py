"""``hyposcore import hypotheses``: a curated hypothesis file into the database.

Registered on the ``hyposcore import`` group in ``hyposcore.cli.importing``.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from common.text import counted, terminal_safe
from hyposcore.cli.common import (
    console,
    err_console,
    friendly_errors,
    open_database,
    policy_checked,
)
from storage.importing import ImportReport, import_hypotheses


@friendly_errors
def hypotheses(
    file: Path = typer.Argument(
        ...,
        metavar="FILE",
        help="A hypothesis file, YAML or JSON (format version 1).",
        callback=policy_checked,
    ),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Write the valid records and report the invalid ones."
    ),
) -> None:
    """Import a hypothesis file in one transaction (format: docs/hypotheses-format.md).

    If any record is invalid nothing is written (exit code 2), unless --skip-invalid is given:
    then the valid records are written, the invalid ones listed, and the exit code is 1.
    Importing the same file again changes nothing.
    """
    database = open_database()
    try:
        report = import_hypotheses(database, file, skip_invalid=skip_invalid)
    finally:
        database.dispose()
    console.print(hypotheses_summary(report))
    changed = report.hypotheses.updated
    if changed:
        # A new title or outcome changes no snapshot, so nothing republishes on its own.
        console.print(
            f"{counted(changed, 'hypothesis', 'hypotheses')} changed: a new outcome reaches "
            "published gene pages and badges, a new title the badges (a page keeps its own "
            "wording), at the next publish of their genes (hyposcore publish, or a worker "
            "scoring them)"
        )
    if report.problems:
        err_console.print(
            f"[bold yellow]skipped {len(report.skipped_records)} invalid record(s):[/]"
        )
        for problem in report.problems:
            err_console.print(
                f"  {terminal_safe(str(problem))}", markup=False, highlight=False, soft_wrap=True
            )
        raise typer.Exit(1)


def hypotheses_summary(report: ImportReport) -> Table:
    """The counts of one import; the file name is shown verbatim, never read as markup."""
    table = Table(title=Text(f"imported {terminal_safe(report.file)}"), title_justify="left")
    for column in ("records", "created", "updated", "unchanged", "removed"):
        table.add_column(column, justify="left" if column == "records" else "right")
    for name, tally in (
        ("hypotheses", report.hypotheses),
        ("genes", report.genes),
        ("drugs", report.drugs),
    ):
        table.add_row(name, str(tally.created), str(tally.updated), str(tally.unchanged), "-")
    evidence = report.evidence
    table.add_row(
        "evidence items",
        str(evidence.added),
        str(evidence.updated),
        str(evidence.unchanged),
        str(evidence.removed),
    )
    table.add_row("diseases", str(report.diseases_created), "-", "-", "-")
    return table
