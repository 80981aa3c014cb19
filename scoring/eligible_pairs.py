"""Who may meet whom in the tournament, held as groups instead of a list of pairs.

Any two hypotheses of one group (those sharing a gene, or a disease) may be paired. A large
group's pairs grow as its size squared: 10,000 hypotheses of one disease make 50 million, which
as a list of named pairs is tens of GB. ``EligiblePairs`` keeps the groups (memory as the
links) and hands their pairs out a block at a time; ``BestPairs`` keeps the best few of all the
blocks it is shown, in the order one sort of every distinct pair would give.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Pairs in one block, half a MB an array: the screen's gathers stay in cache (a pick at 10,000
# hypotheses of one disease took 3.0 s so, and 4.0 s in blocks of half a million).
PAIRS_PER_BLOCK = 1 << 16


class EligiblePairs:
    """The pairs within each group, each as (low, high) entrant indices; a pair in several
    groups is handed out once per group.

    ``members`` lists each group's entrants in turn, ``group_of`` the group of each; within a
    group the members are distinct.
    """

    def __init__(self, members: IntArray, group_of: IntArray, *, block: int | None = None):
        if len(members) != len(group_of):
            raise ValueError("members and group_of must be the same length")
        self.members = np.asarray(members, dtype=np.int64)
        self.group_of = group_of = np.asarray(group_of, dtype=np.int64)
        # Each group's last member; a group's members are contiguous.
        last = np.append(group_of[1:] != group_of[:-1], True)[: len(group_of)]
        ends = np.flatnonzero(last) + 1
        group_end = np.repeat(ends, np.diff(np.append(0, ends)))
        # One row per member but its group's last: it pairs with every member after it.
        self._row = np.flatnonzero(~last)
        self._count = group_end[self._row] - 1 - self._row
        self.total = int(self._count.sum())
        cumulative = np.cumsum(self._count)
        block = PAIRS_PER_BLOCK if block is None else block
        starts = np.flatnonzero(np.diff((cumulative - 1) // block, prepend=-1))
        self._bounds = np.append(starts, len(self._row))

    @classmethod
    def of_groups(cls, groups: list[IntArray], *, block: int | None = None) -> EligiblePairs:
        """From each group's entrant indices (distinct within a group)."""
        kept = [np.asarray(group, dtype=np.int64) for group in groups if len(group) > 1]
        if not kept:
            return cls(np.empty(0, np.int64), np.empty(0, np.int64), block=block)
        group_of = np.repeat(np.arange(len(kept)), [len(group) for group in kept])
        return cls(np.concatenate(kept), group_of, block=block)

    def blocks(self) -> Iterator[tuple[IntArray, IntArray]]:
        """(low, high) index arrays, at most about ``block`` pairs at a time."""
        for start, stop in zip(self._bounds[:-1], self._bounds[1:], strict=True):
            row, count = self._row[start:stop], self._count[start:stop]
            offsets = np.cumsum(count) - count
            within = np.arange(int(count.sum())) - np.repeat(offsets, count)
            a = np.repeat(self.members[row], count)
            b = self.members[np.repeat(row + 1, count) + within]
            yield np.minimum(a, b), np.maximum(a, b)


class BestPairs:
    """The ``keep`` best pairs offered, highest score first and ties to the lower pair, each
    ``key`` once (its best pair; by default the key is the pair itself). A score of -inf is
    never kept."""

    def __init__(self, keep: int, entrants: int):
        self.keep, self._entrants = keep, entrants
        self._codes = np.empty(0, dtype=np.int64)
        self._scores = np.empty(0, dtype=np.float64)
        self._keys = np.empty(0, dtype=np.int64)

    def offer(
        self, low: IntArray, high: IntArray, scores: FloatArray, keys: IntArray | None = None
    ) -> None:
        # Once ``keep`` are held, an entry under the worst of them can never be kept; most of a
        # large field's blocks then pass only a handful on to the partition.
        full = 0 < self.keep == len(self._scores)
        wanted = scores >= self._scores[-1] if full else scores > -np.inf
        low, high, scores = low[wanted], high[wanted], scores[wanted]
        codes = low * self._entrants + high
        keys = codes if keys is None else keys[wanted]
        chosen = _leading(codes, scores, keys, self.keep)
        codes = np.concatenate((self._codes, codes[chosen]))
        scores = np.concatenate((self._scores, scores[chosen]))
        keys = np.concatenate((self._keys, keys[chosen]))
        order = np.lexsort((codes, -scores))
        _, first = np.unique(keys[order], return_index=True)
        order = order[np.sort(first)][: self.keep]
        self._codes, self._scores, self._keys = codes[order], scores[order], keys[order]

    def pairs(self) -> list[tuple[int, int]]:
        """The pairs kept, best first."""
        return [(int(c // self._entrants), int(c % self._entrants)) for c in self._codes]


def _leading(codes: IntArray, scores: FloatArray, keys: IntArray, keep: int) -> IntArray:
    """Indices of entries that hold the ``keep`` best distinct keys' best entries: the best
    entries by (score, lower code first), doubling how many are taken until they hold ``keep``
    distinct keys. A key's entries are rarely repeated (a pair in two groups), so one pass
    over the block is usual."""
    taken = keep
    while True:
        if taken >= len(scores):
            return np.arange(len(scores))
        chosen = _top_entries(codes, scores, taken)
        if len(np.unique(keys[chosen])) >= keep:
            return chosen
        taken *= 2


def _top_entries(codes: IntArray, scores: FloatArray, taken: int) -> IntArray:
    """The ``taken`` best entries by score, ties at the cut going to the lower codes."""
    cut = np.partition(-scores, taken - 1)[taken - 1]
    better = np.flatnonzero(-scores < cut)
    tied = np.flatnonzero(-scores == cut)
    need = taken - len(better)
    if len(tied) > need:
        tied = tied[np.argpartition(codes[tied], need - 1)[:need]]
    return np.concatenate((better, tied))
