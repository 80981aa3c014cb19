"""The backtest report: blind debates weighed leave-one-out, graded, as one JSON document.

For each held-out hypothesis the personas' believabilities are learned from the other
hypotheses' blind debates only (``scoring.leave_one_out.loo_believability``), and its composite
and exchange rating are recomputed with them by the scoring phase's own rule (``plan_score``),
trading a fresh market: the stored market holds trades made with hindsight. The base-rate
baseline is likewise each hypothesis's training folds' share validated.

The document is what ``--json`` prints, what ``--save`` stores and what the API serves.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from debates.asof import RULE
from debates.transcript import latest_by_persona
from debates.types import DebateConfig
from scoring.blend import BlendError
from scoring.forecasts import (
    Array,
    Graded,
    grade,
    paired_difference,
    reliability,
)
from scoring.leave_one_out import loo_base_rate, loo_believability
from scoring.leave_pair_out import PairForecast, base_rate_pairs, pair_table
from scoring.lmsr import MarketState
from scoring.recalibration import loo_recalibrated, pair_recalibrated
from scoring.track_record import COMPOSITE_SERIES, EXCHANGE_RATING_SERIES
from scoring.weights import Weights
from storage.models import utcnow
from workers.backtest import Forecasted
from workers.backtest_judge import JudgedPair
from workers.backtest_judge_grade import judge_section
from workers.backtest_knowledge import knowledge_section
from workers.backtest_options import ReportOptions
from workers.scoring_phase import plan_score

REPORT_VERSION = 1
# The series names that api.track_record looks a live number's band up by.
EXCHANGE_RATING = EXCHANGE_RATING_SERIES
COMPOSITE = COMPOSITE_SERIES
ALWAYS_HALF = "always 0.5"
BASE_RATE = "base rate (training folds)"
# Platt scaling fitted on the training folds (scoring.recalibration): the level corrected.
RECALIBRATED = "{}, recalibrated (training folds)"
# The interim as-of rule, stated in every report until dated evidence lands.
AS_OF_RULE = RULE


@dataclass(frozen=True)
class Blind:
    """A held-out hypothesis's scores under weights learned from the other hypotheses."""

    exchange_rating: float
    composite: float | None  # None when no dimension could be blended


def blind_scores(
    item: Forecasted, believability: Mapping[str, float], options: ReportOptions
) -> Blind:
    market = MarketState(options.liquidity)
    try:
        plan = plan_score(
            item.turns,
            believability,
            Weights.default(),
            level=options.interval_level,
            market=market,
            quality=item.quality,
        )
    except BlendError:
        return Blind(exchange_rating=market.price, composite=None)
    price = plan.trades[-1].price_after if plan.trades else market.price
    return Blind(exchange_rating=price, composite=plan.blend.composite)


def build_report(
    items: Sequence[Forecasted],
    config: DebateConfig,
    options: ReportOptions,
    judged: Sequence[JudgedPair] | None = None,
) -> dict[str, Any]:
    """Weigh, score and grade ``items``, and the judge's verdicts on their pairs when
    ``judged``; every number of the report comes from here."""
    outcomes = {item.hypothesis_id: item.validated for item in items}
    # Every turn counts, as the ledger's calibration grades a persona.
    stated = {item.hypothesis_id: _stated_by_persona(item) for item in items}
    folds = loo_believability(stated, outcomes)
    blind = {h: blind_scores(item, folds[h], options) for h, item in _by_id(items).items()}
    base_rates = dict(zip(outcomes, loo_base_rate(list(outcomes.values())), strict=True))
    finals = {
        item.hypothesis_id: {p: t.probability for p, t in latest_by_persona(item.turns).items()}
        for item in items
    }
    series = _series(blind, base_rates, finals, outcomes)
    pair_forecasts = _fitted_on_outcomes(series, outcomes)
    return {
        "version": REPORT_VERSION,
        "created_at": utcnow().isoformat(),
        "settings": _settings(config, options),
        "n": len(items),
        "validated": sum(outcomes.values()),
        "refuted": len(items) - sum(outcomes.values()),
        "forecasters": [
            _forecaster(name, kind, forecasts, outcomes, options, pair_forecasts.get(name))
            for name, (kind, forecasts) in series.items()
            if forecasts
        ],
        "comparisons": [
            _comparison(name, baseline, series, outcomes, options)
            for name in (
                EXCHANGE_RATING,
                COMPOSITE,
                RECALIBRATED.format(EXCHANGE_RATING),
                RECALIBRATED.format(COMPOSITE),
            )
            for baseline in (ALWAYS_HALF, BASE_RATE)
            if series[name][1]
        ],
        "hypotheses": [
            _hypothesis(item, blind[item.hypothesis_id], base_rates, finals, folds)
            for item in items
        ],
        "judge": None if judged is None else judge_section(judged, items, config, options),
        "knowledge": knowledge_section(
            items,
            config,
            lambda blind: [
                _forecaster(name, "rating", _only(series[name][1], blind), outcomes, options)
                for name in (EXCHANGE_RATING, COMPOSITE)
            ],
        ),
    }


