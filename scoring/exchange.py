"""After a debate, each persona trades the hypothesis's market toward the probability it stated.

A persona's budget is ``budget_fraction * b * believability``, so the personas whose forecasts
have proved good move the price most. A debate whose quality is below the threshold does not
trade at all.

Trading each whole budget in one go would hand the price to whoever trades last. Instead every
budget is split into ``rounds`` equal slices, and the personas take turns slice by slice, in
persona-name order and then reversed ("snake" order), so no persona's place in the queue
matters more than one slice. Each persona's slices are then recorded as one trade (the ledger
keeps one row per persona and evaluation): its net shares and what it actually paid. Replaying
those rows in order lands exactly on the final price; the prices in between are those of the
net trades applied one after another.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scoring.lmsr import MarketError, MarketState, Trade, check_target, step_toward

MIN_QUALITY = 0.3
ROUNDS = 20
# Budget per unit of believability, as a fraction of the liquidity b: a believability-1 persona
# can spend 0.25 b, enough to move an even market to about 0.61 on its own.
BUDGET_FRACTION = 0.25


@dataclass(frozen=True)
class Stance:
    """A persona's final word: the probability that the hypothesis is validated."""

    persona: str
    probability: float
    believability: float


def debate_trades(
    state: MarketState,
    stances: Sequence[Stance],
    quality: float,
    *,
    min_quality: float = MIN_QUALITY,
    budget_fraction: float = BUDGET_FRACTION,
    rounds: int = ROUNDS,
) -> list[Trade]:
    """The trades one debate makes, in order; empty if the debate's quality is too low."""
    if not (math.isfinite(quality) and 0.0 <= quality <= 1.0):
        raise MarketError(f"debate quality must be in [0, 1], got {quality!r}")
    seen = _check_stances(stances)
    if quality < min_quality:
        return []
    if rounds < 1:
        raise MarketError(f"rounds must be >= 1, got {rounds}")
    order = sorted(stances, key=lambda s: s.persona)
    for stance in order:
        try:
            check_target(stance.probability)
        except MarketError as exc:
            raise MarketError(f"persona {stance.persona!r}: {exc}") from None
    shares_yes = dict.fromkeys(seen, 0.0)
    shares_no = dict.fromkeys(seen, 0.0)
    spent = dict.fromkeys(seen, 0.0)
    # Bare floats rather than MarketStates: this loop is the hot spot of scoring a debate.
    b, q_yes, q_no = state.b, state.q_yes, state.q_no
    for turn in range(rounds):
        for stance in order if turn % 2 == 0 else order[::-1]:
            budget = budget_fraction * state.b * stance.believability / rounds
            yes, no, cost = step_toward(b, q_yes, q_no, stance.probability, budget)
            shares_yes[stance.persona] += yes
            shares_no[stance.persona] += no
            spent[stance.persona] += cost
            q_yes, q_no = q_yes + yes, q_no + no
    trades: list[Trade] = []
    replayed = state
    for stance in order:
        before = replayed.price
        replayed = replayed.after(shares_yes[stance.persona], shares_no[stance.persona])
        trades.append(
            Trade(
                persona=stance.persona,
                target_probability=float(stance.probability),
                shares_yes=shares_yes[stance.persona],
                shares_no=shares_no[stance.persona],
                cost=spent[stance.persona],
                price_before=before,
                price_after=replayed.price,
            )
        )
    return trades


def no_trade_reason(quality: float | None, *, min_quality: float = MIN_QUALITY) -> str | None:
    """Why a debate of this quality makes no trade, or None when it trades or has no quality
    yet (not debated); for the reader who sees a price that the debate did not move."""
    if quality is None or quality >= min_quality:
        return None
    shown = f"{quality:.2f}"
    if shown == f"{min_quality:.2f}":  # 0.296 must not read "0.30 is below 0.30"
        shown = f"{quality:.3f}"
    return f"the debate's quality {shown} is below the {min_quality:.2f} it needs to trade"


def _check_stances(stances: Sequence[Stance]) -> set[str]:
    """The personas of ``stances``; raises MarketError for a persona with two stances or a
    believability that is not a finite number >= 0."""
    seen: set[str] = set()
    for stance in stances:
        if stance.persona in seen:
            raise MarketError(f"persona {stance.persona!r} has more than one stance")
        seen.add(stance.persona)
        if not (math.isfinite(stance.believability) and stance.believability >= 0):
            raise MarketError(
                f"persona {stance.persona!r}: believability must be finite and >= 0, "
                f"got {stance.believability!r}"
            )
    return seen


def final_state(state: MarketState, trades: Sequence[Trade]) -> MarketState:
    """The market after applying ``trades`` to ``state``."""
    for trade in trades:
        state = state.after(trade.shares_yes, trade.shares_no)
    return state
