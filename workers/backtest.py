"""The backtest's debates: every resolved hypothesis, debated as of a horizon before it resolved.

Each resolved hypothesis's case is cut back to what was known ``horizon_days`` before its
resolution date (``case_as_of``) and debated in this process, with every persona at the prior
believability: weights learned from outcomes would leak them into the debate. What each
persona said is kept; ``workers.backtest_report`` then weighs it leave-one-out and grades it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from debates.asof import case_as_of
from debates.backends.base import AgentBackend
from debates.backends.knowledge import Knowledge
from debates.case import Case
from debates.runner import run_debate
from debates.types import DebateConfig
from storage.db import Database
from storage.queries.backtests import ResolvedHypothesis, resolved_hypotheses
from workers.cases import load_cases
from workers.scoring_phase import TurnView, outcome_views

DEFAULT_HORIZON_DAYS = 1
MAX_HORIZON_DAYS = 36500


class BacktestError(ValueError):
    """A backtest that cannot run: nothing resolved, a bad horizon, one outcome only."""


@dataclass(frozen=True)
class Forecasted:
    """One resolved hypothesis's blind debate: what was kept, and what every persona said."""

    hypothesis_id: str
    title: str
    validated: bool
    resolved_on: date
    as_of: date
    evidence_total: int
    evidence_kept: int
    turns: tuple[TurnView, ...]
    quality: float
    # What its debate's backend may know beyond the case, as the worker recorded it at the
    # debate's start; None for a debate in this process, which the report's config describes.
    knowledge: Knowledge | None = None


Progress = Callable[[str], None]


def forecast(
    case: Case,
    resolved: ResolvedHypothesis,
    *,
    horizon_days: int,
    config: DebateConfig,
    backend: AgentBackend,
) -> Forecasted:
    """Debate ``case`` as of ``horizon_days`` before ``resolved.resolved_on``."""
    as_of = resolved.resolved_on - timedelta(days=horizon_days)
    blind = case_as_of(case, as_of)
    outcome = run_debate(blind, config=config, backend=backend)
    return Forecasted(
        hypothesis_id=case.hypothesis_id,
        title=case.title,
        validated=resolved.validated,
        resolved_on=resolved.resolved_on,
        as_of=as_of,
        evidence_total=len(case.evidence),
        evidence_kept=len(blind.evidence),
        turns=tuple(outcome_views(outcome)),
        quality=outcome.quality,
    )


def run_local(
    database: Database,
    *,
    horizon_days: int,
    config: DebateConfig,
    backend: AgentBackend,
    on_start: Callable[[int], None] | None = None,
    on_done: Progress | None = None,
) -> list[Forecasted]:
    """Debate every resolved hypothesis in this process, in id order.

    ``on_start`` hears how many there are, ``on_done`` each hypothesis id as it finishes.
    """
    resolved, cases = resolved_cases(database, horizon_days=horizon_days)
    if on_start is not None:
        on_start(len(resolved))
    results = []
    for item in resolved:
        results.append(
            forecast(
                cases[item.hypothesis_id],
                item,
                horizon_days=horizon_days,
                config=config,
                backend=backend,
            )
        )
        if on_done is not None:
            on_done(item.hypothesis_id)
    return results


def resolved_cases(
    database: Database, *, horizon_days: int
) -> tuple[list[ResolvedHypothesis], dict[str, Case]]:
    """Every resolved hypothesis (in id order) and its full case, once the horizon and the
    outcomes are checked; BacktestError says what is wrong."""
    if not 1 <= horizon_days <= MAX_HORIZON_DAYS:
        raise BacktestError(
            f"horizon_days must be between 1 and {MAX_HORIZON_DAYS}, got {horizon_days}"
        )
    with database.sessions() as session:
        resolved = resolved_hypotheses(session)
        cases = load_cases(session, hypothesis_ids=[r.hypothesis_id for r in resolved])
    check_outcomes(resolved)
    return resolved, cases


def check_outcomes(resolved: Sequence[ResolvedHypothesis]) -> None:
    """A backtest needs a validated and a refuted hypothesis (for the AUC and the folds)."""
    outcomes = {item.validated for item in resolved}
    if len(resolved) < 2 or len(outcomes) < 2:
        raise BacktestError(
            f"a backtest needs validated and refuted hypotheses with a resolution date; "
            f"found {len(resolved)} resolved ({sum(r.validated for r in resolved)} validated)"
        )
