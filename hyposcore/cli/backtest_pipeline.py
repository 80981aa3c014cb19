"""``hyposcore backtest --pipeline``: the backtest's debates queued to the workers, then waited for.

The as-of evaluations go through the same queue, workers and ledger as any other, so a
backtest with a model backend is debated by as many workers as are running, and its turns stay
in the ledger. This module queues them, shows their progress and hands what they said to the
same report as ``--local``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import typer
from rich.text import Text

from common.settings import Settings
from hyposcore.cli.common import err_console, open_database, quiet_progress
from storage.queries.delivery import BATCH_DELIVERY as BATCH
from storage.queries.delivery import delivery_of
from workers.backtest import Forecasted
from workers.backtest_pipeline import collect, finished, queue_forecasts
from workers.model_cutoffs import record_configured_cutoffs

POLL_SECONDS = 0.5


def run_on_workers(
    settings: Settings,
    config: Mapping[str, Any],
    *,
    horizon_days: int,
    timeout: float,
    quiet: bool,
    fresh: bool = False,
) -> list[Forecasted]:
    """Queue every resolved hypothesis as of its horizon and wait for the workers to end them.

    ``config`` is a queued evaluation's (``workers.dispatch.debate_config``). Raises
    BacktestError if one failed; exits 1 if they are not all done within ``timeout`` (they
    stay queued, and a later run reuses any still live, as it reuses those that succeeded
    unless ``fresh``).
    """
    database = open_database(settings)
    try:
        queued = queue_forecasts(
            database, settings, horizon_days=horizon_days, config=config, fresh=fresh
        )
        if (reused := sum(q.reused for q in queued)) and not quiet:
            err_console.print(
                f"reusing {reused} of {len(queued)} blind debates that succeeded before on the "
                "same case and settings (--fresh debates them anew)",
                highlight=False,
            )
        progress = quiet_progress("workers debating as of", quiet=quiet)
        deadline = time.monotonic() + timeout
        with progress:
            task = progress.add_task("", total=len(queued))
            while (done := finished(database, queued)) < len(queued):
                progress.update(task, completed=done)
                if time.monotonic() > deadline:
                    _timed_out(done, len(queued), timeout, batches=delivery_of(config) == BATCH)
                time.sleep(POLL_SECONDS)
        # The report's hint says to configure a model's cutoff; the rerun that follows reuses
        # the debates, which would otherwise keep "unknown" for good.
        given = record_configured_cutoffs(
            database,
            backend=str(config["backend"]),
            evaluation_ids=[q.evaluation_id for q in queued],
        )
        if given:
            err_console.print(
                f"gave the blind debates of {given} hypotheses their model's configured "
                "training cutoff (they began before it was set)",
                highlight=False,
            )
        return collect(database, queued)
    finally:
        database.dispose()


def _timed_out(done: int, total: int, timeout: float, *, batches: bool) -> None:
    why = (
        "Their turns go through the provider's batch API, which may take up to 24 hours (and "
        "beat sends them: is `hyposcore beat` running?)"
        if batches
        else "Is a worker running (hyposcore worker)?"
    )
    err_console.print(
        Text.assemble(
            ("error: ", "bold red"),
            f"{done} of {total} as-of evaluations ended within {timeout:.0f}s. {why} They stay "
            "queued; `hyposcore status` follows them, and the same backtest run again picks "
            "them up.",
        )
    )
    raise typer.Exit(1)
