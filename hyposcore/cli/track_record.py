"""The track record of a backtest in counts, for a terminal: per band of the blind exchange
rating and the composite, how many resolved hypotheses it held and how many were validated.

It is the reliability diagram of the web view (``/web/backtests/NAME``) told in counts, and
what the leaderboard's numbers have meant before: "of the 9 rated 0.60-0.80, 5 were validated".
"""

from __future__ import annotations

from typing import Any

from rich.table import Table

from api.track_record import TrackRecordOut, band_table, track_record_text
from hyposcore.cli.common import console


def track_record_table(settings: dict[str, Any], forecasters: list[dict[str, Any]]) -> Table:
    """One row per band, one column per headline number (``api.track_record.band_table``)."""
    bands = band_table(settings, forecasters)
    table = Table(
        title="What the blind numbers have meant: validated / resolved hypotheses in each band",
        caption=f"\\[low–high]: Jeffreys {bands.level:.0%} interval of the share validated. A "
        "live number's band tells how often such numbers were borne out; few hypotheses make "
        "a wide interval.",
    )
    table.add_column("band")
    for name in bands.numbers:
        table.add_column(f"blind {name}", justify="right", no_wrap=True)
    for band, cells in bands.rows:
        table.add_row(band, *cells)
    return table


def print_track_records(records: list[TrackRecordOut]) -> None:
    """One line a record: what numbers in its band have meant, naming the backtest."""
    for record in records:
        console.print(
            f"track record (backtest {record.backtest}, {record.horizon_days} day(s) before "
            f"each resolution): {track_record_text(record)}.",
            markup=False,
            highlight=False,
        )
