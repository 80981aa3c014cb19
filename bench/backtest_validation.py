"""The figures of docs/validation.md: the blind backtest of the bundled set, and its ablation.

The bundled MTOR page and hypotheses are imported into a throwaway SQLite database exactly as
``hyposcore demo`` imports them; every resolved hypothesis is debated in-process as of the day
before its resolution (``workers.backtest``, the code ``hyposcore backtest`` runs) and graded
(``workers.backtest_report``). Then each part of the offline rubric is graded on its own, read
through the neutral lens on the same blind cases: which parts carry signal about the outcome.
Nothing here is fitted to the outcomes: every rubric constant is the one the debates use.

    .venv/bin/python -m bench.backtest_validation [--svg docs/validation-reliability.svg]

Prints markdown tables; with ``--svg`` writes the reliability diagram of the blind exchange
rating and the composite.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from importlib.resources import as_file, files
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from api.reliability_chart import reliability_chart
from api.routers.backtests import CHARTED
from api.track_record import band_table
from debates.asof import case_as_of
from debates.backends import registry
from debates.backends.evidence import rubric
from debates.case import Case
from debates.config import validate_config
from debates.types import DebateConfig
from hyposcore.data import hypothesis_files
from scoring.dimensions import DEFAULT_WEIGHTS, Dimension
from scoring.forecasts import Graded, grade
from storage.db import Database
from storage.importing import import_hypotheses
from storage.queries.backtests import resolved_hypotheses
from wiki.importer import import_pages
from workers.backtest import resolved_cases, run_local
from workers.backtest_judge import judge_resolved_pairs
from workers.backtest_options import ReportOptions
from workers.backtest_report import build_report
from workers.cases import load_cases

SEED = 0
RESAMPLES = 2000
HORIZON_DAYS = 1


def _interval(value: float | None, low: float | None, high: float | None) -> str:
    if value is None:
        return "—"
    if low is None or high is None:
        return f"{value:.3f}"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def main_table(report: dict[str, Any]) -> str:
    lines = [
        "| forecaster | n | Brier [90%] | log loss | AUC [90%] |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for f in report["forecasters"]:
        lines.append(
            f"| {f['name']} | {f['n']} | {_interval(f['brier'], f['brier_low'], f['brier_high'])}"
            f" | {f['log_loss']:.3f} | {_interval(f['auc'], f['auc_low'], f['auc_high'])} |"
        )
    return "\n".join(lines)


def comparisons_table(report: dict[str, Any]) -> str:
    lines = [
        "| forecaster | baseline | n | Brier difference [90%, paired] |",
        "| --- | --- | ---: | ---: |",
    ]
    for c in report["comparisons"]:
        lines.append(
            f"| {c['forecaster']} | {c['baseline']} | {c['n']} | {c['brier_difference']:+.3f} "
            f"[{c['brier_difference_low']:+.3f}, {c['brier_difference_high']:+.3f}] |"
        )
    return "\n".join(lines)


def judge_table(report: dict[str, Any]) -> str:
    """The tournament judge's blind pairs, graded as the report grades them."""
    judge = report["judge"]
    share = _interval(judge["share"], judge["share_low"], judge["share_high"])
    return "\n".join(
        [
            "| judge | validated-refuted pairs | validated preferred | unreadable "
            "| share right [90%] |",
            "| --- | ---: | ---: | ---: | ---: |",
            f"| tournament judge ({judge['backend']}), blind | {judge['pairs']} "
            f"| {judge['validated_preferred']} | {judge['unreadable']} | {share} |",
        ]
    )


def bands_table(report: dict[str, Any]) -> str:
    """Each reliability bin told in counts, as the views state a live number's track record."""
    bands = band_table(report["settings"], report["forecasters"])
    lines = [
        "| band | " + " | ".join(f"blind {name}" for name in bands.numbers) + " |",
        "| --- |" + " ---: |" * len(bands.numbers),
    ]
    lines += [f"| {band} | " + " | ".join(cells) + " |" for band, cells in bands.rows]
    return "\n".join(lines)


