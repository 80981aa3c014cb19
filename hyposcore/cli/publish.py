"""``hyposcore publish`` and ``hyposcore pages``: write scores into gene pages, show revisions."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from common.settings import get_settings
from common.text import terminal_safe
from hyposcore.cli.common import (
    console,
    err_console,
    friendly_errors,
    open_database,
    policy_checked,
    transient_progress,
)
from storage.db import Database
from storage.errors import NotFoundError
from storage.queries.knowledge import find_gene
from storage.queries.revisions import (
    first_revision,
    get_revision,
    latest_revision,
    list_published_pages,
    list_revisions,
    revised_page_names,
)
from storage.queries.views import gene_page_for
from wiki.pagediff import page_diff
from wiki.publish import PagePublish, PublishReport, publish_pages
from wiki.store import open_page_store

pages_app = typer.Typer(help="Published gene pages: list, revisions, diffs.", no_args_is_help=True)

TABLE_ROWS = 50
_DIFF_STYLES = (("+++", "bold"), ("---", "bold"), ("@@", "cyan"), ("+", "green"), ("-", "red"))


@friendly_errors
def publish(
    genes: list[str] = typer.Option(
        [],
        "--gene",
        "-g",
        help="Publish only this gene's pages (repeatable).",
        callback=policy_checked,
    ),
    show_all: bool = typer.Option(
        False, "--all", help="List every page, not only the first changed and failed ones."
    ),
) -> None:
    """Write the latest scores into the gene pages of the pages folder.

    A page is rewritten (a write and a new revision) only when something a reader sees
    changes: a hypothesis's shown score (its exchange rating, or its composite before it has a
    market price), the composite or 80% interval in a tooltip, a hypothesis title, or which
    hypotheses are listed; numbers are compared as shown, to two decimals. A newer snapshot
    with the same shown numbers leaves the page untouched, though the tooltips' "(snapshot vN)"
    then names the older snapshot. Exit code 1 when any page failed; failed pages are left
    exactly as they were.
    """
    settings = get_settings()
    store = open_page_store(settings.resolved_pages_dir)
    database = open_database(settings)
    try:
        _check_genes_have_pages(database, genes)
        with transient_progress() as progress:
            task = progress.add_task("publishing pages", total=None)
            report = publish_pages(
                database,
                store,
                gene_symbols=genes or None,
                on_progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    finally:
        database.dispose()
    _print_report(report, show_all=show_all)
    console.print(
        f"{report.summary()} (folder {settings.resolved_pages_dir})", highlight=False, markup=False
    )
    if report.failed:
        raise typer.Exit(1)


def _check_genes_have_pages(database: Database, symbols: list[str]) -> None:
    """Refuse a --gene that names no known gene (exit code 2); note one without a page."""
    with database.sessions() as session:
        for symbol in symbols:
            gene = find_gene(session, symbol=symbol)
            if gene is None:
                raise NotFoundError(
                    f"--gene {symbol!r}: no such gene (genes come from `hyposcore import`)"
                )
            if gene_page_for(session, gene_id=gene.id) is None:
                err_console.print(
                    f"note: gene {gene.symbol} has no imported page to publish into "
                    "(hyposcore import page FILE)",
                    highlight=False,
                    markup=False,
                )


def _print_report(report: PublishReport, *, show_all: bool) -> None:
    # Failed pages first: on a large first publish they must not scroll away under the changes.
    listed = sorted(
        (page for page in report.pages if show_all or page.changed or page.failed),
        key=lambda page: not page.failed,
    )
    shown = listed if show_all else listed[:TABLE_ROWS]
    if not shown:
        return
    table = Table(title="Published gene pages")
    for column in ("page", "gene", "result", "revision", "hypotheses", "problems"):
        table.add_column(
            column, justify="right" if column in ("revision", "hypotheses") else "left"
        )
    for page in shown:
        table.add_row(
            Text(terminal_safe(page.name)),
            Text(terminal_safe(page.gene_symbol or "?")),
            _result(page),
            "" if page.revision is None else str(page.revision),
            str(len(page.hypotheses)),
            Text(terminal_safe("; ".join(page.problems) or _unscored(page))),
        )
    console.print(table)
    if len(listed) > len(shown):
        console.print(f"… and {len(listed) - len(shown)} more pages (--all lists them)")


def _result(page: PagePublish) -> Text:
    if page.refused:
        return Text("refused", style="bold red")
    if page.failed:
        return Text("failed", style="bold red")
    return Text("changed", style="green") if page.changed else Text("unchanged")


def _unscored(page: PagePublish) -> str:
    return f"no snapshot yet: {', '.join(page.unscored)}" if page.unscored else ""


@pages_app.command("list")
def list_pages() -> None:
    """Every page in the pages folder or with a recorded revision."""
    settings = get_settings()
    in_store = set(open_page_store(settings.resolved_pages_dir).names())
    database = open_database(settings)
    try:
        with database.sessions() as session:
            published = {page.page_name: page for page in list_published_pages(session)}
    finally:
        database.dispose()
    table = Table(title=f"Gene pages ({settings.resolved_pages_dir})")
    for column in ("page", "in folder", "revisions", "latest", "published at"):
        table.add_column(column, justify="right" if column in ("revisions", "latest") else "left")
    for name in sorted(in_store | set(published)):
        summary = published.get(name)
        table.add_row(
            Text(name),
            "yes" if name in in_store else "no",
            str(summary.revisions) if summary else "0",
            str(summary.latest) if summary else "",
            _when(summary.published_at) if summary else "never",
        )
    console.print(table)


@pages_app.command("revisions")
@friendly_errors
def revisions(
    name: str = typer.Argument(
        ..., metavar="NAME", help="Page name, e.g. mtor (in any letter case)."
    ),
) -> None:
    """A page's revisions: when, its checksum and which snapshots it shows."""
    database = open_database()
    try:
        with database.sessions() as session:
            name = _revised_page(session, name)
            rows = list_revisions(session, page_name=name)
    finally:
        database.dispose()
    table = Table(title=f"Revisions of {name}")
    for column in ("revision", "created at", "sha256", "snapshots"):
        table.add_column(column)
    for row in rows:
        snapshots = ", ".join(str(i) for i in row.snapshot_ids) or "original"
        table.add_row(str(row.revision), _when(row.created_at), row.content_sha256[:12], snapshots)
    console.print(table)


