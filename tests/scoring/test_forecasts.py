"""The backtest's grading rules against hand-computed values and independent implementations."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.forecasts import (
    EPS,
    MIN_AUC_INTERVAL_EACH,
    MIN_INTERVAL_N,
    ForecastError,
    _auc,
    _brier,
    _log_loss,
    _rows_metric,
    auc,
    bootstrap_interval,
    brier_score,
    grade,
    log_loss,
    mid_ranks,
    ordered_auc_rows,
    reliability,
    table_auc,
)

FloatArray = npt.NDArray[np.float64]


def pairwise_auc(p: list[float], y: list[bool]) -> float:
    """Count every (validated, refuted) pair: 1 if ordered right, 1/2 if tied."""
    wins = 0.0
    pairs = 0
    for (pi, yi), (pj, yj) in itertools.product(zip(p, y, strict=True), repeat=2):
        if yi and not yj:
            pairs += 1
            wins += 1.0 if pi > pj else 0.5 if pi == pj else 0.0
    return wins / pairs


def test_brier_by_hand() -> None:
    # (0.8-1)^2 + (0.3-0)^2 + (0.5-1)^2 = 0.04 + 0.09 + 0.25 = 0.38, over 3
    assert brier_score([0.8, 0.3, 0.5], [True, False, True]) == pytest.approx(0.38 / 3)
    assert brier_score([0.5] * 4, [True, False, False, True]) == pytest.approx(0.25)


def test_log_loss_by_hand_and_clipped() -> None:
    expected = -(math.log(0.8) + math.log(0.7)) / 2
    assert log_loss([0.8, 0.3], [True, False]) == pytest.approx(expected)
    # A certain miss costs -log(EPS), not infinity.
    assert log_loss([0.0], [True]) == pytest.approx(-math.log(EPS))
    assert log_loss([1.0], [True]) == pytest.approx(-math.log(1 - EPS))


def test_auc_by_hand_with_a_tie() -> None:
    # positives 0.9, 0.4; negatives 0.4, 0.1: pairs (0.9>0.4) (0.9>0.1) (0.4=0.4 half) (0.4>0.1)
    assert auc([0.9, 0.4, 0.4, 0.1], [True, True, False, False]) == pytest.approx(3.5 / 4)
    assert auc([0.2, 0.8], [True, False]) == 0.0
    assert auc([0.5, 0.5, 0.5], [True, False, True]) == 0.5


def test_auc_is_undefined_with_one_outcome() -> None:
    assert auc([0.1, 0.9], [True, True]) is None


def test_mid_ranks_share_tied_ranks() -> None:
    import numpy as np

    assert mid_ranks(np.array([0.3, 0.1, 0.3, 0.7])).tolist() == [2.5, 1.0, 2.5, 4.0]


@pytest.mark.parametrize("seed", range(20))
def test_rank_sum_auc_agrees_with_pairwise_count(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(2, 30)
    # Coarse values so that ties are common.
    p = [rng.randint(0, 6) / 6 for _ in range(n)]
    y = [rng.random() < 0.5 for _ in range(n)]
    y[0], y[-1] = True, False
    assert auc(p, y) == pytest.approx(pairwise_auc(p, y))


def test_bad_input_is_named() -> None:
    with pytest.raises(ForecastError, match=r"probability #1 must be in \[0, 1\]"):
        brier_score([0.2, 1.5], [True, False])
    with pytest.raises(ForecastError, match="2 probabilities but 1 outcomes"):
        brier_score([0.2, 0.5], [True])
    with pytest.raises(ForecastError, match="no forecasts"):
        log_loss([], [])


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    rng = random.Random(1)
    y = [rng.random() < 0.4 for _ in range(40)]
    p = [min(1.0, max(0.0, (0.7 if o else 0.3) + rng.gauss(0, 0.2))) for o in y]
    first = bootstrap_interval(p, y, lambda a, b: float(((a - b) ** 2).mean()), seed=7)
    again = bootstrap_interval(p, y, lambda a, b: float(((a - b) ** 2).mean()), seed=7)
    other = bootstrap_interval(p, y, lambda a, b: float(((a - b) ** 2).mean()), seed=8)
    assert first == again
    assert first != other
    assert first is not None
    assert first[0] < brier_score(p, y) < first[1]


def test_bootstrap_interval_matches_a_plain_python_resampler() -> None:
    """The same resamples drawn by hand give the same percentile interval."""
    import numpy as np

    p = [0.9, 0.2, 0.6, 0.4, 0.7, 0.1]
    y = [True, False, True, False, False, True]
    resamples = 500
    rows = np.random.default_rng(3).integers(0, len(p), size=(resamples, len(p)))
    values = sorted(
        sum((p[i] - (1.0 if y[i] else 0.0)) ** 2 for i in row) / len(row) for row in rows.tolist()
    )
    interval = bootstrap_interval(
        p, y, lambda a, b: float(((a - b) ** 2).mean()), seed=3, resamples=resamples
    )
    assert interval is not None
    # numpy's default quantile interpolates linearly between order statistics.
    position = 0.05 * (resamples - 1)
    below = values[int(position)]
    expected_low = below + (values[int(position) + 1] - below) * (position - int(position))
    assert interval[0] == pytest.approx(expected_low)


def test_auc_interval_skips_resamples_with_one_outcome() -> None:
    interval = bootstrap_interval([0.9, 0.1], [True, False], _auc, seed=0, resamples=200)
    # Half the resamples hold one outcome only; the rest order the pair correctly.
    assert interval == (1.0, 1.0)
    assert bootstrap_interval([0.9, 0.8], [True, True], _auc, seed=0, resamples=50) is None


def test_too_few_hypotheses_get_the_grades_without_intervals() -> None:
    # One validated and two refuted, ranked wrong: every resample agrees on an AUC of 0, a
    # "[0, 0]" that would claim 90% coverage where the bootstrap covers far less.
    few = grade([0.2, 0.6, 0.7], [True, False, False], seed=0, resamples=200)
    assert few.auc == 0.0 and few.brier == pytest.approx((0.64 + 0.36 + 0.49) / 3)
    assert (few.brier_interval, few.log_loss_interval, few.auc_interval) == (None, None, None)
    rng = random.Random(4)
    p = [rng.random() for _ in range(MIN_INTERVAL_N)]
    y = [i < MIN_AUC_INTERVAL_EACH for i in range(MIN_INTERVAL_N)]
    enough = grade(p, y, seed=0, resamples=200)
    assert None not in (enough.brier_interval, enough.log_loss_interval, enough.auc_interval)
    short = grade(p[1:], y[1:], seed=0, resamples=200)
    assert short.brier_interval is None and short.auc is not None
    # Enough hypotheses, but one outcome too rare: the Brier keeps its interval, the AUC not.
    rare = [i < MIN_AUC_INTERVAL_EACH - 1 for i in range(MIN_INTERVAL_N)]
    lopsided = grade(p, rare, seed=0, resamples=200)
    assert lopsided.brier_interval is not None and lopsided.auc_interval is None


def test_reliability_bins() -> None:
    bins = reliability([0.05, 0.15, 0.55, 0.59, 1.0], [False, True, True, False, True], bins=5)
    assert [b.count for b in bins] == [2, 0, 2, 0, 1]
    assert bins[0].mean_forecast == pytest.approx(0.1)
    assert bins[0].observed == pytest.approx(0.5)
    assert bins[1].mean_forecast is None and bins[1].observed is None
    assert bins[4].low == pytest.approx(0.8) and bins[4].observed == 1.0


def test_paired_difference_by_hand_and_against_separate_resamples() -> None:
    import numpy as np

    from scoring.forecasts import paired_difference

    p = [0.9, 0.2, 0.6, 0.4, 0.7, 0.1]
    q = [0.5] * 6
    y = [True, False, True, False, False, True]
    difference, (low, high) = paired_difference(p, q, y, seed=4, resamples=400)
    assert difference == pytest.approx(brier_score(p, y) - 0.25)
    # The same resamples, drawn by hand, each graded twice.
    rows = np.random.default_rng(4).integers(0, 6, size=(400, 6)).tolist()
    target = [1.0 if o else 0.0 for o in y]
    diffs = sorted(
        sum((p[i] - target[i]) ** 2 - (q[i] - target[i]) ** 2 for i in row) / 6 for row in rows
    )
    assert low == pytest.approx(float(np.quantile(diffs, 0.05)))
    assert high == pytest.approx(float(np.quantile(diffs, 0.95)))
    assert low <= difference <= high


def test_paired_difference_of_identical_forecasters_is_exactly_zero() -> None:
    from scoring.forecasts import paired_difference

    p = [0.3, 0.8, 0.55]
    assert paired_difference(p, p, [True, False, True], seed=0) == (0.0, (0.0, 0.0))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from([0.1, 0.25, 0.5, 0.5, 0.75, 0.9]), min_size=2, max_size=12),
    st.lists(st.booleans(), min_size=12, max_size=12),
    st.integers(0, 2**32 - 1),
)
def test_the_bootstrap_grades_every_resample_as_the_plain_metric_would(
    p: list[float], y: list[bool], seed: int
) -> None:
    """The batched metrics the bootstrap uses agree, resample by resample, with the plain
    ones: ties, repeats and one-outcome resamples (an undefined AUC) included."""
    outcomes = y[: len(p)]
    probabilities, truth = np.asarray(p), np.asarray(outcomes, dtype=np.float64)
    rows = np.random.default_rng(seed).integers(0, len(p), size=(40, len(p)))
    for metric in (_brier, _log_loss, _auc):
        batched = _rows_metric(metric)(probabilities, truth, rows)
        for row, value in zip(rows, batched, strict=True):
            plain = metric(probabilities[row], truth[row])
            if plain is None:
                assert np.isnan(value)
            else:
                assert value == pytest.approx(plain, abs=1e-12)


def _hypotheses(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
    """``n`` hypotheses' latent qualities, and outcomes: the better, the likelier validated."""
    quality = rng.normal(size=n)
    return quality, (rng.random(n) < 1.0 / (1.0 + np.exp(-1.5 * quality))).astype(np.float64)


