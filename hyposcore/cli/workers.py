"""``hyposcore worker``, ``beat`` and ``queue``: running the pipeline and queueing work."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from common.settings import get_settings
from hyposcore.cli.common import console, friendly_errors, open_database
from hyposcore.cli.follow import follow
from hyposcore.cli.options import AsOf, Backend, MaxRounds, MinRounds, Panel, panel_keys
from storage.queries.delivery import BATCH_DELIVERY, delivery_of
from storage.queries.evaluations import Enqueued
from storage.queries.knowledge import list_hypotheses
from workers.celery_app import QUEUES, get_app
from workers.dispatch import debate_config, submit_evaluations


def worker(
    queues: Annotated[
        str, typer.Option("--queues", "-Q", help="Comma-separated queues.")
    ] = ",".join(QUEUES),
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1)] = 4,
    pool: Annotated[
        str, typer.Option("--pool", "-P", help="threads, prefork or solo.")
    ] = "threads",
    loglevel: Annotated[str, typer.Option("--loglevel", "-l")] = "INFO",
    hostname: Annotated[str | None, typer.Option("--hostname", "-n")] = None,
) -> None:
    """Start a Celery worker (the same as `celery -A workers worker`)."""
    settings = get_settings()
    open_database(settings).dispose()  # the schema must exist before tasks touch it
    # Task events follow HYPOSCORE_TASK_EVENTS (Flower turns them on while it watches).
    argv = ["worker", "-Q", queues, "-c", str(concurrency), "-P", pool, "-l", loglevel]
    if hostname:
        argv += ["-n", hostname]
    get_app(settings).worker_main(argv)


def beat(loglevel: Annotated[str, typer.Option("--loglevel", "-l")] = "INFO") -> None:
    """Start the scheduler: reaper, re-evaluation, tournament rounds and rating refits."""
    settings = get_settings()
    settings.ensure_data_dir()
    get_app(settings).Beat(loglevel=loglevel).run()


@friendly_errors
def queue(
    hypothesis_ids: Annotated[
        list[str] | None,
        typer.Argument(
            help="One or more, e.g. h-51e7234f h-8c41d7a2.",
            show_default=False,
            metavar="HYPOTHESIS_ID",
        ),
    ] = None,
    all_hypotheses: Annotated[
        bool, typer.Option("--all", help="Queue every hypothesis in the database.")
    ] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Follow progress until it ends.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Queue even if the same run is live.")
    ] = False,
    backend: Backend = None,
    panel: Panel = None,
    min_rounds: MinRounds = None,
    max_rounds: MaxRounds = None,
    as_of: AsOf = None,
    now: Annotated[
        bool,
        typer.Option(
            "--now",
            help="Ask every turn live. Without it, a backend with a provider batch API "
            "debates through batches at half the price, answers within 24 hours "
            "(HYPOSCORE_PROVIDER_BATCHES=false turns batches off).",
        ),
    ] = False,
    timeout: Annotated[float, typer.Option(help="Seconds --wait waits at most.")] = 3600.0,
) -> None:
    """Queue evaluations of HYPOTHESIS_IDS (a live run with the same settings is returned,
    unless --force). Offline evaluations queued together are debated as one batch."""
    if bool(hypothesis_ids) == all_hypotheses:
        raise typer.BadParameter("name one or more hypotheses, or pass --all (not both)")
    settings = get_settings()
    database = open_database(settings)
    config = debate_config(
        settings,
        backend=backend,
        panel=panel_keys(panel),
        min_rounds=min_rounds,
        max_rounds=max_rounds,
        as_of=as_of.date() if as_of else None,
        urgent=now,
    )
    if all_hypotheses:
        with database.sessions() as session:
            hypothesis_ids = [h.id for h in list_hypotheses(session, limit=1_000_000)]
    enqueued = submit_evaluations(
        database, settings, hypothesis_ids=hypothesis_ids or [], config=config, force=force
    )
    _say_queued(hypothesis_ids or [], enqueued, batches=delivery_of(config) == BATCH_DELIVERY)
    if wait:
        followed = follow(database, [e.evaluation.id for e in enqueued], timeout=timeout)
        if any(row.state != "succeeded" for row in followed.rows):
            raise typer.Exit(1)


def _say_queued(hypothesis_ids: list[str], enqueued: list[Enqueued], *, batches: bool) -> None:
    for hypothesis_id, entry in zip(hypothesis_ids, enqueued, strict=True):
        verb = "queued" if entry.created else "already live as"
        console.print(
            f"{escape(hypothesis_id)}: {verb} evaluation [bold]{entry.evaluation.id}[/]",
            highlight=False,
        )
    if batches:
        console.print(
            "through the provider's batch API: half the price, answers within 24 hours, one "
            "batch per round that beat sends and collects; --now asks every turn live",
            highlight=False,
        )
