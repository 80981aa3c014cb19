"""bench.tournament_sim: the fit the pairing reads, at the fixed or the learnt spread."""

from __future__ import annotations

import numpy as np

from bench.tournament_sim import Log, planted_world, run
from scoring.bt_posterior import PRIOR_SD


def _never(fitted: np.ndarray, truth: np.ndarray) -> bool:
    return False  # a goal that never holds, so every call is played


def _play(accuracy: float, learn_every: int, calls: int) -> Log:
    world = planted_world(7, accuracy)
    log = Log(len(world.ids), learn_every=learn_every)
    run(world, _never, mode="random", batch=8, max_calls=calls, log=log)
    return log


def test_the_spread_is_learnt_from_the_games_when_asked() -> None:
    decisive = _play(0.9, learn_every=128, calls=1024)
    hesitant = _play(0.65, learn_every=128, calls=1024)
    fixed = _play(0.9, learn_every=0, calls=1024)
    # the planted spreads: 3.7 for this world's 90% judge, 0.6 for its 65% one
    assert decisive.spread > 2.0 and hesitant.spread < 1.0
    assert decisive.learnt_at >= 1024 - 128
    assert fixed.spread == PRIOR_SD and fixed.learnt_at == 0
