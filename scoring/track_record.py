"""What a number has meant before: how many resolved hypotheses were validated among those that
a blind backtest scored in the same band, with an interval for that share.

A reader who sees "exchange rating 0.32" is told it is a probability. Whether it behaves like
one is an empirical question that only outcomes can answer, and the backtest answers it band by
band (its reliability diagram). This module looks up the band a live number falls in and
states that band's record: "of the 20 rated 0.2-0.4, 4 were validated". Pure functions, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from scipy.stats import beta

# The names a backtest report gives the two headline numbers' series (workers.backtest_report).
EXCHANGE_RATING_SERIES: Final = "exchange rating"
COMPOSITE_SERIES: Final = "composite"
# The backtest's own level for every interval it reports.
DEFAULT_LEVEL = 0.9


class TrackRecordError(ValueError):
    """Bands or a value that cannot be looked up; the message says which and why."""


@dataclass(frozen=True)
class Band:
    """One bin of a backtest's reliability diagram: [low, high), the last one closed."""

    low: float
    high: float
    count: int  # resolved hypotheses whose blind forecast fell in the band
    validated: int  # how many of them were validated


@dataclass(frozen=True)
class TrackRecord:
    band: Band
    share: float | None  # validated / count; None when the band is empty
    interval: tuple[float, float] | None  # of the share, at ``level``; None when empty
    level: float


def band_index(value: float, bands: int) -> int:
    """The bin ``value`` falls in among ``bands`` equal-width bins over [0, 1].

    The same arithmetic as ``scoring.forecasts.reliability``, so a number lands in the bin the
    backtest would have put it in, even at a bin's edge.
    """
    return min(int(value * bands), bands - 1)


def jeffreys_interval(validated: int, count: int, *, level: float) -> tuple[float, float]:
    """The Jeffreys interval of a binomial share: the Beta(k + 1/2, n - k + 1/2) quantiles,
    with the end at 0 (or 1) when none (or all) were validated.

    Chosen for small bands: its coverage stays close to the level where the Wald interval's
    collapses, and unlike the Clopper-Pearson interval it is not wider than it needs to be
    (Brown, Cai and DasGupta, Statist. Sci. 2001).
    """
    if count < 1 or not 0 <= validated <= count:
        raise TrackRecordError(
            f"validated must be in [0, count] with count >= 1, got {validated} of {count}"
        )
    if not 0 < level < 1:
        raise TrackRecordError(f"level must be in (0, 1), got {level!r}")
    tail = (1 - level) / 2
    a, b = validated + 0.5, count - validated + 0.5
    low = 0.0 if validated == 0 else float(beta.ppf(tail, a, b))
    high = 1.0 if validated == count else float(beta.ppf(1 - tail, a, b))
    return low, high


def track_record(
    value: float, bands: Sequence[Band], *, level: float = DEFAULT_LEVEL
) -> TrackRecord:
    """The record of the band ``value`` falls in."""
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise TrackRecordError(f"value must be in [0, 1], got {value!r}")
    _check_bands(bands)
    return band_record(bands[band_index(value, len(bands))], level=level)


def band_records(bands: Sequence[Band], *, level: float = DEFAULT_LEVEL) -> list[TrackRecord]:
    """Every band's record, lowest band first: a whole reliability diagram, told in counts."""
    _check_bands(bands)
    return [band_record(band, level=level) for band in bands]


def band_record(band: Band, *, level: float = DEFAULT_LEVEL) -> TrackRecord:
    if band.count == 0:
        return TrackRecord(band, None, None, level)
    interval = jeffreys_interval(band.validated, band.count, level=level)
    return TrackRecord(band, band.validated / band.count, interval, level)


def _check_bands(bands: Sequence[Band]) -> None:
    """Equal-width bands that tile [0, 1] in order, each with a possible tally."""
    if not bands:
        raise TrackRecordError("a track record needs at least one band")
    width = 1.0 / len(bands)
    for i, band in enumerate(bands):
        if not (math.isclose(band.low, i * width) and math.isclose(band.high, (i + 1) * width)):
            raise TrackRecordError(
                f"band {i} is [{band.low}, {band.high}); {len(bands)} equal-width bands over "
                f"[0, 1] put it at [{i * width}, {(i + 1) * width})"
            )
        if not 0 <= band.validated <= band.count:
            raise TrackRecordError(
                f"band {i}: {band.validated} validated of {band.count} is not a tally"
            )
