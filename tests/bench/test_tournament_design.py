import numpy as np

from bench.tournament_design import (
    FIRST,
    best_fixed_spread,
    even_spread,
    expected_misorders,
    pair_information,
)
from bench.tournament_sim import planted_world


def _world() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    theta = planted_world(3).theta
    games = np.random.default_rng(0).uniform(0.0, 3.0, len(FIRST))
    return theta, pair_information(theta), games


def test_gradient_matches_finite_differences() -> None:
    theta, information, games = _world()
    _, gradient = expected_misorders(games, theta, information)
    for pair in (0, 17, 500, len(FIRST) - 1):
        step = np.zeros_like(games)
        step[pair] = 1e-4
        ahead = expected_misorders(games + step, theta, information)[0]
        behind = expected_misorders(games - step, theta, information)[0]
        assert abs((ahead - behind) / 2e-4 - gradient[pair]) < 1e-6 + 1e-4 * abs(gradient[pair])


def test_more_games_leave_fewer_expected_misorders() -> None:
    theta, information, games = _world()
    assert (
        expected_misorders(2 * games, theta, information)[0]
        < (expected_misorders(games, theta, information)[0])
    )


def test_best_fixed_spread_beats_the_even_spread() -> None:
    theta, information, _ = _world()
    calls = 3000.0
    even = even_spread(calls, theta, information)
    assert best_fixed_spread(calls, theta, information, steps=60) < 0.95 * even
