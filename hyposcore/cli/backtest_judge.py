"""``hyposcore backtest``'s judge step: every validated-refuted pair (or a sample) judged blind
from this process (``workers.backtest_judge``), live or, where the backtest's work goes through
the provider's batch API, in batches recorded in the ledger; with a progress bar."""

from __future__ import annotations

from common.settings import Settings
from debates.backends import registry
from debates.backends.base import AgentBackend
from debates.types import DebateConfig
from hyposcore.cli.common import open_database, quiet_progress
from workers.backtest import resolved_cases
from workers.backtest_judge import (
    BatchWait,
    JudgedPair,
    LedgerBatches,
    SentBatches,
    ShownPair,
    judge_in_batches,
    judge_resolved_pairs,
    pairs_to_judge,
    shown_pairs,
)


def judge_in_process(
    settings: Settings,
    config: DebateConfig,
    *,
    horizon_days: int,
    sample: int | None,
    seed: int,
    quiet: bool,
    batches: BatchWait | None = None,
) -> list[JudgedPair]:
    """The tournament's judge (the configured backend) on every validated-refuted pair, or on
    the random ``sample`` of them that ``seed`` draws; through the provider's batch API with
    ``batches``."""
    database = open_database(settings)
    try:
        resolved, cases = resolved_cases(database, horizon_days=horizon_days)
        outcomes = {r.hypothesis_id: r.validated for r in resolved}
        pairs = pairs_to_judge(outcomes, sample=sample, seed=seed)
        judge = registry.create_from_settings(config.backend, model=config.model)
        if batches is not None:
            shown = shown_pairs(resolved, cases, horizon_days=horizon_days, pairs=pairs)
            return _in_batches(shown, judge, batches, LedgerBatches(database), quiet=quiet)
    finally:
        database.dispose()
    progress = quiet_progress("judging pairs blind", quiet=quiet)
    task = progress.add_task("", total=len(pairs))
    with progress:
        return judge_resolved_pairs(
            resolved,
            cases,
            horizon_days=horizon_days,
            backend=judge,
            pairs=pairs,
            on_done=lambda: progress.update(task, advance=1),
        )


def _in_batches(
    shown: list[ShownPair],
    judge: AgentBackend,
    wait: BatchWait,
    sent: SentBatches,
    *,
    quiet: bool,
) -> list[JudgedPair]:
    progress = quiet_progress("judging pairs blind in batches", quiet=quiet, described=True)
    task = progress.add_task("", total=len(shown))
    with progress:
        judged = judge_in_batches(
            shown,
            backend=judge,
            wait=wait,
            sent=sent,
            on_submitted=lambda batch_id: progress.update(task, description=batch_id),
        )
        progress.update(task, completed=len(judged))
    return judged
