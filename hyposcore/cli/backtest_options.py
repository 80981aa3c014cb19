"""The options of ``hyposcore backtest``, declared apart so the command reads as what it does."""

from __future__ import annotations

from typing import Annotated

import typer

from workers.backtest import MAX_HORIZON_DAYS

HorizonDays = Annotated[
    int,
    typer.Option(
        "--horizon-days",
        min=1,
        max=MAX_HORIZON_DAYS,
        help="Debate each hypothesis as of this many days before its resolution date.",
    ),
]
Local = Annotated[
    bool,
    typer.Option(
        "--local/--pipeline",
        help="Debate in this process (the default), or queue as-of evaluations to the "
        "workers and wait for them (--pipeline; start workers with hyposcore worker).",
    ),
]
Fresh = Annotated[
    bool,
    typer.Option(
        "--fresh",
        help="With --pipeline: debate every hypothesis anew. By default a blind debate that "
        "succeeded before on the same case and settings is reused, so a rerun pays for none "
        "twice.",
    ),
]
Timeout = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=1.0,
        help="With --pipeline: seconds to wait for the workers, and then for the judge's "
        "provider batches (recorded in the ledger: the same backtest run again collects them).",
    ),
]
Seed = Annotated[
    int,
    typer.Option(
        "--seed",
        min=0,
        help="Seed of the bootstrap resampling, and of the judge's sample with --judge-pairs.",
    ),
]
Resamples = Annotated[
    int, typer.Option("--resamples", min=1, max=100_000, help="Bootstrap resamples.")
]
Bins = Annotated[
    int, typer.Option("--bins", min=1, max=20, help="Bins of the reliability diagram.")
]
Judge = Annotated[
    bool,
    typer.Option(
        "--judge/--no-judge",
        help="Also judge every validated-refuted pair blind with the tournament's judge (one "
        "call a pair, sent from this process; with --pipeline as provider batches where the "
        "backtest's work goes through them).",
    ),
]
JudgePairs = Annotated[
    int | None,
    typer.Option(
        "--judge-pairs",
        min=1,
        help="Judge only a random sample of this many pairs, drawn with --seed (default: "
        "every pair; a model judge bills each call).",
    ),
]
Save = Annotated[str | None, typer.Option("--save", help="Store the report under this name.")]
Replace = Annotated[bool, typer.Option("--replace", help="With --save: replace a stored one.")]
Compare = Annotated[
    tuple[str, str] | None,
    typer.Option("--compare", help="Compare two stored reports, A then B; nothing is run."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]
