"""Round control, escalation, resume and the runner's contract, driven by the scripted model."""

from __future__ import annotations

from typing import Any

import pytest

from debates.backends.base import BackendRequest, RateLimitedError
from debates.backends.scripted import ScriptedBackend
from debates.consistency import FLAG_ACTION
from debates.runner import planned_rounds, progress, run_debate
from debates.types import DebateConfig, DebateOutcome, Decision, TurnRecord
from tests.debates.protocol_helpers import (
    CONTRADICTING,
    SUPPORTING,
    make_case,
    reply,
    responder,
    uniform,
)

CORE = ("theorist", "skeptic", "domain_expert", "synthesizer")


def _config(**overrides: Any) -> DebateConfig:
    return DebateConfig(**{"panel": CORE, **overrides})


def _last_control(outcome: DebateOutcome) -> Decision:
    """The last round-control decision (the flags of contradicting turns come after it)."""
    return [d for d in outcome.decisions if d.action != FLAG_ACTION][-1]


def _speakers(turns: tuple[TurnRecord, ...]) -> list[tuple[int, str]]:
    return [(t.round, t.persona) for t in turns]


def test_core_panel_speaks_in_protocol_order_and_converges_after_four_rounds() -> None:
    outcome = run_debate(make_case(), config=_config(), backend=ScriptedBackend(responder()))
    assert _speakers(outcome.turns) == [
        (1, "theorist"),
        (2, "skeptic"),
        (3, "domain_expert"),
        (4, "synthesizer"),
    ]
    assert outcome.rounds == 4
    last = _last_control(outcome)
    assert (last.round, last.action) == (4, "stop")
    assert last.reason.startswith("converged")
    assert [d.action for d in outcome.decisions[1:4]] == ["continue"] * 3


def test_moving_scores_run_rebuttals_until_max_rounds() -> None:
    # The Synthesizer swings between 0.2 and 0.8 each round, so scores never settle.
    swing = responder(synth_level=lambda r: 0.2 if r % 2 else 0.8)
    outcome = run_debate(make_case(), config=_config(max_rounds=6), backend=ScriptedBackend(swing))
    assert outcome.rounds == 6
    assert _speakers(outcome.turns)[4:8] == [
        (5, "theorist"),
        (5, "skeptic"),
        (5, "domain_expert"),
        (5, "synthesizer"),
    ]
    assert outcome.turns[-1].persona == "synthesizer"
    stop = _last_control(outcome)
    assert (stop.action, stop.reason) == ("stop", "reached max_rounds (6)")
    assert [d.action for d in outcome.decisions].count("stop") == 1


def test_rebuttal_turns_are_told_their_phase() -> None:
    backend = ScriptedBackend(responder(synth_level=lambda r: 0.2 if r % 2 else 0.8))
    run_debate(make_case(), config=_config(max_rounds=5), backend=backend)
    phases = {(r.context.round, r.context.extra["phase"]) for r in backend.requests}
    assert phases == {
        (1, "opening"),
        (2, "opening"),
        (3, "opening"),
        (4, "opening"),
        (5, "rebuttal"),
    }


def test_min_rounds_is_respected_even_when_scores_have_converged() -> None:
    outcome = run_debate(
        make_case(), config=_config(min_rounds=6), backend=ScriptedBackend(responder())
    )
    assert outcome.rounds == 6
    reasons = [d.reason for d in outcome.decisions if d.round in (4, 5)]
    assert reasons == ["min_rounds (6) not reached"] * 2
    assert _last_control(outcome).reason.startswith("converged")


def test_a_changed_verdict_keeps_the_debate_going() -> None:
    def answer(request: BackendRequest[Any]) -> dict[str, Any]:
        verdict, level = "uncertain", 0.5
        if request.context.persona == "synthesizer":
            # Round 4 moves far from the panel; later rounds keep the scores but flip the verdict.
            verdict, level = ("support" if request.context.round == 4 else "oppose"), 0.9
        return reply(uniform(request, level), verdict=verdict)

    outcome = run_debate(make_case(), config=_config(), backend=ScriptedBackend(answer))
    by_round = {d.round: d for d in outcome.decisions if d.action in ("stop", "continue")}
    assert by_round[5].reason == "verdict changed from support to oppose"
    assert outcome.rounds == 6  # round 6: scores still, verdict oppose held


