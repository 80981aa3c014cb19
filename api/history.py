"""A hypothesis's score history as the API, its CSV and the ``hyposcore history`` command give
it: one builder, so the three can never show different numbers for the same version."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from sqlalchemy.orm import Session

from api.schemas import SnapshotOut, settled_on, snapshot_out
from storage.queries.knowledge import get_hypothesis
from storage.queries.snapshots import list_snapshots

HISTORY_CSV_COLUMNS = (
    "version",
    "created_at",
    "evaluation_id",
    "exchange_rating",
    "before_resolution",
    "composite",
    "composite_low",
    "composite_high",
    "coverage",
    "market_price",
    "rating",
    "rating_low",
    "rating_high",
    "config_hash",
)


def score_history(
    session: Session, *, hypothesis_id: str, limit: int | None = 1000, offset: int = 0
) -> list[SnapshotOut]:
    """The hypothesis's snapshots, oldest version first, as the API shows them (``limit=None``:
    all of them); raises NotFoundError for an unknown hypothesis."""
    resolved_on = settled_on(get_hypothesis(session, hypothesis_id=hypothesis_id))
    rows = list_snapshots(session, hypothesis_id=hypothesis_id, limit=limit, offset=offset)
    return [snapshot_out(snapshot, resolved_on=resolved_on) for snapshot in rows]


def history_csv_text(versions: Iterable[SnapshotOut]) -> str:
    """The versions as CSV, one row each, an empty cell for a null."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HISTORY_CSV_COLUMNS)
    for version in versions:
        row = version.model_dump(mode="json")
        writer.writerow(["" if row[c] is None else row[c] for c in HISTORY_CSV_COLUMNS])
    return buffer.getvalue()
