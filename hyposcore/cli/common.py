"""What every command shares: settings, the database, and turning errors into clear messages."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from common.settings import Settings, get_settings
from common.text import terminal_safe, text_problem
from debates.config import ConfigError
from storage.db import Database
from storage.errors import InvalidInputError, NotFoundError

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


def open_database(settings: Settings | None = None, *, upgrade: bool = True) -> Database:
    """Open the configured database; on first use the embedded SQLite file is created."""
    settings = settings or get_settings()
    settings.ensure_data_dir()
    database = Database(settings.resolved_database_url)
    if upgrade:
        database.upgrade()
    return database


def friendly_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print known errors as one clear message and exit non-zero, without a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except InvalidInputError as exc:
            err_console.print(
                f"[bold red]error:[/] {len(exc.problems)} problem(s); nothing written"
            )
            for problem in exc.problems:
                err_console.print(f"  {terminal_safe(str(problem))}", markup=False, highlight=False)
            raise typer.Exit(2) from None
        except ConfigError as exc:
            # The API's message, plus the option that sets the field.
            option = "--" + exc.field.replace("_", "-")
            err_console.print(Text.assemble(("error: ", "bold red"), f"{exc} ({option})"))
            raise typer.Exit(2) from None
        except NotFoundError as exc:
            err_console.print("[bold red]error:[/] ", end="")
            err_console.print(terminal_safe(str(exc)), markup=False, highlight=False)
            raise typer.Exit(2) from None

    return wrapper


def policy_checked(value: T) -> T:
    """A typer callback: refuse an argument the text policy refuses (exit code 2, naming the
    argument and the position), since arguments reach outputs and the database."""
    values = value if isinstance(value, list | tuple) else [value]
    for item in values:
        problem = None if item is None else text_problem(str(item))
        if problem is not None:
            raise typer.BadParameter(problem)
    return value


def transient_progress() -> Progress:
    """A bar for long work (items done of all, time elapsed) that disappears when the work is
    done, leaving only what the command prints after it; in a log (no terminal) it prints
    nothing."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        # Off the terminal Rich draws no bar but ends it with a newline: a blank line in logs.
        disable=not console.is_terminal,
    )


def quiet_progress(label: str, *, quiet: bool, described: bool = False) -> Progress:
    """A bar on stderr for a step of a command whose stdout may be JSON: ``label``, the bar,
    items done of all and, when ``described``, each task's description (the item just done);
    gone when the step ends, and off when ``quiet`` or in a log (no terminal)."""
    columns = [TextColumn(label), BarColumn(), MofNCompleteColumn()]
    if described:
        columns.append(TextColumn("{task.description}"))
    disable = quiet or not err_console.is_terminal  # see transient_progress
    return Progress(*columns, console=err_console, transient=True, disable=disable)


# Between two columns of a compact_table: a space either side of the rule.
COLUMN_GAP = 3


def compact_table(title: str, **options: Any) -> Table:
    """A table with a rule under its header and no border, the most an 80-column terminal can
    spare for one; ``columns_width`` measures it. ``options`` go to ``rich.table.Table``."""
    return Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, **options)


def columns_width(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    """What these table columns take on the terminal: each as wide as its widest line (header
    or cell, a cell may hold several lines), and a gap between two."""
    widths = [
        max(len(line) for text in [header, *(row[i] for row in rows)] for line in text.split("\n"))
        for i, header in enumerate(headers)
    ]
    return sum(widths) + COLUMN_GAP * (len(headers) - 1)