@pytest.mark.parametrize(
    ("max_rounds", "expected"),
    [
        (2, [(1, "theorist"), (2, "skeptic"), (2, "domain_expert"), (2, "synthesizer")]),
        (3, [(1, "theorist"), (2, "skeptic"), (3, "domain_expert"), (3, "synthesizer")]),
    ],
)
def test_fewer_rounds_than_stages_fold_into_the_last_round_and_the_synthesizer_closes(
    max_rounds: int, expected: list[tuple[int, str]]
) -> None:
    swing = responder(synth_level=lambda r: 0.1)
    outcome = run_debate(
        make_case(), config=_config(max_rounds=max_rounds), backend=ScriptedBackend(swing)
    )
    assert _speakers(outcome.turns) == expected
    assert outcome.rounds == max_rounds
    assert _last_control(outcome).action == "stop"


def test_two_split_rounds_add_a_specialist_who_speaks_before_the_synthesizer() -> None:
    split = responder(verdicts={"theorist": "support", "skeptic": "oppose"})
    case = make_case(diseases=(), intervention_type="gene therapy")
    outcome = run_debate(case, config=_config(), backend=ScriptedBackend(split))
    added = [d for d in outcome.decisions if d.action == "add_specialist"]
    # Split after round 2 (support vs oppose) and still after round 3: escalate at round 3.
    assert [d.round for d in added][:1] == [3]
    first = added[0]
    # Two specialists match "gene therapy"; the registry order breaks the tie.
    assert first.detail["persona"] == "computational_biologist"
    assert "two rounds in a row" in first.reason and "gene therapy" in first.reason
    round4 = [t.persona for t in outcome.turns if t.round == 4]
    assert round4 == ["computational_biologist", "synthesizer"]
    assert "computational_biologist" in outcome.panel
    # The debate did not stop in the round the specialist was added.
    assert next(d for d in outcome.decisions if d.round == 3 and d.action == "continue")


def test_no_escalation_without_a_split() -> None:
    agree = responder(verdicts={"theorist": "support", "skeptic": "support"})
    outcome = run_debate(make_case(), config=_config(), backend=ScriptedBackend(agree))
    assert not [d for d in outcome.decisions if d.action == "add_specialist"]
    assert outcome.panel == CORE


def test_escalation_is_recorded_as_exhausted_when_every_specialist_sits() -> None:
    everyone = (
        *CORE,
        "epidemiologist",
        "computational_biologist",
        "clinical_trialist",
        "ethicist",
        "medicinal_chemist",
    )
    split = responder(verdicts={"theorist": "support", "skeptic": "oppose"})
    outcome = run_debate(
        make_case(), config=DebateConfig(panel=everyone), backend=ScriptedBackend(split)
    )
    actions = [d.action for d in outcome.decisions]
    assert "escalation_exhausted" in actions and "add_specialist" not in actions


def test_automatic_panel_is_recorded_with_its_reason() -> None:
    outcome = run_debate(make_case(), config=DebateConfig(), backend=ScriptedBackend(responder()))
    panel = outcome.decisions[0]
    assert panel.action == "panel" and panel.detail["source"] == "auto"
    assert "epidemiologist" in panel.reason and "Alzheimer" in panel.reason
    assert set(CORE) <= set(outcome.panel)


def test_scores_outside_a_personas_dimensions_are_dropped_with_a_note() -> None:
    def answer(request: BackendRequest[Any]) -> dict[str, Any]:
        scores = uniform(request, 0.5)
        if request.context.persona == "skeptic":
            scores["novelty"] = 0.9
        return reply(scores)

    outcome = run_debate(make_case(), config=_config(), backend=ScriptedBackend(answer))
    skeptic = next(t for t in outcome.turns if t.persona == "skeptic")
    assert "novelty" not in skeptic.output.scores
    assert set(skeptic.output.scores) == {
        "evidence_strength",
        "reproducibility",
        "data_availability",
    }
    note = next(d for d in outcome.decisions if d.action == "drop_scores")
    assert (note.round, note.detail) == (2, {"persona": "skeptic", "dimensions": ["novelty"]})


def test_unsupported_citations_are_flagged_on_the_turn() -> None:
    def answer(request: BackendRequest[Any]) -> dict[str, Any]:
        cited = ("pmid: 11111", "PMID:999", "https://doi.org/10.1000/CONTRA.2")
        return reply(uniform(request, 0.5), citations=cited)

    outcome = run_debate(make_case(), config=_config(), backend=ScriptedBackend(answer))
    turn = outcome.turns[0]
    assert turn.unsupported_citations == ("PMID:999",)
    assert turn.output.claims[0].citations == [SUPPORTING, "PMID:999", CONTRADICTING]


