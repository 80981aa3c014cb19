"""``hyposcore history``: a hypothesis's score history, version by version, as the API gives it.

The rows come from ``api.history.score_history``, the builder behind
``GET /hypotheses/{id}/history`` and its CSV, so the terminal, the JSON and the CSV show the
same numbers for every version.
"""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from api.history import history_csv_text, score_history
from api.schemas import SnapshotOut
from api.track_record import TrackRecordOut, track_records
from common.numbers import signed
from common.text import terminal_safe
from hyposcore.cli.common import compact_table, console, friendly_errors, open_database
from hyposcore.cli.track_record import print_track_records
from scoring.legends import legend_text, resolution_note
from storage.models import Hypothesis, HypothesisStatus
from storage.queries.knowledge import get_hypothesis

# Eight heights, lowest first: a rating of 0 draws the first, 1 the last.
SPARK_LEVELS = "▁▂▃▄▅▆▇█"
RULE_DIGITS = 8


@friendly_errors
def history(
    hypothesis_id: Annotated[
        str, typer.Argument(metavar="HYPOTHESIS_ID", help="The hypothesis, e.g. h-51e7234f.")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the versions as JSON (the API's items).")
    ] = False,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="Print CSV, the columns of the API's history.csv.")
    ] = False,
) -> None:
    """Show a hypothesis's score history, oldest version first: each version's exchange
    rating (the market price; * marks the composite standing in), composite with its
    interval and tournament strength, when it was computed, by which evaluation (where the
    terminal has room) and under which scoring rule, with a sparkline of the exchange rating.

    For an open hypothesis, then its track record: how the resolved hypotheses of the newest
    stored backtest fared in the band of its newest exchange rating and composite.

    {legends}
    """
    if as_json and as_csv:
        raise typer.BadParameter("choose one of --json and --csv", param_hint="--json/--csv")
    with open_database().sessions() as session:
        hypothesis = get_hypothesis(session, hypothesis_id=hypothesis_id)
        versions = score_history(session, hypothesis_id=hypothesis_id, limit=None)
        latest = versions[-1] if versions and not (as_json or as_csv) else None
        records = track_records(session, hypothesis=hypothesis, snapshot=latest)
    if as_json:
        typer.echo(json.dumps([v.model_dump(mode="json") for v in versions], indent=2))
    elif as_csv:
        typer.echo(history_csv_text(versions), nl=False)
    else:
        _print_history(hypothesis, versions, records)


history.__doc__ = (history.__doc__ or "").format(legends=legend_text("\n\n    "))


def _print_history(
    hypothesis: Hypothesis, versions: list[SnapshotOut], records: list[TrackRecordOut]
) -> None:
    console.print(
        Text.assemble(
            (terminal_safe(hypothesis.id), "bold cyan"),
            " · ",
            (terminal_safe(hypothesis.title), "italic"),
            f" · {hypothesis.status}",
        )
    )
    if not versions:
        console.print(
            "Not scored yet. Queue an evaluation with: "
            f"hyposcore queue {terminal_safe(hypothesis.id)}",
            markup=False,
            highlight=False,
        )
        return
    note = resolution_note(
        hypothesis.status, hypothesis.resolved_on, versions[-1].created_at.date()
    )
    if note:
        console.print(note, style="bold", markup=False, highlight=False)
    resolved = hypothesis.status != HypothesisStatus.OPEN
    table = _table(versions, resolved=resolved, evaluations=True)
    # Measured unbounded: a measure within the terminal's width is clamped to it.
    needs = console.measure(table, options=console.options.update_width(10_000)).maximum
    fits = needs <= console.width
    console.print(table if fits else _table(versions, resolved=resolved, evaluations=False))
    if not fits:  # the column a version can best spare: --json, the API and the web say it too
        console.print(
            f"Which evaluation made each version: --json, or a terminal {needs} columns wide.",
            style="dim",
            markup=False,
            highlight=False,
        )
    for line in _notes(versions):
        console.print(line, style="dim", markup=False, highlight=False)
    if len(versions) > 1:
        first, last = versions[0].exchange_rating, versions[-1].exchange_rating
        console.print(
            f"exchange rating  {sparkline([v.exchange_rating for v in versions])}  "
            f"{first:.2f} → {last:.2f} over {len(versions)} versions",
            highlight=False,
        )
    print_track_records(records)  # what the newest version's bands have meant
    console.print(Text(legend_text(), style="dim"))


def _table(versions: list[SnapshotOut], *, resolved: bool, evaluations: bool) -> Table:
    """One row a version, on one line of an 80-column terminal.

    The exchange rating is the market price whenever there is one (a "*" marks the composite
    standing in), so the price has no column of its own; the scoring rule has one only when
    it changed, which the notes then say where. ``evaluations`` adds the evaluation that made
    each version (for ``hyposcore status ID``), where the terminal has room for it.
    """
    table = compact_table("score history, oldest version first")
    headers = ["v", *(["evaluation"] if evaluations else [])]
    headers += ["computed (UTC)", "exchange", "composite (80%)", "strength"]
    ruled = not _one_rule(versions)
    headers += ["rule"] if ruled else []
    headers += ["reads as"] if resolved else []
    for header in headers:
        table.add_column(header, no_wrap=header != "computed (UTC)")
    for version in versions:
        made_by = "—" if version.evaluation_id is None else str(version.evaluation_id)
        cells = [
            str(version.version),
            *([made_by] if evaluations else []),
            version.created_at.strftime("%Y-%m-%d %H:%M"),
            f"{version.exchange_rating:.2f}" + ("*" if version.market_price is None else ""),
            f"{version.composite:.2f} ({version.composite_low:.2f}–{version.composite_high:.2f})",
            "unrated" if version.rating is None else signed(version.rating),
        ]
        cells += [version.config_hash[:RULE_DIGITS]] if ruled else []
        cells += [_reads_as(version.before_resolution)] if resolved else []
        table.add_row(*cells)
    return table


def _one_rule(versions: list[SnapshotOut]) -> bool:
    """Whether every version was scored under the same rule (weights and config hash)."""
    return len({version.config_hash for version in versions}) == 1


def _notes(versions: list[SnapshotOut]) -> list[str]:
    """What the table's marks and columns mean, each only where it occurs."""
    notes = ["strength: the tournament's Bradley–Terry strength when the version was computed."]
    if _one_rule(versions):
        scored = f"All {len(versions)} versions were scored" if len(versions) > 1 else "Scored"
        rule = versions[0].config_hash[:RULE_DIGITS]
        notes.append(f"{scored} under the rule with config hash {rule}.")
    if any(version.market_price is None for version in versions):
        notes.append("*: no market trades yet, so the composite stands in, as on the badge.")
    for before, after in pairwise(versions):
        if before.config_hash != after.config_hash:
            notes.append(
                f"The scoring rule changed at v{after.version} (config hash "
                f"{before.config_hash[:RULE_DIGITS]} → {after.config_hash[:RULE_DIGITS]}): "
                "earlier versions were scored under the old one and are kept as they were."
            )
    return notes


def _reads_as(before: bool | None) -> str:
    if before is None:
        return "—"
    return "forecast" if before else "hindsight"


def sparkline(values: list[float]) -> str:
    """One block per value on the fixed 0–1 scale, so two hypotheses' lines compare."""
    top = len(SPARK_LEVELS) - 1
    return "".join(SPARK_LEVELS[round(min(max(v, 0.0), 1.0) * top)] for v in values)
