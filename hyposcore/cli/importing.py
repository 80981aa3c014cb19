"""``hyposcore import``: bring gene pages (and hypotheses) into the database."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from common.text import terminal_safe
from hyposcore.cli.common import (
    console,
    err_console,
    friendly_errors,
    open_database,
    policy_checked,
    transient_progress,
)
from hyposcore.cli.import_hypotheses import hypotheses
from wiki.importer import ImportReport, import_pages

app = typer.Typer(help="Import gene pages and hypotheses.", no_args_is_help=True)
app.command("hypotheses")(hypotheses)


@app.command("page")
@friendly_errors
def page(
    files: list[Path] = typer.Argument(
        ...,
        metavar="FILE",
        help="Gene page files, e.g. pages/mtor.txt.",
        callback=policy_checked,
    ),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Write the valid files and report the invalid ones."
    ),
) -> None:
    """Import gene pages: genes, diseases, drugs, the page text and the scores it shows.

    All files are one transaction: if any is refused, nothing is written (exit code 2), unless
    --skip-invalid is given (then the valid ones are written and the exit code is 1).
    """
    database = open_database()
    try:
        with transient_progress() as progress:
            task = progress.add_task("reading pages", total=len(files))

            def show(phase: str, done: int, total: int) -> None:
                progress.update(task, description=f"{phase} pages", completed=done, total=total)

            report = import_pages(database, files, skip_invalid=skip_invalid, on_progress=show)
    finally:
        database.dispose()
    _print_report(report)
    if report.refused:
        raise typer.Exit(1)


def _print_report(report: ImportReport) -> None:
    table = Table(title="Imported gene pages")
    for column in ("file", "page", "gene", "hypotheses", "displayed scores", "problems", "changed"):
        table.add_column(
            column,
            justify="right" if column in ("hypotheses", "displayed scores", "problems") else "left",
        )
    for summary in report.pages:
        table.add_row(
            Text(terminal_safe(Path(summary.file).name)),
            Text(terminal_safe(summary.page_name)),
            Text(terminal_safe(summary.gene)),
            str(summary.hypotheses),
            str(summary.displayed_scores),
            str(len(summary.problems)),
            "yes" if summary.changed else "no",
        )
    console.print(table)
    for summary in report.pages:
        for problem in summary.problems:
            console.print(
                terminal_safe(f"{summary.file}: {problem}"),
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    if report.refused:
        err_console.print(f"[bold red]skipped:[/] {len(report.refused)} problem(s)")
        for refused in report.refused:
            err_console.print(
                f"  {terminal_safe(str(refused))}", markup=False, highlight=False, soft_wrap=True
            )
