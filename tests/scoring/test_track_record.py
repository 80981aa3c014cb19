"""A live number's track record: the band it falls in, and the share validated there."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from scoring.forecasts import reliability
from scoring.track_record import (
    Band,
    TrackRecordError,
    band_index,
    band_records,
    jeffreys_interval,
    track_record,
)

FIVE = [
    Band(0.0, 0.2, 9, 0),
    Band(0.2, 0.4, 20, 4),
    Band(0.4, 0.6, 21, 8),
    Band(0.6, 0.8, 0, 0),
    Band(0.8, 1.0, 1, 1),
]


def test_a_number_lands_in_the_bin_the_backtest_would_have_put_it_in() -> None:
    rng = np.random.default_rng(7)
    # Random numbers, every bin edge, and the floats just either side of each edge.
    edges = [i / 5 for i in range(6)]
    values = [
        *rng.uniform(0, 1, 500),
        *edges,
        *(np.nextafter(e, 0.0) for e in edges[1:]),
        *(np.nextafter(e, 1.0) for e in edges[:-1]),
    ]
    for bins in (1, 3, 5, 10):
        for value in values:
            # reliability() bins one forecast: the only non-empty bin is where it fell.
            placed = [b.count for b in reliability([value], [True], bins=bins)].index(1)
            assert band_index(value, bins) == placed, (value, bins)


def test_the_record_is_the_band_of_the_value() -> None:
    record = track_record(0.32, FIVE)
    assert record.band == FIVE[1]
    assert record.share == pytest.approx(4 / 20)
    assert record.interval is not None
    low, high = record.interval
    assert low < 0.2 < high
    assert record.level == 0.9
    assert track_record(0.4, FIVE).band == FIVE[2]  # a band is closed below
    assert track_record(1.0, FIVE).band == FIVE[4]  # and the last one above too
    assert track_record(0.0, FIVE).share == 0.0


def test_an_empty_band_says_so_rather_than_a_share() -> None:
    record = track_record(0.7, FIVE)
    assert record.band.count == 0
    assert record.share is None and record.interval is None


def test_every_band_told_in_order() -> None:
    records = band_records(FIVE, level=0.8)
    assert [r.band for r in records] == FIVE
    assert [r.share for r in records] == [0.0, 0.2, 8 / 21, None, 1.0]
    assert all(r.level == 0.8 for r in records)


def test_the_interval_ends_at_the_bound_when_none_or_all_were_validated() -> None:
    low, high = jeffreys_interval(0, 9, level=0.9)
    assert low == 0.0 and 0.0 < high < 0.3
    low, high = jeffreys_interval(1, 1, level=0.9)
    assert high == 1.0 and 0.0 < low < 0.5


def test_the_interval_narrows_as_the_band_fills() -> None:
    widths = [np.subtract(*jeffreys_interval(n // 4, n, level=0.9)[::-1]) for n in (4, 20, 100)]
    assert widths[0] > widths[1] > widths[2]
    wider = jeffreys_interval(5, 20, level=0.95)
    narrower = jeffreys_interval(5, 20, level=0.8)
    assert wider[0] < narrower[0] and narrower[1] < wider[1]


@pytest.mark.parametrize("count", [3, 5, 10, 20, 60])
def test_the_interval_covers_the_truth_about_as_often_as_it_says(count: int) -> None:
    # Exact coverage (no simulation noise): the chance that the interval of k validated of
    # ``count`` holds the true share, summed over every k, averaged over true shares.
    shares = np.linspace(0.02, 0.98, 97)
    intervals = [jeffreys_interval(k, count, level=0.9) for k in range(count + 1)]
    coverage = [
        sum(binom.pmf(k, count, p) for k, (low, high) in enumerate(intervals) if low <= p <= high)
        for p in shares
    ]
    assert 0.88 <= float(np.mean(coverage)) <= 0.93


def test_bad_bands_and_values_are_named() -> None:
    with pytest.raises(TrackRecordError, match=r"value must be in \[0, 1\], got 1.5"):
        track_record(1.5, FIVE)
    with pytest.raises(TrackRecordError, match="value must be in"):
        track_record(float("nan"), FIVE)
    with pytest.raises(TrackRecordError, match="at least one band"):
        track_record(0.5, [])
    shifted = [FIVE[0], Band(0.25, 0.4, 1, 0), *FIVE[2:]]
    with pytest.raises(TrackRecordError, match=r"band 1 is \[0.25, 0.4\)"):
        track_record(0.5, shifted)
    with pytest.raises(TrackRecordError, match="band 2: 9 validated of 4 is not a tally"):
        band_records([*FIVE[:2], Band(0.4, 0.6, 4, 9), *FIVE[3:]])
    with pytest.raises(TrackRecordError, match="got 3 of 2"):
        jeffreys_interval(3, 2, level=0.9)
    with pytest.raises(TrackRecordError, match="level must be in"):
        jeffreys_interval(1, 2, level=1.0)
