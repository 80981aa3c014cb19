"""``hyposcore backtest``: how well the ratings forecast resolved hypotheses, without hindsight.

Every resolved hypothesis is debated as of ``--horizon-days`` before its resolution: in this
process (``--local``, the default), or queued to the workers as as-of evaluations
(``--pipeline``, see ``hyposcore.cli.backtest_pipeline``). Its personas are weighed
leave-one-out, and the exchange rating, the composite, each persona and two baselines are
graded (``workers.backtest_report``). ``--save NAME`` stores the report, and ``--compare A B``
sets two stored reports side by side.
"""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from api.backtest_knowledge import KnowledgeOut, knowledge_text
from api.backtests import JudgeOut, judge_text
from common.settings import Settings, get_settings
from common.text import terminal_safe
from debates.backends import registry
from debates.types import DebateConfig
from hyposcore.cli.backtest_compare import compare_reports, interval_cell, signed_cell
from hyposcore.cli.backtest_judge import judge_in_process
from hyposcore.cli.backtest_options import (
    AsJson,
    Bins,
    Compare,
    Fresh,
    HorizonDays,
    Judge,
    JudgePairs,
    Local,
    Replace,
    Resamples,
    Save,
    Seed,
    Timeout,
)
from hyposcore.cli.backtest_pipeline import run_on_workers
from hyposcore.cli.common import (
    console,
    err_console,
    friendly_errors,
    open_database,
    quiet_progress,
)
from hyposcore.cli.track_record import track_record_table
from scoring.forecasts import DEFAULT_BINS, DEFAULT_RESAMPLES, few_for_an_interval
from storage.queries.backtests import (
    ReportNameError,
    check_name_free,
    check_report_name,
    save_report,
)
from storage.queries.delivery import BATCH_DELIVERY as BATCH
from storage.queries.delivery import delivery_of
from workers.backtest import (
    DEFAULT_HORIZON_DAYS,
    BacktestError,
    Forecasted,
    run_local,
)
from workers.backtest_judge import BatchWait
from workers.backtest_options import ReportOptions
from workers.backtest_report import build_report
from workers.dispatch import debate_config


@friendly_errors
def backtest(
    horizon_days: HorizonDays = DEFAULT_HORIZON_DAYS,
    local: Local = True,
    fresh: Fresh = False,
    timeout: Timeout = 3600.0,
    seed: Seed = 0,
    resamples: Resamples = DEFAULT_RESAMPLES,
    bins: Bins = DEFAULT_BINS,
    judge: Judge = True,
    judge_pairs: JudgePairs = None,
    save: Save = None,
    replace: Replace = False,
    compare: Compare = None,
    as_json: AsJson = False,
) -> None:
    """Grade the exchange rating, the composite and every persona on the resolved hypotheses,
    each debated blind as of a horizon before its resolution, with believability learned
    leave-one-out; Brier, log loss and AUC with bootstrap 90% intervals, against always-0.5
    and the training folds' base rate.

    Then how often the tournament's judge, shown each validated-refuted pair blind, preferred
    the validated one (--no-judge skips it), and, per band of the blind exchange rating and
    composite, how many of the resolved hypotheses in it were validated: what each open
    hypothesis's page states for its band."""
    if compare is not None:
        compare_reports(*compare, as_json=as_json)
        return
    if save is not None:
        _check_name(save, "--save", replace=replace)
    try:
        report = graded_report(
            get_settings(),
            horizon_days=horizon_days,
            local=local,
            fresh=fresh,
            seed=seed,
            resamples=resamples,
            bins=bins,
            timeout=timeout,
            quiet=as_json,
            judge=judge,
            judge_pairs=judge_pairs,
        )
    except BacktestError as exc:
        err_console.print(Text.assemble(("error: ", "bold red"), terminal_safe(str(exc))))
        raise typer.Exit(2) from None
    if save is not None:
        store_report(save, report, replace=replace)
    if as_json:
        typer.echo(json.dumps(report, indent=2, sort_keys=True))
        return
    show_report(report)
    if save is not None:
        console.print(Text(f"saved as {save!r}"))


def graded_report(
    settings: Settings,
    *,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    local: bool = True,
    fresh: bool = False,
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
    bins: int = DEFAULT_BINS,
    timeout: float = 3600.0,
    quiet: bool = False,
    judge: bool = True,
    judge_pairs: int | None = None,
) -> dict[str, Any]:
    """Debate every resolved hypothesis blind, in this process (``local``) or on the workers,
    and grade the forecasts with the live market and interval; with ``judge``, the tournament's
    judge on every validated-refuted pair too (in this process), or on a random
    ``judge_pairs`` of them. On the workers, blind debates that succeeded before on the same
    case and settings are reused unless ``fresh``. Raises BacktestError."""
    options = ReportOptions(
        horizon_days=horizon_days,
        seed=seed,
        resamples=resamples,
        bins=bins,
        liquidity=settings.market_liquidity,
        interval_level=settings.interval_level,
        mode="local" if local else "pipeline",
        judge_pairs=judge_pairs if judge else None,
    )
    # The configured debate, the same for both modes: what the workers would queue.
    config = debate_config(settings, urgent=local)  # on the workers it can wait for batches
    if local:
        items = run_in_process(
            settings, DebateConfig.from_dict(config), horizon_days=horizon_days, quiet=quiet
        )
    else:
        items = run_on_workers(
            settings, config, horizon_days=horizon_days, timeout=timeout, fresh=fresh, quiet=quiet
        )
    debate = DebateConfig.from_dict(config)
    judged = (
        judge_in_process(
            settings,
            debate,
            horizon_days=horizon_days,
            sample=judge_pairs,
            seed=seed,
            quiet=quiet,
            # Batch work (the workers' debates, never --local) batches the judge's calls too.
            batches=batch_wait(settings, timeout) if delivery_of(config) == BATCH else None,
        )
        if judge
        else None
    )
    return build_report(items, debate, options, judged)