def _parts() -> dict[str, Callable[[Case], float]]:
    """Each rubric part as a number per blind case, through the neutral lens."""

    def supporting_share(case: Case) -> float:
        directions = [item.direction for item in case.evidence]
        return directions.count("supports") / len(directions) if directions else 0.5

    parts: dict[str, Callable[[Case], float]] = {
        "rubric probability (neutral lens)": lambda c: rubric.belief(c, rubric.NEUTRAL).probability,
        "share of supporting items (raw count)": supporting_share,
        "rubric composite (neutral profile)": rubric.composite,
    }
    for dimension in Dimension:
        parts[f"dimension {dimension.value}"] = lambda c, d=dimension: rubric.profile(c)[d]
    for dimension in Dimension:
        parts[f"composite without {dimension.value}"] = lambda c, d=dimension: _without(c, d)
    return parts


def _without(case: Case, dropped: Dimension) -> float:
    """The neutral composite with one dimension's weight removed and the rest renormalised."""
    profile = rubric.profile(case)
    kept = [d for d in Dimension if d is not dropped]
    total = sum(DEFAULT_WEIGHTS[d] for d in kept)
    return sum(DEFAULT_WEIGHTS[d] * profile[d] for d in kept) / total


def ablation_table(cases: Sequence[Case], outcomes: Sequence[bool]) -> str:
    lines = [
        "| rubric part | Brier [90%] | AUC [90%] |",
        "| --- | ---: | ---: |",
    ]
    for name, part in _parts().items():
        values = [min(1.0, max(0.0, part(case))) for case in cases]
        g: Graded = grade(values, list(outcomes), seed=SEED, resamples=RESAMPLES)
        brier = _interval(g.brier, *(g.brier_interval or (None, None)))
        auc = _interval(g.auc, *(g.auc_interval or (None, None)))
        lines.append(f"| {name} | {brier} | {auc} |")
    return "\n".join(lines)


def run(database: Database) -> tuple[dict[str, Any], list[Case], list[bool]]:
    config = validate_config(DebateConfig())
    backend = registry.create_from_settings("evidence")
    items = run_local(database, horizon_days=HORIZON_DAYS, config=config, backend=backend)
    resolved_set, full_cases = resolved_cases(database, horizon_days=HORIZON_DAYS)
    judged = judge_resolved_pairs(
        resolved_set, full_cases, horizon_days=HORIZON_DAYS, backend=backend
    )
    options = ReportOptions(
        horizon_days=HORIZON_DAYS,
        seed=SEED,
        resamples=RESAMPLES,
        bins=5,
        liquidity=100.0,
        interval_level=0.8,
    )
    report = build_report(items, config, options, judged)
    with database.sessions() as session:
        resolved = resolved_hypotheses(session)
        full = load_cases(session, hypothesis_ids=[r.hypothesis_id for r in resolved])
    as_of = {item.hypothesis_id: item.as_of for item in items}
    cases = [case_as_of(full[r.hypothesis_id], as_of[r.hypothesis_id]) for r in resolved]
    return report, cases, [r.validated for r in resolved]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, help="write the reliability diagram here")
    args = parser.parse_args(argv)
    data = files("hyposcore.data")
    with TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{Path(folder) / 'validation.db'}")
        database.upgrade()
        with as_file(data / "pages" / "mtor.txt") as page, hypothesis_files() as paths:
            import_pages(database, [Path(page)])
            for path in paths:
                import_hypotheses(database, path)
        report, cases, outcomes = run(database)
        database.dispose()
    print(f"n = {report['n']} ({report['validated']} validated, {report['refuted']} refuted)\n")
    print(main_table(report), end="\n\n")
    print(comparisons_table(report), end="\n\n")
    print(bands_table(report), end="\n\n")
    print(judge_table(report), end="\n\n")
    print(ablation_table(cases, outcomes))
    if args.svg is not None:
        charted = [f for f in report["forecasters"] if f["name"] in CHARTED]
        series = [
            (f["name"], [(b["mean_forecast"], b["observed"], b["count"]) for b in f["reliability"]])
            for f in charted
        ]
        title = "Reliability of the blind backtest of the bundled set"
        args.svg.write_text(reliability_chart(series, title=title) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
