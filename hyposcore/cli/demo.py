"""``hyposcore demo``: the whole job on the embedded default, from import to published pages."""

from __future__ import annotations

import os
from datetime import datetime
from importlib.resources import as_file, files
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from api.leaderboard import TOURNAMENT_LEGEND, summary_text
from api.ratings import exchange_rating
from common.settings import Settings, get_settings
from debates.backends import registry
from hyposcore.cli.backtest import graded_report, store_report
from hyposcore.cli.common import console, friendly_errors, open_database
from hyposcore.cli.follow import follow
from hyposcore.cli.score_table import (
    STAND_IN_NOTE,
    ScoredRow,
    open_table,
    resolved_table,
    stands_in,
)
from hyposcore.cli.track_record import track_record_table
from hyposcore.data import hypothesis_files
from hyposcore.worker_process import WorkerProcess, WorkerStartError
from scoring.legends import legend_text
from scoring.track_record import COMPOSITE_SERIES, EXCHANGE_RATING_SERIES
from storage.db import Database
from storage.importing import import_hypotheses
from storage.models import Hypothesis, HypothesisStatus, ScoreSnapshot, utcnow
from storage.queries.knowledge import count_rows, list_hypotheses
from storage.queries.leaderboard import LeaderboardRow, fit_summary, leaderboard
from storage.queries.revisions import revisions_published_since
from storage.queries.snapshots import latest_snapshot
from wiki.importer import import_pages
from wiki.store import FolderPageStore
from workers import maintenance
from workers.backtest_report import BASE_RATE
from workers.celery_app import get_app
from workers.dispatch import debate_config, submit_evaluations

WORKER_READY_SECONDS = 90.0
DEMO_GENE = "MTOR"
DEMO_HYPOTHESIS = "h-51e7234f"
DEMO_BACKTEST = "demo"
# Enough rounds that most hypotheses reach the decided matches a rating needs.
DEMO_TOURNAMENT_ROUNDS = 8
RESOLVED_NOTE = (
    "Resolved hypotheses (validated or refuted) are listed apart: the demo debates them today, "
    "able to read the evidence that settled them, so their exchange ratings are hindsight, not "
    "forecasts. `hyposcore backtest` debates each one blind, as of before its resolution, and "
    "grades those forecasts."
)


@friendly_errors
def demo(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the evaluations.")] = 900.0,
    concurrency: Annotated[int, typer.Option(min=1, help="Worker threads.")] = 4,
) -> None:
    """Run the whole job on the embedded default: import, debate, score, publish, backtest, rank.

    Imports the bundled MTOR gene page and curated hypotheses, debates and scores every
    hypothesis with a real worker process, publishes the pages and badges, debates the resolved
    hypotheses blind and stores that backtest as "demo", and prints the leaderboard, what each
    band of the blind numbers has meant, and where to look.

    {legends}
    """
    settings = get_settings()
    database = open_database(settings)
    started = utcnow()
    console.rule("[bold]1. import")
    _import_bundled(database)
    _print_counts(database)

    console.rule("[bold]2. queue and debate")
    failed = _debate_everything(database, settings, timeout=timeout, concurrency=concurrency)

    console.rule("[bold]3. tournament and publish")
    _tournament_and_publish(database, settings)
    _print_published(database, settings, since=started)

    console.rule("[bold]4. blind backtest")
    report = _backtest(settings)

    console.rule("[bold]5. leaderboard")
    _print_leaderboard(database)
    console.print(Text(legend_text(), style="dim"))
    if report is not None:
        console.print(track_record_table(report["settings"], report["forecasters"]))
    _print_where_to_look(settings)
    if failed:
        console.print(f"[red]evaluations that did not succeed: {failed}[/]")
        raise typer.Exit(1)


demo.__doc__ = (demo.__doc__ or "").format(legends=legend_text("\n\n    "))


