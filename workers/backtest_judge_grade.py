"""The judge's grade in a backtest report: how often it preferred the validated hypothesis,
and on which pairs it cannot have known the answer.

Both cases of a pair are cut back to the earlier of their as-of dates (``workers.
backtest_judge``), so the cases are blind; a model judge may still remember either outcome
from training. A pair is unseen only when both of its outcomes were settled certainly after
what the judge knows (``debates.backends.knowledge``): always for a backend that reads only
the request, after the training cutoff for a model whose cutoff is configured. The judge runs
in the process that builds the report (``hyposcore.cli.backtest_judge``), with this process's
settings, so what they say is what it knew.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from debates.backends.knowledge import knowledge_of
from debates.types import DebateConfig
from scoring.forecasts import table_auc
from workers.backtest import Forecasted
from workers.backtest_judge import JudgedPair, pairs_to_judge, resolved_pairs
from workers.backtest_options import ReportOptions

Pair = tuple[str, str]  # (validated, refuted)


def judge_section(
    judged: Sequence[JudgedPair],
    items: Sequence[Forecasted],
    config: DebateConfig,
    options: ReportOptions,
) -> dict[str, Any]:
    """The judge's verdicts as a pair table (1: it preferred the validated hypothesis, 0: the
    refuted one, 1/2: an unreadable reply) and its AUC, the share of pairs it got right, over
    every validated-refuted pair or the sample ``options.judge_pairs`` asks for; then what
    the judge may know, and its share on the pairs it cannot have read the answer to when
    those are some but not all."""
    outcomes = {item.hypothesis_id: item.validated for item in items}
    credit = _credit_of_each_pair(judged, outcomes, options)
    share, low, high = _share(credit, outcomes, options)
    known = knowledge_of(config.backend, config.model)
    unseen_by = {item.hypothesis_id: known.blind_to(item.resolved_on) for item in items}
    decidable = None not in unseen_by.values()
    unseen = {pair: c for pair, c in credit.items() if unseen_by[pair[0]] and unseen_by[pair[1]]}
    unseen_share: tuple[float | None, ...] = (None, None, None)
    if decidable and 0 < len(unseen) < len(credit):
        late = {h: outcomes[h] for h, seen in unseen_by.items() if seen}
        unseen_share = _share(unseen, late, options)
    return {
        "backend": config.backend,
        "pairs": len(judged),
        "of_pairs": len(resolved_pairs(outcomes)),
        "validated_preferred": sum(1 for p in judged if p.preferred == p.validated),
        "unreadable": sum(1 for p in judged if p.preferred is None),
        "share": share,
        "share_low": low,
        "share_high": high,
        "as_of": "each pair as of the earlier of its two as-of dates",
        "model": known.model,
        "reads_only_the_request": known.reads_only_the_request,
        "cutoff": None if known.cutoff is None else str(known.cutoff.latest),
        "unseen_pairs": len(unseen) if decidable else None,
        "unseen_share": unseen_share[0],
        "unseen_share_low": unseen_share[1],
        "unseen_share_high": unseen_share[2],
    }


def _credit_of_each_pair(
    judged: Sequence[JudgedPair], outcomes: Mapping[str, bool], options: ReportOptions
) -> dict[Pair, float]:
    """Each judged pair's credit; ValueError unless the judge saw exactly the pairs asked."""
    credit = {(p.validated, p.refuted): _credit(p) for p in judged}
    expected = set(pairs_to_judge(outcomes, sample=options.judge_pairs, seed=options.seed))
    if set(credit) != expected or len(judged) != len(expected):
        which = "every validated-refuted pair" if options.judge_pairs is None else "its sample"
        raise ValueError(
            f"the judge must see {which} once: {len(expected)} pairs, "
            f"{len(set(credit) & expected)} judged, {len(set(credit) - expected)} not asked, "
            f"{len(judged)} verdicts"
        )
    return credit


def _share(
    credit: Mapping[Pair, float], outcomes: Mapping[str, bool], options: ReportOptions
) -> tuple[float | None, float | None, float | None]:
    """The AUC of the judged pairs among ``outcomes``' hypotheses, and its bootstrap interval
    over them; a sample of their validated-refuted pairs is graded as one."""
    ids = sorted(outcomes)
    index = {h: i for i, h in enumerate(ids)}
    table, observed = np.zeros((len(ids), len(ids))), np.zeros((len(ids), len(ids)))
    for (validated, refuted), value in credit.items():
        table[index[validated], index[refuted]] = value
        observed[index[validated], index[refuted]] = 1.0
    complete = len(credit) == len(resolved_pairs(outcomes))
    share, interval = table_auc(
        table,
        [outcomes[h] for h in ids],
        seed=options.seed,
        resamples=options.resamples,
        level=options.level,
        min_interval_n=options.min_interval_n,
        min_auc_interval_each=options.min_auc_interval_each,
        observed=None if complete else observed,
    )
    return share, *(interval if interval else (None, None))


def _credit(pair: JudgedPair) -> float:
    if pair.preferred is None:
        return 0.5
    return 1.0 if pair.preferred == pair.validated else 0.0
