"""The debate options of `hyposcore debate` and `hyposcore queue`, declared once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from hyposcore.cli.common import policy_checked

Backend = Annotated[
    str | None,
    typer.Option(
        "--backend",
        help="Agent backend, e.g. evidence, openai or anthropic (default: the configured one).",
        callback=policy_checked,
    ),
]
Panel = Annotated[
    str | None,
    typer.Option(
        "--panel",
        help="Comma-separated persona keys, e.g. theorist,skeptic,synthesizer.",
        callback=policy_checked,
    ),
]
MaxRounds = Annotated[int | None, typer.Option("--max-rounds", help="At most N rounds (2-8).")]
AsOf = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        metavar="YYYY-MM-DD",
        help="Debate blind, as of this date: only evidence published before it and the facts "
        "dated by then (drug statuses and brain reach, replications, gene-disease links); "
        "every persona at believability 1.0, on a fresh market; a forecast kept off the score "
        "history. Default: now.",
        show_default=False,
    ),
]
MinRounds = Annotated[int | None, typer.Option("--min-rounds", help="At least N rounds (2-8).")]
Model = Annotated[
    str | None,
    typer.Option("--model", help="Model name for LLM backends.", callback=policy_checked),
]


def panel_keys(text: str | None) -> tuple[str, ...] | None:
    """The persona keys of a --panel value; blanks are kept for debates.config to refuse."""
    return None if text is None else tuple(key.strip() for key in text.split(","))
