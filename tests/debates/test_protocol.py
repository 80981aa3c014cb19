"""The protocol's pure rules: opening plans, speakers, movement and split verdicts."""

from __future__ import annotations

import pytest

from debates.config import validate_config
from debates.protocol import (
    is_split,
    movement,
    opening_plan,
    running_synthesis,
    speakers,
)
from debates.schema import TurnOutput
from debates.types import DebateConfig, TurnRecord
from scoring.dimensions import Dimension
from tests.debates.protocol_helpers import reply

CORE = ("theorist", "skeptic", "domain_expert", "synthesizer")


def _turn(persona: str, verdict: str = "uncertain", **scores: float) -> TurnRecord:
    output = TurnOutput.model_validate(reply(scores, verdict=verdict))
    return TurnRecord(round=1, persona=persona, output=output)


@pytest.mark.parametrize(
    ("panel", "max_rounds", "stage_round"),
    [
        (CORE, 8, {1: 1, 2: 2, 3: 3, 4: 4}),
        (CORE, 3, {1: 1, 2: 2, 3: 3, 4: 3}),
        (CORE, 2, {1: 1, 2: 2, 3: 2, 4: 2}),
        (("theorist", "synthesizer"), 8, {1: 1, 4: 2}),
        (("skeptic", "ethicist", "synthesizer"), 8, {2: 1, 3: 2, 4: 3}),
    ],
)
def test_opening_plan(panel: tuple[str, ...], max_rounds: int, stage_round: dict[int, int]) -> None:
    assert dict(opening_plan(panel, max_rounds).stage_round) == stage_round


def test_specialists_speak_with_the_domain_expert_and_rebuttals_include_everyone() -> None:
    panel = ("theorist", "skeptic", "domain_expert", "ethicist", "synthesizer")
    plan = opening_plan(panel, 8)
    spoken = {"theorist", "skeptic"}
    assert speakers(3, panel=panel, plan=plan, spoken=spoken).personas == (
        "domain_expert",
        "ethicist",
    )
    rebuttal = speakers(5, panel=panel, plan=plan, spoken=set(panel))
    assert rebuttal.phase == "rebuttal"
    assert rebuttal.personas == panel


def test_a_late_member_speaks_in_the_next_round_before_the_synthesizer() -> None:
    plan = opening_plan(CORE, 8)
    panel = ("theorist", "skeptic", "domain_expert", "ethicist", "synthesizer")
    spoken = {"theorist", "skeptic", "domain_expert"}
    assert speakers(4, panel=panel, plan=plan, spoken=spoken).personas == (
        "ethicist",
        "synthesizer",
    )


def test_movement_is_the_mean_absolute_change_and_a_missing_dimension_moves_fully() -> None:
    a = {Dimension.NOVELTY: 0.5, Dimension.FEASIBILITY: 0.5}
    assert movement(a, a) == 0.0
    assert movement(a, {Dimension.NOVELTY: 0.7, Dimension.FEASIBILITY: 0.5}) == pytest.approx(0.1)
    assert movement(a, {Dimension.NOVELTY: 0.5}) == pytest.approx(0.5)
    assert movement({}, {}) == 0.0


def test_running_synthesis_weights_the_panel_and_prefers_the_synthesizer() -> None:
    turns = [_turn("theorist", novelty=0.8), _turn("medicinal_chemist", novelty=0.2)]
    assert running_synthesis(turns)[Dimension.NOVELTY] == pytest.approx(0.5)
    weighted = running_synthesis(turns, {"theorist": 3.0})
    assert weighted[Dimension.NOVELTY] == pytest.approx((3 * 0.8 + 0.2) / 4)
    with_synth = [*turns, _turn("synthesizer", novelty=0.9)]
    assert running_synthesis(with_synth)[Dimension.NOVELTY] == 0.9


def test_split_uses_each_members_latest_verdict() -> None:
    assert not is_split([_turn("theorist", "support"), _turn("skeptic", "uncertain")])
    assert is_split([_turn("theorist", "support"), _turn("skeptic", "oppose")])
    assert not is_split(
        [_turn("theorist", "support"), _turn("skeptic", "oppose"), _turn("skeptic", "support")]
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (DebateConfig(min_rounds=1), "min_rounds: 1 is outside"),
        (DebateConfig(max_rounds=9), "max_rounds: 9 is outside"),
        (DebateConfig(min_rounds=5, max_rounds=3), "min_rounds: 5 is greater"),
        (DebateConfig(convergence_threshold=-0.1), "convergence_threshold"),
    ],
)
def test_validate_config(config: DebateConfig, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_config(config)
