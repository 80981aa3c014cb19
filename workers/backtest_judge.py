"""The tournament's judge, backtested: shown a validated and a refuted hypothesis, blind, how
often does it prefer the validated one?

Tournament strengths come from this judge's verdicts, so whether they track outcomes is
whether its preferences do. Every validated-refuted pair of the resolved set is judged once,
by the backend the tournament uses, with both cases cut back to the *earlier* of the two as-of
dates (``debates.asof.case_as_of``): each hypothesis's own as-of date would let the later case
cite the trial that settled the earlier one. Who is shown first is the tournament's own
seeded coin (``scoring.pairing.shown_first``), so a judge's lean towards either position adds
noise, not bias. ``workers.backtest_report`` grades the verdicts as a pair-table AUC.

A judge that bills by the call can be asked about a seeded random sample of the pairs instead
(``pairs_to_judge``); the grade is then the share right among those, with the same bootstrap.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from debates.asof import case_as_of
from debates.backends.base import AgentBackend
from debates.case import Case
from debates.judge import judge_once
from scoring.pairing import shown_first
from storage.queries.backtests import ResolvedHypothesis

# The coin's seed: one fixed string, so a rerun shows every pair in the same order.
ORDER_SEED = "backtest-judge"


@dataclass(frozen=True)
class JudgedPair:
    validated: str
    refuted: str
    as_of: date
    shown_first: str
    preferred: str | None  # the hypothesis the judge chose; None when its reply was unreadable


def judge_resolved_pairs(
    resolved: Sequence[ResolvedHypothesis],
    cases: Mapping[str, Case],
    *,
    horizon_days: int,
    backend: AgentBackend,
    pairs: Sequence[tuple[str, str]] | None = None,
    on_done: Callable[[], None] | None = None,
) -> list[JudgedPair]:
    """Each of ``pairs`` (default: every (validated, refuted) pair, in id order) judged once,
    blind as of the earlier as-of date; ``on_done`` hears each verdict."""
    as_of = {r.hypothesis_id: r.resolved_on - timedelta(days=horizon_days) for r in resolved}
    blind: dict[tuple[str, date], Case] = {}

    def cut(hypothesis_id: str, on: date) -> Case:
        if (hypothesis_id, on) not in blind:
            blind[hypothesis_id, on] = case_as_of(cases[hypothesis_id], on)
        return blind[hypothesis_id, on]

    judged = []
    if pairs is None:
        pairs = resolved_pairs({r.hypothesis_id: r.validated for r in resolved})
    for validated, refuted in pairs:
        on = min(as_of[validated], as_of[refuted])
        first, second = shown_first(validated, refuted, seed=ORDER_SEED)
        verdict = judge_once(backend, cut(first, on), cut(second, on)).verdict
        preferred = {"first": first, "second": second}.get(verdict or "")
        judged.append(JudgedPair(validated, refuted, on, first, preferred))
        if on_done is not None:
            on_done()
    return judged


def resolved_pairs(outcomes: Mapping[str, bool]) -> list[tuple[str, str]]:
    """Every (validated, refuted) pair of ids, in id order."""
    ids = sorted(outcomes)
    return [(v, r) for v in ids if outcomes[v] for r in ids if not outcomes[r]]


def pairs_to_judge(
    outcomes: Mapping[str, bool], *, sample: int | None, seed: int
) -> list[tuple[str, str]]:
    """The pairs the judge is asked about: every validated-refuted pair, or with ``sample``, a
    random ``sample`` of them drawn with ``seed`` (the report's), in id order. The same
    arguments always give the same pairs, so a report can check it got the ones it asked."""
    pairs = resolved_pairs(outcomes)
    if sample is None or sample >= len(pairs):
        return pairs
    if sample < 1:
        raise ValueError(f"a sample of the judge's pairs must hold at least 1, got {sample}")
    chosen = random.Random(f"{ORDER_SEED}:{seed}").sample(range(len(pairs)), sample)
    return [pairs[i] for i in sorted(chosen)]