@pages_app.command("diff")
@friendly_errors
def diff(
    name: str = typer.Argument(
        ..., metavar="NAME", help="Page name, e.g. mtor (in any letter case)."
    ),
    from_revision: int | None = typer.Option(
        None, "--from", help="Older revision (default: the first, the original page)."
    ),
    to_revision: int | None = typer.Option(
        None, "--to", help="Newer revision (default: the latest)."
    ),
) -> None:
    """What changed between two revisions of a page, as a unified diff."""
    database = open_database()
    try:
        with database.sessions() as session:
            name = _revised_page(session, name)
            old = (
                first_revision(session, page_name=name)
                if from_revision is None
                else get_revision(session, page_name=name, revision=from_revision)
            )
            new = (
                latest_revision(session, page_name=name)
                if to_revision is None
                else get_revision(session, page_name=name, revision=to_revision)
            )
    finally:
        database.dispose()
    if old is None or new is None:
        raise NotFoundError(f"page {name!r} has no revisions; run: hyposcore publish")
    text = page_diff(
        old.content,
        new.content,
        from_label=f"{name} revision {old.revision}",
        to_label=f"{name} revision {new.revision}",
    )
    if not text:
        err_console.print(f"revisions {old.revision} and {new.revision} are identical")
        return
    if console.is_terminal:
        console.print(_coloured(text), soft_wrap=True)
    else:
        typer.echo(text, nl=False)


def _revised_page(session: Session, name: str) -> str:
    """The page with revisions that ``name`` means: that exact name, else the one page that
    spells it in another letter case, so ``MTOR`` finds ``mtor``."""
    names = revised_page_names(session, name=name)
    if name in names:
        return name
    if len(names) == 1:
        return names[0]
    if names:
        raise NotFoundError(
            f"page {name!r} is ambiguous: did you mean {' or '.join(map(repr, names))}?"
        )
    raise NotFoundError(
        f"page {name!r} has no revisions; run: hyposcore publish "
        "(hyposcore pages list shows the pages)"
    )


def _coloured(diff_text: str) -> Text:
    out = Text()
    for line in diff_text.splitlines(keepends=True):
        style = next((s for prefix, s in _DIFF_STYLES if line.startswith(prefix)), "")
        out.append(line, style=style)
    return out


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
