"""Each persona's last word in a transcript: the one rule every reader of a debate uses.

The debate protocol (splits, the running synthesis), the offline backend (the panel a turn
answers) and the scoring phase (what is blended and traded) all ask "what does each persona
say now?"; they must never disagree, so they all call :func:`latest_by_persona`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar


class Spoken(Protocol):
    """Anything said by a persona in a round: a turn record, a stored row, a scoring view."""

    @property
    def persona(self) -> str: ...

    @property
    def round(self) -> int: ...


SpokenT = TypeVar("SpokenT", bound=Spoken)


def latest_by_persona(turns: Iterable[SpokenT]) -> dict[str, SpokenT]:
    """Each persona's turn in the highest round it spoke in.

    Tie rule: of two turns of one persona in the same round, the later in ``turns`` wins (a
    transcript lists turns in the order they were taken). The result is keyed in the order
    the personas first speak, so sums over it add in one fixed order; callers that want
    another order sort it.
    """
    latest: dict[str, SpokenT] = {}
    for turn in turns:
        known = latest.get(turn.persona)
        if known is None or turn.round >= known.round:
            latest[turn.persona] = turn
    return latest
