"""Choosing the panel: configured lists checked, automatic picks explained, escalation order."""

from __future__ import annotations

import pytest

from debates.panel import choose_panel, described_panel, escalation_candidate
from tests.debates.protocol_helpers import make_case

CORE = ("theorist", "skeptic", "domain_expert", "synthesizer")


def test_specialists_are_picked_from_diseases_and_intervention_type() -> None:
    choice = choose_panel(make_case(), None)
    assert choice.panel == (
        "theorist",
        "skeptic",
        "domain_expert",
        "epidemiologist",
        "clinical_trialist",
        "synthesizer",
    )
    decision = choice.decision
    assert (decision.round, decision.action, decision.detail["source"]) == (0, "panel", "auto")
    assert 'epidemiologist for disease "Alzheimer\'s disease"' in decision.reason
    assert "clinical_trialist for intervention type 'small-molecule'" in decision.reason


def test_gene_editing_brings_the_ethicist() -> None:
    case = make_case(diseases=("Huntington disease",), intervention_type="CRISPR gene editing")
    choice = choose_panel(case, None)
    assert "ethicist" in choice.panel
    assert "Huntington" in choice.decision.reason


def test_no_matching_specialist_gives_the_core_panel_and_says_why() -> None:
    choice = choose_panel(make_case(diseases=("Rett syndrome",), intervention_type=None), None)
    assert choice.panel == CORE
    assert choice.decision.reason.startswith("core panel only: no specialist matches")


def test_configured_panel_is_ordered_by_stage_and_gets_a_synthesizer() -> None:
    choice = choose_panel(make_case(), ["ethicist", "skeptic", "theorist"])
    assert choice.panel == ("theorist", "skeptic", "ethicist", "synthesizer")
    assert choice.decision.detail["source"] == "config"
    assert "synthesizer added" in choice.decision.reason


@pytest.mark.parametrize(
    ("panel", "message"),
    [
        (["theorist", "oracle"], "unknown persona 'oracle'"),
        (["skeptic", "skeptic"], "persona 'skeptic' is listed twice"),
        ([" ", ""], "configured panel is empty"),
    ],
)
def test_bad_panels_are_refused_with_a_clear_message(panel: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        choose_panel(make_case(), panel)


def test_escalation_prefers_relevant_specialists_not_yet_seated() -> None:
    case = make_case()
    persona, why = escalation_candidate(case, [*CORE, "epidemiologist"]) or (None, "")
    assert persona is not None and persona.key == "clinical_trialist"
    assert "small-molecule" in why
    everyone = [*CORE, "epidemiologist", "clinical_trialist", "medicinal_chemist"]
    fallback = escalation_candidate(case, everyone)
    assert fallback is not None
    assert (fallback[0].key, fallback[1]) == (
        "computational_biologist",
        "next specialist in registry",
    )
    seated = [*everyone, "computational_biologist", "ethicist"]
    assert escalation_candidate(case, seated) is None


def test_the_panel_is_described_as_debated_and_as_asked_where_they_differ() -> None:
    chose = {
        "round": 0,
        "action": "panel",
        "reason": "panel as configured; synthesizer added because it must close the debate",
        "detail": {"panel": ["theorist", "skeptic", "synthesizer"], "source": "config"},
    }
    asked = {"panel": ["theorist", "skeptic"]}
    assert described_panel(asked, []) == "theorist, skeptic"  # queued: no choice made yet
    assert described_panel(asked, [chose]) == (
        "theorist, skeptic, synthesizer (asked for theorist, skeptic)"
    )
    assert described_panel({"panel": chose["detail"]["panel"]}, [chose]) == (  # type: ignore[index]
        "theorist, skeptic, synthesizer"
    )
    assert described_panel({}, [chose]) == "theorist, skeptic, synthesizer"  # picked by case
    assert described_panel({}, [{"round": 1, "action": "continue"}]) == "the configured panel"
