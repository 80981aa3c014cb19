"""One latest-turn rule for every reader of a transcript."""

from __future__ import annotations

from dataclasses import dataclass

from debates import protocol
from debates.backends.evidence import turn as evidence_turn
from debates.transcript import latest_by_persona
from workers import scoring_phase


@dataclass(frozen=True)
class Said:
    persona: str
    round: int
    text: str


def test_the_highest_round_wins_and_within_a_round_the_later_turn() -> None:
    turns = [
        Said("skeptic", 1, "s1"),
        Said("theorist", 2, "t2"),
        Said("theorist", 1, "t1 resumed late"),  # an older round listed later never wins
        Said("skeptic", 1, "s1 again"),  # same round, later: wins
        Said("synthesizer", 3, "y3"),
        Said("theorist", 2, "t2 again"),
    ]
    latest = latest_by_persona(turns)
    assert {p: t.text for p, t in latest.items()} == {
        "skeptic": "s1 again",
        "theorist": "t2 again",
        "synthesizer": "y3",
    }
    # Keyed in the order the personas first speak: sums over it add in one fixed order.
    assert list(latest) == ["skeptic", "theorist", "synthesizer"]
    assert latest_by_persona([]) == {}


def test_the_protocol_the_offline_backend_and_scoring_use_the_same_rule() -> None:
    assert protocol.latest_by_persona is latest_by_persona
    assert evidence_turn.latest_by_persona is latest_by_persona
    assert scoring_phase.latest_by_persona is latest_by_persona
    views = [
        scoring_phase.TurnView("theorist", 2, {}, 0.5, 0.6),
        scoring_phase.TurnView("skeptic", 1, {}, 0.5, 0.3),
        scoring_phase.TurnView("theorist", 1, {}, 0.5, 0.9),
        scoring_phase.TurnView("theorist", 2, {}, 0.5, 0.7),
    ]
    chosen = scoring_phase.latest_turns(views)
    assert [(v.persona, v.probability) for v in chosen] == [("skeptic", 0.3), ("theorist", 0.7)]