def _judged_world(
    rng: np.random.Generator, n: int
) -> tuple[FloatArray, FloatArray, list[tuple[int, int]]]:
    """Outcomes of ``n`` hypotheses and the verdicts of a judge that prefers the better of a
    pair by a logistic of their gap, on every pair; and the (validated, refuted) pairs."""
    quality, y = _hypotheses(rng, n)
    gap = quality[:, None] - quality[None, :]
    table = (rng.random((n, n)) < 1.0 / (1.0 + np.exp(-gap))).astype(np.float64)
    pairs = [(int(v), int(r)) for v in np.flatnonzero(y) for r in np.flatnonzero(y == 0)]
    return y, table, pairs


def _sample(
    rng: np.random.Generator, n: int, pairs: list[tuple[int, int]], count: int
) -> FloatArray:
    observed = np.zeros((n, n))
    for k in rng.choice(len(pairs), size=min(count, len(pairs)), replace=False):
        observed[pairs[k]] = 1.0
    return observed


def test_a_sampled_pair_table_grades_each_resample_over_the_pairs_it_drew() -> None:
    rng = np.random.default_rng(3)
    y, table, pairs = _judged_world(rng, 12)
    table[pairs[0]] = 0.5  # a tie counts half
    observed = _sample(rng, 12, pairs, 15)
    rows = rng.integers(0, 12, size=(50, 12))
    for row, value in zip(rows, ordered_auc_rows(table, y, rows, observed), strict=True):
        # Every (validated copy, refuted copy) of the resample whose pair was judged.
        credits = [table[i, j] for i in row for j in row if y[i] and not y[j] and observed[i, j]]
        assert (np.isnan(value) and not credits) or value == pytest.approx(np.mean(credits))
    share, _ = table_auc(table, y, seed=0, observed=observed)
    sampled = [table[i, j] for i, j in pairs if observed[i, j]]
    assert share == pytest.approx(np.mean(sampled)) and len(sampled) == 15
    # Every pair observed is the whole table, to rounding.
    floors = {"min_interval_n": 5, "min_auc_interval_each": 2}
    whole, whole_interval = table_auc(table, y, seed=0, **floors)
    every, every_interval = table_auc(table, y, seed=0, observed=np.ones((12, 12)), **floors)
    assert whole_interval is not None and every_interval is not None
    assert every == pytest.approx(whole) and every_interval == pytest.approx(whole_interval)
    with pytest.raises(ForecastError, match="its observed pairs for 12 hypotheses must be 12x12"):
        table_auc(table, y, seed=0, observed=np.ones((3, 3)))


@pytest.mark.parametrize("sampled", [40, 150])
def test_a_sampled_tables_interval_is_conservative(sampled: int) -> None:
    """The judge's share on a random sample of 60 hypotheses' pairs: its 90% interval holds the
    population's share at least 90% of the time, and more often than the whole table's does,
    since a pair's own noise reaches a resample through both its hypotheses
    (scoring.forecasts.table_auc; docs/validation.md)."""
    rng = np.random.default_rng(11)
    quality, outcome = _hypotheses(rng, 6000)
    gap = quality[outcome == 1][:, None] - quality[outcome == 0][None, :]
    population_share = float(np.mean(1.0 / (1.0 + np.exp(-gap))))
    held = {"whole": 0, "sampled": 0}
    trials = 200
    for trial in range(trials):
        y, table, pairs = _judged_world(rng, 60)
        for name, observed in (("whole", None), ("sampled", _sample(rng, 60, pairs, sampled))):
            _, interval = table_auc(table, y, seed=trial, resamples=400, observed=observed)
            assert interval is not None
            held[name] += interval[0] <= population_share <= interval[1]
    assert held["sampled"] / trials >= 0.9 and held["sampled"] > held["whole"]