def _debate_everything(
    database: Database, settings: Settings, *, timeout: float, concurrency: int
) -> list[int]:
    """Queue every hypothesis to a real worker process and follow it; the evaluations that
    did not succeed."""
    worker = WorkerProcess(os.environ, settings.data_dir / "worker.log", concurrency=concurrency)
    try:
        worker.start(ready_timeout=WORKER_READY_SECONDS)
    except WorkerStartError as exc:
        raise typer.Exit(_fail(str(exc))) from None
    console.print(f"worker process {worker.pid} is up (log: {worker.log_path})")
    try:
        with database.sessions() as session:
            hypothesis_ids = [h.id for h in list_hypotheses(session, limit=10_000)]
        app = get_app(settings)
        config = debate_config(settings)
        ids = [
            e.evaluation.id
            for e in submit_evaluations(
                database, settings, hypothesis_ids=hypothesis_ids, config=config, app=app
            )
        ]
        console.print(f"queued {len(ids)} evaluations on {escape(settings.resolved_broker_url)}")
        rows = follow(database, ids, timeout=timeout).rows
    finally:
        worker.stop()
    return [row.id for row in rows if row.state != "succeeded"]


def _tournament_and_publish(database: Database, settings: Settings) -> None:
    """The scheduled maintenance, run once: tournament rounds, a refit, grading, a publish."""
    for _ in range(DEMO_TOURNAMENT_ROUNDS):
        maintenance.tournament_round(database, settings)
    maintenance.refit_ratings(database, settings)
    graded = maintenance.recalibrate_resolved(database)
    with database.sessions() as session:
        fit = summary_text(fit_summary(session))
    # the leaderboard's own summary: matches, rated, and what they say of the judge
    console.print(f"tournament (one judge call a match): {fit}")
    console.print(
        f"calibration: personas graded on {graded} resolved hypotheses (only blind forecasts, "
        "debated as of before a resolution, grade a persona; the demo debates as of today)"
    )
    maintenance.publish_pages(database, settings)


def _import_bundled(database: Database) -> None:
    with as_file(files("hyposcore.data") / "pages" / "mtor.txt") as page, hypothesis_files() as hs:
        pages = import_pages(database, [Path(page)])
        tallies = [import_hypotheses(database, path).hypotheses for path in hs]
    console.print(
        f"gene pages: {len(pages.pages)} · hypotheses: {sum(t.created for t in tallies)} new, "
        f"{sum(t.updated for t in tallies)} updated, "
        f"{sum(t.unchanged for t in tallies)} unchanged"
    )


def _print_counts(database: Database) -> None:
    with database.sessions() as session:
        counts = count_rows(session)
    table = Table(title="the ledger")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in counts.items():
        table.add_row(name, str(count))
    console.print(table)


def _fail(message: str) -> int:
    console.print(f"[red]{escape(message)}[/]")
    return 1


def _print_published(database: Database, settings: Settings, *, since: datetime) -> None:
    """What was published since the demo started, counted from the ledger.

    The worker publishes after its scoring and this command publishes once more, so its own
    publish report alone would say "0 changed" for pages the worker already wrote.
    """
    with database.sessions() as session:
        revisions = revisions_published_since(session, since=since)
    store = FolderPageStore(settings.resolved_pages_dir)
    badges = sum(1 for name in revisions if store.read_badge(name) is not None)
    console.print(
        f"published since the demo started (worker and demo alike): {len(revisions)} "
        f"gene page(s) in {sum(revisions.values())} revision(s), {badges} badge(s)"
    )


