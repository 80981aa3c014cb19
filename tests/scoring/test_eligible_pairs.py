"""Who may meet whom: groups handed out as blocks of pairs, and the best of all the blocks."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest

from scoring.eligible_pairs import BestPairs, EligiblePairs


def _random_groups(rng: np.random.Generator, entrants: int, groups: int) -> list[np.ndarray]:
    sizes = rng.integers(0, 9, size=groups)
    return [np.sort(rng.choice(entrants, size=s, replace=False)) for s in sizes]


@pytest.mark.parametrize("block", [1, 3, 7, 1 << 20])
def test_blocks_hand_out_each_groups_pairs_once_at_any_block_size(block: int) -> None:
    rng = np.random.default_rng(block)
    groups = [*_random_groups(rng, 40, 30), np.arange(25)]  # one large group
    eligible = EligiblePairs.of_groups(groups, block=block)
    handed = Counter()
    sizes = []
    for low, high in eligible.blocks():
        sizes.append(len(low))
        handed.update(zip(low.tolist(), high.tolist(), strict=True))
    expected = Counter(
        (min(a, b), max(a, b))
        for group in groups
        for a, b in itertools.combinations(group.tolist(), 2)
    )
    assert handed == expected  # a pair in two groups comes twice, once a group
    assert eligible.total == sum(expected.values())
    # no block is more than one member's row past the size asked for
    assert max(sizes) < block + 25


def test_no_group_of_two_means_no_pairs() -> None:
    eligible = EligiblePairs.of_groups([np.array([3]), np.array([], dtype=np.int64)])
    assert eligible.total == 0 and list(eligible.blocks()) == []


def _reference(
    pairs: list[tuple[int, int]], score: dict[tuple[int, int], float], keep: int
) -> list[tuple[int, int]]:
    """One stable sort of every distinct pair, best first."""
    distinct = sorted(set(pairs))
    ranked = sorted(distinct, key=lambda pair: -score[pair])  # stable: ties keep pair order
    return [pair for pair in ranked if score[pair] > -np.inf][:keep]


@pytest.mark.parametrize("keep", [1, 2, 5, 40])
def test_the_best_of_the_blocks_is_the_best_of_one_sort_of_every_distinct_pair(
    keep: int,
) -> None:
    rng = np.random.default_rng(keep)
    entrants = 30
    pairs = [tuple(sorted(rng.choice(entrants, 2, replace=False).tolist())) for _ in range(400)]
    # few distinct scores, so ties are everywhere, and some pairs never count
    score = {pair: float(rng.integers(0, 4)) for pair in set(pairs)}
    score.update(dict.fromkeys(list(score)[:10], -np.inf))
    best = BestPairs(keep, entrants)
    for start in range(0, len(pairs), 37):  # repeats land in the same and in later blocks
        chunk = pairs[start : start + 37]
        low = np.array([a for a, _ in chunk], dtype=np.int64)
        high = np.array([b for _, b in chunk], dtype=np.int64)
        best.offer(low, high, np.array([score[p] for p in chunk]))
    assert best.pairs() == _reference(pairs, score, keep)


def test_keyed_best_pairs_keep_each_keys_best_pair() -> None:
    best = BestPairs(2, 10)
    low, high = np.array([0, 1, 2, 3]), np.array([5, 6, 7, 8])
    # pairs (0, 5) and (1, 6) share a key: only the better of them, then the next key
    best.offer(low, high, np.array([2.0, 3.0, 1.0, 1.0]), keys=np.array([7, 7, 8, 9]))
    assert best.pairs() == [(1, 6), (2, 7)]
    best.offer(np.array([0]), np.array([4]), np.array([3.0]), keys=np.array([7]))
    assert best.pairs() == [(0, 4), (2, 7)]  # the lower pair wins a tie within a key
