"""Which pairs to judge next: connect the comparison graph, then spend calls where the ranking
is uncertain (the whole order, or only the top k), and randomise who is shown first.

Every choice reads the Laplace posterior of ``scoring.bt_posterior``: rank mode by how much one
game on a pair is expected to lower the expected number of mis-ordered pairs (a one-game
look-ahead), top-k mode by posterior samples (Thompson sampling) of who might hold the top k.
Within a batch each chosen pair updates the posterior covariance as if judged (a rank-one
Sherman–Morrison step), so one batch does not spend all its calls on the same uncertainty. See
docs/scoring.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import numpy.typing as npt

from scoring.bt_posterior import Posterior, cholesky_in_place, fit_bytes, row_blocks
from scoring.eligible_pairs import BestPairs, EligiblePairs

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Phi(x) ~ sigmoid(1.702 x) to within 0.01: plenty for ranking candidate pairs.
_PROBIT_TO_LOGIT = 1.702
# Rank mode scores this many screened pairs by the one-game look-ahead (2,016 pairs at 64
# hypotheses; BENCHMARKS.md, tournament).
_LOOKAHEAD_CANDIDATES = 100
# The look-ahead's work and memory grow as (pairs of entrants) × candidates; past this many
# cells (some 2,000 entrants with one candidate) the screen alone chooses.
_LOOKAHEAD_CELLS = 2_000_000
# Rows of the n x n mis-order table made at a time: 64 rows of 10,000 fit in a core's cache
# far better than 512 do.
_UNSETTLED_ROWS = 64
# A pair of hypotheses mis-ordered with a probability under this counts as settled.
_SETTLED = 1e-4
# Gauss-Legendre nodes on [0, 6] for the look-ahead's integral over u (its integrand is smooth
# and its weight, a normal density starting at or past its peak, is spent by u = 6); eight
# nodes agree with a dense integration to 1e-5.
_LEGENDRE_NODES, _LEGENDRE_WEIGHTS = np.polynomial.legendre.leggauss(8)
_FLIP_NODES, _FLIP_WEIGHTS = 3.0 * (_LEGENDRE_NODES + 1.0), 3.0 * _LEGENDRE_WEIGHTS
# Cells whose fitted gap is this many game-moves away contribute under Phi(-6) = 1e-9 each and
# are left out.
_FLIP_REACH = 6.0


def choose_pairs(
    posterior: Posterior,
    groups: Iterable[Sequence[str]],
    count: int,
    *,
    component: Sequence[int],
    top_k: int | None = None,
    overwrite_cov: bool = False,
) -> list[tuple[str, str]]:
    """Up to ``count`` eligible pairs: first those joining separate components (smallest
    components first), then the most informative for the ranking, or for the top ``top_k``.

    Any two hypotheses of one of ``groups`` may be paired (a pair is a group of two); a
    hypothesis may be in many groups. ``component`` gives each entrant's component
    (``bt_posterior.components``), in the order of ``posterior.ids``. Names not in
    ``posterior.ids`` are ignored. With ``overwrite_cov`` the posterior's covariance itself
    takes each chosen pair's update, as if judged, instead of a copy of it: a caller that fits
    only to choose saves an n x n array (0.8 GB at 10,000 entrants).
    """
    if count < 1:
        return []
    if top_k is not None and not 0 < top_k < len(posterior.ids):
        raise ValueError(f"top_k must be between 1 and {len(posterior.ids) - 1}, got {top_k}")
    eligible = _eligible(posterior.ids, groups)
    if not eligible.total:
        return []
    chosen = _bridges(eligible, np.asarray(component, dtype=np.int64), count)
    cov = posterior.cov if overwrite_cov else posterior.cov.copy()
    for i, j in chosen:
        _observe(cov, posterior.mean, i, j)
    pick_top_k = None if top_k is None else _top_k_picker(posterior.mean, cov, top_k)
    while len(chosen) < count:
        best = pick_top_k(eligible) if pick_top_k is not None else None
        if best is None:
            best = _best_for_the_order(posterior.mean, cov, eligible)
        chosen.append(best)
        _observe(cov, posterior.mean, *best)
    return [(posterior.ids[i], posterior.ids[j]) for i, j in chosen]


def round_bytes(*, entrants: int, matches: int, top_k: bool) -> int:
    """An upper estimate of the memory of a fit plus ``choose_pairs`` with ``overwrite_cov``
    (``bt_posterior.fit_bytes``): the posterior's covariance, which each chosen pair updates
    and, in top-k mode, the factor its draws come from."""
    return fit_bytes(entrants=entrants, matches=matches, squares=2 if top_k else 1)


def _eligible(ids: Sequence[str], groups: Iterable[Sequence[str]]) -> EligiblePairs:
    index = {name: i for i, name in enumerate(ids)}
    known = [sorted({index[name] for name in group if name in index}) for group in groups]
    return EligiblePairs.of_groups([np.array(group, dtype=np.int64) for group in known])


def _top_k_picker(
    mean: FloatArray, cov: FloatArray, top_k: int
) -> Callable[[EligiblePairs], tuple[int, int] | None]:
    """Picks top-k games by posterior samples (Thompson sampling), one sample a game.

    Each pick returns the game to play: where the sample's top k differ from the fitted top k,
    the most contested of those swaps; where they agree, the closest pair across the sample's
    line; None when no eligible pair crosses either line. The
    samples are seeded by the posterior itself, so the same match log picks the same pairs, and
    drawn from the covariance as the batch began (the draws' own spread spreads the batch).
    """
    draw = posterior_draws(mean, cov)
    fitted = _top_set(mean, top_k)

    def pick(eligible: EligiblePairs) -> tuple[int, int] | None:
        sample = draw()
        sampled = _top_set(sample, top_k)
        widest_swap, closest_across = BestPairs(1, len(mean)), BestPairs(1, len(mean))
        for i, j in eligible.blocks():
            gap = np.abs(sample[i] - sample[j])
            swaps = (sampled[i] & ~fitted[i] & fitted[j] & ~sampled[j]) | (
                sampled[j] & ~fitted[j] & fitted[i] & ~sampled[i]
            )
            widest_swap.offer(i, j, np.where(swaps, gap, -np.inf))
            closest_across.offer(i, j, np.where(sampled[i] != sampled[j], -gap, -np.inf))
        for best in (widest_swap.pairs(), closest_across.pairs()):
            if best:
                return best[0]
        return None

    return pick


def posterior_draws(mean: FloatArray, cov: FloatArray) -> Callable[[], FloatArray]:
    """Draws from N(mean, cov), seeded by ``mean`` itself, so the same fit draws the same.

    One Cholesky factor serves every draw, made in place of one copy of ``cov``: numpy's
    routine would hold three n x n arrays at once, 0.8 GB each at 10,000 entrants.
    """
    from scipy.linalg import blas  # here, not at the top: see bt_posterior._scipy_on_first_fit

    draws = np.random.default_rng(int.from_bytes(hashlib.sha256(mean.tobytes()).digest()[:8]))
    factor = cov.copy()
    # Pairing's rank-one updates keep its cov positive definite in exact arithmetic; a little
    # jitter keeps the factor from failing on rounding.
    factor.flat[:: len(cov) + 1] += 1e-9
    factor = cholesky_in_place(factor)

    def draw() -> FloatArray:
        # L z reads only the factor's lower triangle; its strict upper one is left-over cov.
        return np.asarray(mean + blas.dtrmv(factor, draws.standard_normal(len(mean)), lower=1))

    return draw


def _top_set(strengths: FloatArray, top_k: int) -> npt.NDArray[np.bool_]:
    inside = np.zeros(len(strengths), dtype=bool)
    inside[np.argsort(-strengths, kind="stable")[:top_k]] = True
    return inside


def _bridges(eligible: EligiblePairs, component: IntArray, count: int) -> list[tuple[int, int]]:
    """Pairs that join components, Kruskal-style: each joins two components not yet joined,
    the smallest (new entrants first) going first, to the largest; among equals the lower pair.

    Only each group's lowest member of each component can be the lowest pair joining two
    components, so those representatives are paired instead of every member. Kruskal takes
    ``count`` joins; before the last of them it can have turned down at most the pairs of
    components inside what its joins made, so the best ``count + C(2·count, 2)`` component
    pairs are all it ever reads.
    """
    labels, label_of = np.unique(component, return_inverse=True)
    if len(labels) < 2:
        return []
    size = np.bincount(label_of).astype(np.float64)
    candidates = BestPairs(count + count * (2 * count - 1), len(component))
    for low, high in _representatives(eligible, label_of).blocks():
        a, b = label_of[low], label_of[high]
        small, large = np.minimum(size[a], size[b]), np.maximum(size[a], size[b])
        # smallest first, then largest first: exact in a float up to some 10^7 entrants
        order = np.where(a != b, large - small * (len(component) + 1.0), -np.inf)
        candidates.offer(low, high, order, keys=np.minimum(a, b) * len(labels) + np.maximum(a, b))
    parent = list(range(len(labels)))

    def root(c: int) -> int:
        while parent[c] != c:
            c = parent[c]
        return c

    chosen: list[tuple[int, int]] = []
    for i, j in candidates.pairs():
        ri, rj = root(int(label_of[i])), root(int(label_of[j]))
        if ri != rj and len(chosen) < count:
            parent[ri] = rj
            chosen.append((i, j))
    return chosen


def _representatives(eligible: EligiblePairs, label_of: IntArray) -> EligiblePairs:
    """Per group, its lowest member of each component it touches."""
    order = np.lexsort((eligible.members, eligible.group_of))
    members, group_of = eligible.members[order], eligible.group_of[order]
    first = np.unique(group_of * len(label_of) + label_of[members], return_index=True)[1]
    first = np.sort(first)  # back to (group, member) order
    return EligiblePairs(members[first], group_of[first])


def _observe(cov: FloatArray, mean: FloatArray, i: int, j: int) -> None:
    """Shrink ``cov`` in place by the information of one judged game between i and j."""
    p = 1.0 / (1.0 + np.exp(mean[j] - mean[i]))
    weight = p * (1.0 - p)
    column = cov[:, i] - cov[:, j]
    variance = column[i] - column[j]
    shrink = weight / (1.0 + weight * variance)
    for rows in row_blocks(len(column)):
        cov[rows] -= np.outer(column[rows], column) * shrink


def _pair_value(
    mean: FloatArray, cov: FloatArray, i: IntArray, j: IntArray, unsettled: FloatArray
) -> FloatArray:
    """How much one more game on each pair is worth to the whole order, cheaply: rank mode's
    screen before the look-ahead.

    ``gain`` is the share of the variance of the pair's difference that one game removes
    (largest for close, uncertain pairs), weighed by how many other hypotheses each side may
    be mis-ordered against (the sum of its mis-order probabilities), so calls go to
    hypotheses whose place is unsettled (``_unsettled``, the same for every block of pairs).
    """
    spread = np.diag(cov)
    variance = np.maximum(spread[i] + spread[j] - 2.0 * cov[i, j], 1e-12)
    p = 1.0 / (1.0 + np.exp(-(mean[i] - mean[j])))
    information = variance * p * (1.0 - p)
    gain = information / (1.0 + information)
    return np.asarray((unsettled[i] + unsettled[j]) * gain, dtype=np.float64)


def _unsettled(mean: FloatArray, cov: FloatArray) -> FloatArray:
    """Each hypothesis's mis-order probabilities against every other, summed: a block of rows
    at a time, since the n x n table of them is GBs at 10,000 hypotheses."""
    n, spread = len(mean), np.diag(cov)
    total = np.empty(n)
    # Small blocks worked in place: the pick's largest cost at 10,000 hypotheses, and half
    # as long as with new 512-row temporaries (bench.round_at_scale), to the same bits.
    for rows in row_blocks(n, size=_UNSETTLED_ROWS):
        sd = spread[rows, None] + spread[None, :]
        sd -= 2.0 * cov[rows]
        np.maximum(sd, 1e-12, out=sd)
        np.sqrt(sd, out=sd)
        misorder = mean[rows, None] - mean[None, :]
        np.abs(misorder, out=misorder)
        np.negative(misorder, out=misorder)
        np.divide(misorder, sd, out=misorder)
        _normal_cdf_in_place(misorder)
        own = np.arange(rows.stop - rows.start)
        misorder[own, rows.start + own] = 0.0
        total[rows] = misorder.sum(axis=1)
    return total


def _best_for_the_order(
    mean: FloatArray, cov: FloatArray, eligible: EligiblePairs
) -> tuple[int, int]:
    """The game expected to leave the fewest mis-ordered pairs.

    ``_pair_value`` screens the pairs cheaply; the best ``_LOOKAHEAD_CANDIDATES`` of them are
    then scored by ``expected_misorder_drop``, which looks one game ahead over every pair of
    hypotheses whose order is still in doubt.
    """
    candidates = lookahead_candidates(len(mean))
    unsettled = _unsettled(mean, cov)
    screened = BestPairs(max(candidates, 1), len(mean))
    for i, j in eligible.blocks():
        screened.offer(i, j, _pair_value(mean, cov, i, j, unsettled))
    best = screened.pairs()
    if candidates < 2:
        return best[0]
    drops = expected_misorder_drop(mean, cov, np.array(best, dtype=np.int64))
    return best[int(np.argmax(drops))]


def lookahead_candidates(entrants: int) -> int:
    """How many screened pairs the look-ahead scores among ``entrants`` hypotheses: at most
    ``_LOOKAHEAD_CANDIDATES``, fewer where every pair of hypotheses times the candidates would
    pass ``_LOOKAHEAD_CELLS``; under 2 the screen alone chooses."""
    pairs_of_entrants = max(entrants * (entrants - 1) // 2, 1)
    return min(_LOOKAHEAD_CANDIDATES, _LOOKAHEAD_CELLS // pairs_of_entrants)


def expected_misorder_drop(mean: FloatArray, cov: FloatArray, games: IntArray) -> FloatArray:
    """For each game (i, j): how much one judged game between them is expected to lower the
    expected number of mis-ordered pairs of hypotheses (a one-step knowledge gradient).

    A pair (k, l) whose difference is d ~ N(g, s²), g ≥ 0, is mis-ordered with probability
    Φ(−g/s). One game on (i, j) shrinks s² to s'² (a rank-one update by the game's Fisher
    information) and, before it is played, moves the mean of d by t·Z, t² = s² − s'², Z ~ N(0, 1).
    The pair's doubt afterwards is Φ(−|g + tZ|/s'), and since E Φ(−(g + tZ)/s') = Φ(−g/s), the
    expected drop is E[(1 − 2Φ((g + tZ)/s'))·1{g + tZ < 0}] = ∫₀^∞ (2Φ(tu/s') − 1)·φ(g/t + u) du:
    the chance the game flips the fitted order, weighed by how sure the flip then is. Pairs
    already settled (doubt under ``_SETTLED``) are left out.
    """
    n = len(mean)
    first, second = np.triu_indices(n, k=1)
    spread = np.diag(cov)
    variance = np.maximum(spread[first] + spread[second] - 2.0 * cov[first, second], 1e-12)
    gap = np.abs(mean[first] - mean[second])
    open_ = _normal_cdf(-gap / np.sqrt(variance)) > _SETTLED
    first, second, variance, gap = first[open_], second[open_], variance[open_], gap[open_]
    i, j = games[:, 0], games[:, 1]
    p = 1.0 / (1.0 + np.exp(mean[j] - mean[i]))
    weight = p * (1.0 - p)
    column = cov[:, i] - cov[:, j]  # n × games: how each theta moves with the game's difference
    shrink = weight / (1.0 + weight * (spread[i] + spread[j] - 2.0 * cov[i, j]))
    removed = np.minimum((column[first] - column[second]) ** 2 * shrink, variance[:, None])
    move = np.maximum(np.sqrt(removed), 1e-12)
    start = gap[:, None] / move
    # A cell's drop is at most Phi(-start): most games barely move most pairs (some 98% of cells
    # at 64 hypotheses), so only the cells a game could flip are integrated.
    pair, game = np.nonzero(start < _FLIP_REACH)
    move, start = move[pair, game], start[pair, game]
    sureness = move / np.sqrt(np.maximum(variance[pair] - removed[pair, game], 1e-12))
    drop = np.zeros_like(move)
    for node, node_weight in zip(_FLIP_NODES, _FLIP_WEIGHTS, strict=True):
        flip = 2.0 * _exact_normal_cdf(sureness * node) - 1.0
        drop += node_weight * flip * np.exp(-0.5 * (start + node) ** 2)
    total = np.bincount(game, weights=drop, minlength=len(games))
    return np.asarray(total / np.sqrt(2.0 * np.pi), dtype=np.float64)


def _exact_normal_cdf(x: FloatArray) -> FloatArray:
    """Φ to within 1.5e-7 (Abramowitz and Stegun 7.1.26 for erf): the look-ahead's drops are
    differences of probabilities, which the logistic approximation's 0.01 would swamp."""
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = (
        (((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592
    ) * t
    return np.asarray(0.5 * (1.0 + np.sign(x) * (1.0 - poly * np.exp(-z * z))), dtype=np.float64)


def _normal_cdf(x: FloatArray) -> FloatArray:
    written = np.array(x, dtype=np.float64)
    _normal_cdf_in_place(written)
    return written


def _normal_cdf_in_place(x: FloatArray) -> None:
    """Phi(x) ~ sigmoid(1.702 x), written over ``x``: the screen's table is GBs at 10,000
    hypotheses, so it is worked where it lies."""
    np.multiply(x, -_PROBIT_TO_LOGIT, out=x)
    np.exp(x, out=x)
    np.add(x, 1.0, out=x)
    np.divide(1.0, x, out=x)


def shown_first(a: str, b: str, *, seed: str) -> tuple[str, str]:
    """The presentation order of a pair: a fair coin from a hash of (seed, pair), so the same
    log replays the same orders and no position is favoured."""
    low, high = sorted((a, b))
    digest = hashlib.sha256(f"{seed}\x00{low}\x00{high}".encode()).digest()
    return (low, high) if digest[0] & 1 == 0 else (high, low)