def test_every_turn_sees_the_turns_before_it_and_its_dimensions() -> None:
    backend = ScriptedBackend(responder(synth_level=lambda r: 0.1 * r))
    outcome = run_debate(make_case(), config=_config(max_rounds=5), backend=backend)
    assert len(backend.requests) == len(outcome.turns)
    for index, request in enumerate(backend.requests):
        assert tuple(request.context.transcript) == outcome.turns[:index]
        assert request.context.task == "turn"
        assert request.context.persona == outcome.turns[index].persona
        assert request.context.round == outcome.turns[index].round
    skeptic = backend.requests[1].context.extra
    assert skeptic["dimensions"] == ["evidence_strength", "reproducibility", "data_availability"]
    assert "attacks" in skeptic["role"]


def test_resume_replays_prior_turns_without_asking_the_backend_again() -> None:
    script = responder(
        verdicts={"theorist": "support", "skeptic": "oppose"},
        synth_level=lambda r: 0.2 if r % 2 else 0.8,
    )
    config = DebateConfig(max_rounds=6)
    full = run_debate(make_case(), config=config, backend=ScriptedBackend(script))
    stored = full.turns[:5]
    rest = {(t.persona, t.round): t.output for t in full.turns[5:]}
    # strict: any request for a stored turn would raise instead of being answered.
    backend = ScriptedBackend(rest, strict=True)
    new_turns: list[TurnRecord] = []
    decisions: list[Decision] = []
    resumed = run_debate(
        make_case(),
        config=config,
        backend=backend,
        prior_turns=stored,
        on_turn=new_turns.append,
        on_decision=decisions.append,
    )
    asked = [(r.context.round, r.context.persona) for r in backend.requests]
    assert asked == [(t.round, t.persona) for t in full.turns[5:]]
    assert new_turns == list(resumed.turns[5:])
    assert [t.output for t in resumed.turns] == [t.output for t in full.turns]
    assert resumed.decisions == full.decisions == tuple(decisions)
    assert (resumed.panel, resumed.rounds, resumed.quality) == (
        full.panel,
        full.rounds,
        full.quality,
    )


def test_same_answers_give_the_same_outcome() -> None:
    def run() -> Any:
        script = responder(verdicts={"theorist": "support", "skeptic": "oppose"})
        outcome = run_debate(make_case(), config=DebateConfig(), backend=ScriptedBackend(script))
        return [t.output for t in outcome.turns], outcome.decisions, outcome.quality

    assert run() == run()


def test_backend_errors_propagate_unchanged() -> None:
    error = RateLimitedError("slow down", retry_after=3.0)
    backend = ScriptedBackend({"skeptic": error})
    turns: list[TurnRecord] = []
    with pytest.raises(RateLimitedError) as raised:
        run_debate(make_case(), config=_config(), backend=backend, on_turn=turns.append)
    assert raised.value is error
    assert [t.persona for t in turns] == ["theorist"]


def test_believability_reaches_only_the_synthesizer() -> None:
    backend = ScriptedBackend(responder())
    run_debate(
        make_case(),
        config=_config(),
        backend=backend,
        believability={"skeptic": 0.4, "theorist": 1.3},
    )
    for request in backend.requests:
        extra = request.context.extra
        if request.context.persona == "synthesizer":
            assert extra["believability"] == {"skeptic": 0.4, "theorist": 1.3}
            assert "Skeptic: 0.40" in request.messages[1].content
        else:
            assert "believability" not in extra
            assert "deserve to be believed" not in request.messages[1].content


def test_invalid_configuration_is_refused_with_the_field_named() -> None:
    with pytest.raises(ValueError, match="max_rounds: 9"):
        run_debate(make_case(), config=_config(max_rounds=9), backend=ScriptedBackend())
    with pytest.raises(ValueError, match="min_rounds: 5 is greater than max_rounds 4"):
        run_debate(
            make_case(), config=_config(min_rounds=5, max_rounds=4), backend=ScriptedBackend()
        )
    with pytest.raises(ValueError, match="unknown persona 'oracle'"):
        run_debate(make_case(), config=DebateConfig(panel=("oracle",)), backend=ScriptedBackend())


def test_progress_counts_rounds_and_turns() -> None:
    outcome = run_debate(make_case(), config=_config(), backend=ScriptedBackend(responder()))
    assert planned_rounds(_config()) == 8
    assert progress(outcome.turns[:2], _config()) == {"round": 2, "max_rounds": 8, "turns_done": 2}


def test_quality_is_stored_with_the_outcome() -> None:
    def answer(request: BackendRequest[Any]) -> dict[str, Any]:
        return reply(uniform(request, 0.5), citations=("PMID:424242",))

    cited = run_debate(make_case(), config=_config(), backend=ScriptedBackend(responder()))
    uncited = run_debate(make_case(), config=_config(), backend=ScriptedBackend(answer))
    assert 0.0 <= uncited.quality < cited.quality <= 1.0