def _print_leaderboard(database: Database) -> None:
    """Open hypotheses ranked by the number the badges and pages show (by their own rule),
    then the resolved ones apart: their ratings are hindsight, so they rank with nothing."""
    with database.sessions() as session:
        rated = {row.hypothesis_id: row for row in leaderboard(session, limit=10_000)}
        rows = []
        for hypothesis in list_hypotheses(session, limit=10_000):
            snapshot = latest_snapshot(session, hypothesis_id=hypothesis.id)
            if snapshot is not None:
                rows.append((hypothesis, _scored_row(hypothesis, snapshot, rated)))
    rows.sort(key=lambda row: -row[1].exchange)
    opened = [row for hypothesis, row in rows if hypothesis.status == HypothesisStatus.OPEN]
    resolved = [
        (str(hypothesis.status), row)
        for hypothesis, row in rows
        if hypothesis.status != HypothesisStatus.OPEN
    ]
    console.print(open_table(opened, width=console.width))
    console.print(escape(f"tournament: {TOURNAMENT_LEGEND}"), style="dim")
    if resolved:
        console.print(resolved_table(resolved, width=console.width))
        console.print(RESOLVED_NOTE, style="dim")
    if stands_in([row for _, row in rows]):
        console.print(STAND_IN_NOTE, style="dim")


def _scored_row(
    hypothesis: Hypothesis, snapshot: ScoreSnapshot, rated: dict[str, LeaderboardRow]
) -> ScoredRow:
    return ScoredRow(
        hypothesis_id=hypothesis.id,
        title=hypothesis.title,
        exchange=exchange_rating(snapshot).score,
        market_traded=snapshot.market_price is not None,
        composite=snapshot.composite,
        composite_low=snapshot.composite_low,
        composite_high=snapshot.composite_high,
        tournament=rated.get(hypothesis.id),
    )


def _backtest(settings: Settings) -> dict[str, Any] | None:
    """Debate every resolved hypothesis blind, as of the day before its resolution, and store
    the graded report as "demo" (replacing an earlier demo's): each open hypothesis's page
    then states how the numbers in its band fared. Not with a backend that calls a model,
    whose debates and judge calls would be billed again: None then, and a note says so."""
    if registry.capabilities(settings.backend).rate_limited:
        console.print(
            f"skipped: the {settings.backend} backend calls a model, and a backtest debates "
            "every resolved hypothesis again and judges every validated-refuted pair; run "
            f"`hyposcore backtest --save {DEMO_BACKTEST}` to grade it (`--judge-pairs 200` "
            "asks the judge about a random 200 pairs only)",
            markup=False,
            highlight=False,
        )
        return None
    report = graded_report(settings)
    store_report(DEMO_BACKTEST, report, replace=True)
    graded = {f["name"]: f for f in report["forecasters"]}
    parts = [
        f"{name} AUC {graded[name]['auc']:.2f}, Brier {graded[name]['brier']:.3f}"
        for name in (EXCHANGE_RATING_SERIES, COMPOSITE_SERIES)
        if name in graded and graded[name]["auc"] is not None
    ]
    if BASE_RATE in graded:
        parts.append(f"the base rate's Brier {graded[BASE_RATE]['brier']:.3f}")
    if judge := report.get("judge"):
        parts.append(
            f"the tournament judge preferred the validated one in "
            f"{judge['validated_preferred']} of {judge['pairs']} validated-refuted pairs"
        )
    console.print(
        f"{report['n']} resolved hypotheses debated blind, each as of the day before its "
        f"resolution, saved as backtest {DEMO_BACKTEST!r}: {'; '.join(parts)} (lower Brier is "
        "better; AUC 0.5 is chance)"
    )
    return report


def _print_where_to_look(settings: Settings) -> None:
    pages = settings.resolved_pages_dir.resolve()
    console.print(f"\nPublished gene pages and badges: [bold]{escape(str(pages))}[/]")
    base = f"http://{settings.api_host}:{settings.api_port}"
    console.print("Score history, transcripts and badges in a browser: serve them with")
    console.print("  [bold].venv/bin/hyposcore serve[/]\nthen open", highlight=False)
    for path in (
        "/",
        f"/web/genes/{DEMO_GENE}",
        f"/web/hypotheses/{DEMO_HYPOTHESIS}",
        f"/web/backtests/{DEMO_BACKTEST}",
    ):
        console.print(f"  {base}{path}", highlight=False, soft_wrap=True)
    console.print("One evaluation in detail: [bold]hyposcore status ID[/]")
