"""What a live number has meant before, from the newest stored blind backtest.

Beside an open hypothesis's exchange rating and composite, the views state how the resolved
hypotheses that the newest stored blind backtest (``hyposcore backtest --save NAME``) scored in
the same band fared: how many there were and how many were validated, with an interval for
that share (``scoring.track_record``). A resolved hypothesis gets none: its live numbers were
debated with hindsight, and the backtest grades forecasts. Nor does a backtest whose backend
may have read any of its outcomes stand as a record (``all_unseen``): a model trained after a
trial remembers it, however blind its case was cut, so its bands would flatter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol
from urllib.parse import quote

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from debates.backends.knowledge import reads_only_the_request
from scoring.track_record import (
    COMPOSITE_SERIES,
    DEFAULT_LEVEL,
    EXCHANGE_RATING_SERIES,
    Band,
    TrackRecord,
    band_records,
    track_record,
)
from storage.models import Hypothesis, HypothesisStatus
from storage.queries.backtests import ReportGrades, latest_grades

Series = Literal["exchange rating", "composite"]


class TrackRecordOut(BaseModel):
    """How the resolved hypotheses of a stored blind backtest fared in one number's band."""

    number: Series = Field(description="The number whose band this is.")
    value: float = Field(description="The hypothesis's number, as its newest snapshot has it.")
    band_low: float
    band_high: float = Field(description="The band is [low, high), the last one closed.")
    count: int = Field(description="Resolved hypotheses the backtest scored in the band.")
    validated: int = Field(description="How many of them were validated.")
    share: float | None = Field(description="validated / count; null for an empty band.")
    share_low: float | None = Field(description="The share's interval, low end.")
    share_high: float | None = Field(description="The share's interval, high end.")
    level: float = Field(description="The interval's level: the backtest's own.")
    same_weights: bool = Field(
        description="Whether the backtest scored with the dimension weights of this snapshot; "
        "false: the scoring rule changed between them."
    )
    backtest: str = Field(description="The stored backtest's name.")
    backend: str | None = Field(
        description="The agent backend that debated the backtest (live debates may use another)."
    )
    backtest_created_at: datetime
    horizon_days: int = Field(description="How many days before its resolution each was debated.")
    links: dict[str, str]


class Scored(Protocol):
    """A snapshot's numbers, stored (``ScoreSnapshot``) or served (``SnapshotOut``)."""

    @property
    def market_price(self) -> float | None: ...
    @property
    def composite(self) -> float: ...
    @property
    def config_hash(self) -> str: ...


def track_records(
    session: Session, *, hypothesis: Hypothesis, snapshot: Scored | None
) -> list[TrackRecordOut]:
    """The records of an open hypothesis's exchange rating (when its market has traded) and
    composite; none for a resolved or unscored one, or with no stored backtest."""
    if snapshot is None or hypothesis.status != HypothesisStatus.OPEN:
        return []
    return records_for(latest_blind_grades(session), snapshot)


def latest_blind_grades(session: Session) -> ReportGrades | None:
    """The newest stored backtest whose every outcome its backend cannot have read."""
    return latest_grades(session, where=all_unseen)


def all_unseen(grades: ReportGrades) -> bool:
    """Whether the backend that debated the backtest cannot have read any of its outcomes: it
    reads only the blind case, or a model's training cutoff came before every one of them
    (``workers.backtest_knowledge``)."""
    known = grades.knowledge
    if known is None:  # a report from before it was kept: only its backend's class can tell
        return reads_only_the_request(_backend(grades.settings))
    return bool(known.get("reads_only_the_request")) or known.get("blind") == grades.n


def records_for(report: ReportGrades | None, snapshot: Scored) -> list[TrackRecordOut]:
    """The records of a forecast's exchange rating (when it has one) and composite in the
    stored backtest ``report``: the caller has decided the numbers are forecasts, not
    hindsight (``track_records``; ``hyposcore debate`` for a debate it runs blind)."""
    if report is None:
        return []
    numbers: list[tuple[Series, float | None]] = [
        (EXCHANGE_RATING_SERIES, snapshot.market_price),
        (COMPOSITE_SERIES, snapshot.composite),
    ]
    records = []
    for series, value in numbers:
        if value is None:
            continue
        record = _record(report, series, value)
        if record is not None:
            records.append(_out(report, series, value, record, config_hash=snapshot.config_hash))
    return records