def _series(
    blind: Mapping[str, Blind],
    base_rates: dict[str, float],
    finals: Mapping[str, Mapping[str, float]],
    outcomes: Mapping[str, bool],
) -> dict[str, tuple[str, dict[str, float]]]:
    """Every graded forecaster by name: its kind and its forecast of each hypothesis."""
    series: dict[str, tuple[str, dict[str, float]]] = {
        EXCHANGE_RATING: ("rating", {h: b.exchange_rating for h, b in blind.items()}),
        COMPOSITE: (
            "rating",
            {h: b.composite for h, b in blind.items() if b.composite is not None},
        ),
        ALWAYS_HALF: ("baseline", dict.fromkeys(outcomes, 0.5)),
        BASE_RATE: ("baseline", base_rates),
    }
    for name in (EXCHANGE_RATING, COMPOSITE):
        series[RECALIBRATED.format(name)] = ("rating", _recalibrated(series[name][1], outcomes))
    for persona in sorted({p for said in finals.values() for p in said}):
        series[persona] = ("persona", {h: s[persona] for h, s in finals.items() if persona in s})
    return series


def _recalibrated(forecasts: Mapping[str, float], outcomes: Mapping[str, bool]) -> dict[str, float]:
    """Each forecast through a map fitted on the other hypotheses; none with under three."""
    ids = list(forecasts)
    if len(ids) < 3:
        return {}
    mapped = loo_recalibrated([forecasts[h] for h in ids], [outcomes[h] for h in ids])
    return dict(zip(ids, mapped, strict=True))


def _fitted_on_outcomes(
    series: Mapping[str, tuple[str, Mapping[str, float]]], outcomes: Mapping[str, bool]
) -> dict[str, Callable[[list[str]], PairForecast]]:
    """The forecasters fitted on outcomes, whose AUC is leave-pair-out (scoring.leave_pair_out):
    for each, its pair forecast over a list of hypothesis ids."""
    fitted: dict[str, Callable[[list[str]], PairForecast]] = {
        BASE_RATE: lambda ids: base_rate_pairs([outcomes[h] for h in ids])
    }
    for name in (EXCHANGE_RATING, COMPOSITE):
        raw = series[name][1]
        fitted[RECALIBRATED.format(name)] = functools.partial(_recalibrated_pairs, raw, outcomes)
    return fitted


def _recalibrated_pairs(
    raw: Mapping[str, float], outcomes: Mapping[str, bool], ids: list[str]
) -> PairForecast:
    return pair_recalibrated([raw[h] for h in ids], [outcomes[h] for h in ids])


def _only(forecasts: Mapping[str, float], ids: Sequence[str]) -> dict[str, float]:
    return {h: forecasts[h] for h in ids if h in forecasts}


def _by_id(items: Sequence[Forecasted]) -> dict[str, Forecasted]:
    return {item.hypothesis_id: item for item in items}


def _stated_by_persona(item: Forecasted) -> dict[str, list[float]]:
    stated: dict[str, list[float]] = {}
    for turn in item.turns:
        stated.setdefault(turn.persona, []).append(turn.probability)
    return stated