def batch_wait(settings: Settings, timeout: float) -> BatchWait:
    """The judge's batches wait as the workers' do, up to the backtest's own --timeout."""
    return BatchWait(
        poll_seconds=settings.provider_batch_poll_seconds,
        timeout_seconds=timeout,
        max_items=settings.provider_batch_max_items,
        retry_live=settings.provider_batch_retry_live,
    )


def run_in_process(
    settings: Settings, config: DebateConfig, *, horizon_days: int, quiet: bool
) -> list[Forecasted]:
    """Debate every resolved hypothesis as of its horizon in this process, with progress."""
    agent = registry.create_from_settings(config.backend, model=config.model)
    database = open_database(settings)
    progress = quiet_progress("debating as of", quiet=quiet, described=True)
    task = progress.add_task("", total=None)
    try:
        with progress:
            items = run_local(
                database,
                horizon_days=horizon_days,
                config=config,
                backend=agent,
                on_start=lambda total: progress.update(task, total=total),
                on_done=lambda h: progress.update(task, advance=1, description=h),
            )
    finally:
        database.dispose()
    return items


def _check_name(name: str, option: str, *, replace: bool) -> None:
    """Refuse a bad or taken name before the run rather than after it."""
    try:
        check_report_name(name, field=option)
        if not replace:
            database = open_database()
            try:
                with database.sessions() as session:
                    check_name_free(session, name=name, field=option)
            finally:
                database.dispose()
    except ReportNameError as exc:
        err_console.print(Text.assemble(("error: ", "bold red"), terminal_safe(str(exc))))
        raise typer.Exit(2) from None


def store_report(name: str, report: dict[str, Any], *, replace: bool) -> None:
    database = open_database()
    try:
        with database.transaction() as session:
            save_report(
                session,
                name=name,
                report=report,
                horizon_days=report["settings"]["horizon_days"],
                replace=replace,
            )
    except ReportNameError as exc:
        err_console.print(Text.assemble(("error: ", "bold red"), terminal_safe(str(exc))))
        raise typer.Exit(2) from None
    finally:
        database.dispose()


def report_table(report: dict[str, Any]) -> Table:
    level = report["settings"]["level"]
    floors = _floors(report["settings"])
    table = Table(
        title=f"Backtest: n = {report['n']} ({report['validated']} validated, "
        f"{report['refuted']} refuted), as of {report['settings']['horizon_days']} day(s) "
        "before each resolution",
        caption=f"\\[low, high]: bootstrap {level:.0%} interval over hypotheses. Lower Brier "
        "and log loss are better; AUC 0.5 is chance. The AUC of a forecaster fitted on "
        "outcomes (base rate, recalibrated) holds out each validated-refuted pair together."
        + floors,
    )
    table.add_column("forecaster")
    table.add_column("n", justify="right")
    table.add_column(f"Brier [{level:.0%}]", justify="right", no_wrap=True)
    table.add_column("log loss", justify="right")
    table.add_column(f"AUC [{level:.0%}]", justify="right", no_wrap=True)
    first_persona = _first_persona(report)
    for index, row in enumerate(report["forecasters"]):
        if index == first_persona:
            table.add_section()
        table.add_row(
            Text(terminal_safe(row["name"])),
            str(row["n"]),
            interval_cell(row["brier"], row["brier_low"], row["brier_high"]),
            interval_cell(row["log_loss"]),
            interval_cell(row["auc"], row["auc_low"], row["auc_high"]),
        )
    return table


def _floors(settings: dict[str, Any]) -> str:
    """The caption's sentence on who got no interval; none for a report stored before it."""
    said = few_for_an_interval(
        settings.get("min_interval_n"), settings.get("min_auc_interval_each")
    )
    return "" if said is None else f" {said}."


def _first_persona(report: dict[str, Any]) -> int:
    kinds = [row["kind"] for row in report["forecasters"]]
    return kinds.index("persona") if "persona" in kinds else -1


def comparisons_table(report: dict[str, Any]) -> Table:
    level = report["settings"]["level"]
    table = Table(
        title="Brier against the baselines",
        caption=f"Paired bootstrap {level:.0%} interval of the difference; below 0: better "
        "than the baseline.",
    )
    table.add_column("forecaster")
    table.add_column("baseline")
    table.add_column("n", justify="right")
    table.add_column(f"Brier difference [{level:.0%}]", justify="right", no_wrap=True)
    for row in report["comparisons"]:
        table.add_row(
            row["forecaster"],
            row["baseline"],
            str(row["n"]),
            f"{signed_cell(row['brier_difference'])} [{signed_cell(row['brier_difference_low'])}, "
            f"{signed_cell(row['brier_difference_high'])}]",
        )
    return table


def show_report(report: dict[str, Any]) -> None:
    console.print(report_table(report))
    console.print(comparisons_table(report))
    if report.get("judge"):
        judge = JudgeOut.model_validate(report["judge"])
        said = judge_text(judge, level=report["settings"]["level"])
        console.print(said, markup=False, highlight=False)
    console.print(track_record_table(report["settings"], report["forecasters"]))
    console.print(Text(f"as-of rule: {report['settings']['as_of_rule']}", style="dim"))
    if report.get("knowledge"):
        known = KnowledgeOut.model_validate(report["knowledge"])
        console.print(knowledge_text(known, n=report["n"]), markup=False, highlight=False)
