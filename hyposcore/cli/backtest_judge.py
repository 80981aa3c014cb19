"""``hyposcore backtest``'s judge step: every validated-refuted pair judged blind in this
process (``workers.backtest_judge``), with a progress bar."""

from __future__ import annotations

from common.settings import Settings
from debates.backends import registry
from debates.types import DebateConfig
from hyposcore.cli.common import open_database, quiet_progress
from workers.backtest import resolved_cases
from workers.backtest_judge import JudgedPair, judge_resolved_pairs, pairs_to_judge


def judge_in_process(
    settings: Settings,
    config: DebateConfig,
    *,
    horizon_days: int,
    sample: int | None,
    seed: int,
    quiet: bool,
) -> list[JudgedPair]:
    """The tournament's judge (the configured backend) on every validated-refuted pair, or on
    the random ``sample`` of them that ``seed`` draws."""
    database = open_database(settings)
    try:
        resolved, cases = resolved_cases(database, horizon_days=horizon_days)
    finally:
        database.dispose()
    outcomes = {r.hypothesis_id: r.validated for r in resolved}
    pairs = pairs_to_judge(outcomes, sample=sample, seed=seed)
    judge = registry.create_from_settings(config.backend, model=config.model)
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