def _record(report: ReportGrades, series: str, value: float) -> TrackRecord | None:
    """The band's record, or None when the report has no such series or unreadable bins (an
    older or hand-edited report should cost the view a line, not the page)."""
    for forecaster in report.forecasters:
        if forecaster.get("name") != series:
            continue
        try:
            return track_record(value, bands_of(forecaster), level=report_level(report.settings))
        except (KeyError, TypeError, ValueError):
            return None
    return None


def report_level(settings: dict[str, Any]) -> float:
    """The level of every interval a report states, this one's included."""
    return float(settings.get("level", DEFAULT_LEVEL))


def bands_of(forecaster: dict[str, Any]) -> list[Band]:
    """A graded forecaster's reliability bins, as bands to look a number up in."""
    # A bin stores its share validated; count * share gives back the whole count it came from.
    return [
        Band(
            low=float(b["low"]),
            high=float(b["high"]),
            count=int(b["count"]),
            validated=round(float(b["observed"] or 0.0) * int(b["count"])),
        )
        for b in forecaster["reliability"]
    ]


def _out(
    report: ReportGrades, series: Series, value: float, record: TrackRecord, *, config_hash: str
) -> TrackRecordOut:
    name = quote(report.name, safe="")
    interval = record.interval
    return TrackRecordOut(
        number=series,
        value=value,
        band_low=record.band.low,
        band_high=record.band.high,
        count=record.band.count,
        validated=record.band.validated,
        share=record.share,
        share_low=interval[0] if interval else None,
        share_high=interval[1] if interval else None,
        level=record.level,
        same_weights=report.settings.get("weights_hash") == config_hash,
        backtest=report.name,
        backend=_backend(report.settings),
        backtest_created_at=report.created_at,
        horizon_days=report.horizon_days,
        links={"report": f"/backtests/{name}", "page": f"/web/backtests/{name}"},
    )


@dataclass(frozen=True)
class BandTable:
    """A report's track record in counts: a row per band, a cell per headline number."""

    numbers: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # ("0.20–0.40", ("4 of 20 (20%) [9%–37%]", ...))
    level: float


def band_table(settings: dict[str, Any], forecasters: list[dict[str, Any]]) -> BandTable:
    """What the terminal (``hyposcore backtest``, the demo) and the backtest page both show."""
    level = report_level(settings)
    columns = {
        f["name"]: band_records(bands_of(f), level=level)
        for f in forecasters
        if f.get("name") in (EXCHANGE_RATING_SERIES, COMPOSITE_SERIES)
    }
    first = next(iter(columns.values()), [])
    rows = tuple(
        (
            f"{record.band.low:.2f}–{record.band.high:.2f}",
            tuple(_cell(records[i]) for records in columns.values()),
        )
        for i, record in enumerate(first)
    )
    return BandTable(tuple(columns), rows, level)


def _cell(record: TrackRecord) -> str:
    if record.share is None or record.interval is None:
        return "none"
    low, high = record.interval
    return (
        f"{record.band.validated} of {record.band.count} ({record.share:.0%}) "
        f"[{low:.0%}–{high:.0%}]"
    )


def _backend(settings: dict[str, Any]) -> str | None:
    debate = settings.get("debate")
    backend = debate.get("backend") if isinstance(debate, dict) else None
    return backend if isinstance(backend, str) else None


def track_record_text(record: TrackRecordOut) -> str:
    """One sentence for the views, e.g. "Of the 20 resolved hypotheses whose blind exchange
    rating was 0.20-0.40, 4 were validated (20%; 90% interval 8%-39%)"."""
    band = f"{record.band_low:.2f}–{record.band_high:.2f}"
    which = f"whose blind {record.number} was {band}"
    if record.count == 0 or record.share is None:
        return f"No resolved hypothesis of the backtest had a blind {record.number} of {band}"
    interval = ""
    if record.share_low is not None and record.share_high is not None:
        interval = f"; {record.level:.0%} interval {record.share_low:.0%}–{record.share_high:.0%}"
    if record.count == 1:
        fate = "validated" if record.validated else "refuted"
        return f"Only one resolved hypothesis had a blind {record.number} of {band}; it was {fate}"
    verb = "was" if record.validated == 1 else "were"
    return (
        f"Of the {record.count} resolved hypotheses {which}, {record.validated} {verb} "
        f"validated ({record.share:.0%}{interval})"
    )