def _settings(config: DebateConfig, options: ReportOptions) -> dict[str, Any]:
    return {
        "horizon_days": options.horizon_days,
        "mode": options.mode,
        "as_of_rule": AS_OF_RULE,
        "believability": "leave-one-out over the other resolved hypotheses' blind debates",
        "debate": config.as_dict(),
        "weights_hash": Weights.default().hash,
        "market_liquidity": options.liquidity,
        "seed": options.seed,
        "resamples": options.resamples,
        "level": options.level,
        "bins": options.bins,
        "min_interval_n": options.min_interval_n,
        "min_auc_interval_each": options.min_auc_interval_each,
        "judge_pairs": options.judge_pairs,
    }


def _forecaster(
    name: str,
    kind: str,
    forecasts: Mapping[str, float],
    outcomes: Mapping[str, bool],
    options: ReportOptions,
    pair_forecast: Callable[[list[str]], PairForecast] | None = None,
) -> dict[str, Any]:
    ids = list(forecasts)
    p = [forecasts[h] for h in ids]
    y = [outcomes[h] for h in ids]
    table = pair_table(y, pair_forecast(ids)) if pair_forecast and len(ids) >= 3 else None
    graded = grade(
        p,
        y,
        seed=options.seed,
        resamples=options.resamples,
        level=options.level,
        pair_table=table,
        min_interval_n=options.min_interval_n,
        min_auc_interval_each=options.min_auc_interval_each,
    )
    return {
        "name": name,
        "kind": kind,
        **_grades(graded),
        "auc_folds": _auc_folds(name, table),
        "reliability": [
            {
                "low": b.low,
                "high": b.high,
                "count": b.count,
                "mean_forecast": b.mean_forecast,
                "observed": b.observed,
            }
            for b in reliability(p, y, bins=options.bins)
        ],
    }


def _auc_folds(name: str, table: Array | None) -> str:
    """How the AUC kept outcomes from the forecasts it ranks (docs/validation.md)."""
    if table is not None:
        return "leave-pair-out"
    # Believability learned leave-one-out: leave-pair-out moved this set's AUC by under 0.001.
    return "leave-one-out" if name in (EXCHANGE_RATING, COMPOSITE) else "none"


def _comparison(
    name: str,
    baseline: str,
    series: Mapping[str, tuple[str, Mapping[str, float]]],
    outcomes: Mapping[str, bool],
    options: ReportOptions,
) -> dict[str, Any]:
    """``name``'s Brier minus ``baseline``'s on the hypotheses both forecast, paired."""
    forecasts, reference = series[name][1], series[baseline][1]
    ids = [h for h in forecasts if h in reference]
    difference, (low, high) = paired_difference(
        [forecasts[h] for h in ids],
        [reference[h] for h in ids],
        [outcomes[h] for h in ids],
        seed=options.seed,
        resamples=options.resamples,
        level=options.level,
    )
    return {
        "forecaster": name,
        "baseline": baseline,
        "n": len(ids),
        "brier_difference": difference,
        "brier_difference_low": low,
        "brier_difference_high": high,
    }


def _grades(graded: Graded) -> dict[str, Any]:
    def bounds(name: str, interval: tuple[float, float] | None) -> dict[str, float | None]:
        low, high = interval if interval is not None else (None, None)
        return {f"{name}_low": low, f"{name}_high": high}

    return {
        "n": graded.n,
        "brier": graded.brier,
        **bounds("brier", graded.brier_interval),
        "log_loss": graded.log_loss,
        **bounds("log_loss", graded.log_loss_interval),
        "auc": graded.auc,
        **bounds("auc", graded.auc_interval),
    }


def _hypothesis(
    item: Forecasted,
    blind: Blind,
    base_rates: Mapping[str, float],
    finals: Mapping[str, Mapping[str, float]],
    folds: Mapping[str, Mapping[str, float]],
) -> dict[str, Any]:
    return {
        "hypothesis_id": item.hypothesis_id,
        "title": item.title,
        "validated": item.validated,
        "resolved_on": item.resolved_on.isoformat(),
        "as_of": item.as_of.isoformat(),
        "evidence_kept": item.evidence_kept,
        "evidence_total": item.evidence_total,
        "quality": item.quality,
        "exchange_rating": blind.exchange_rating,
        "composite": blind.composite,
        "base_rate": base_rates[item.hypothesis_id],
        "personas": dict(sorted(finals[item.hypothesis_id].items())),
        "believability": dict(sorted(folds[item.hypothesis_id].items())),
    }
