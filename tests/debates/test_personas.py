"""The persona registry: keys, dimensions, stages and prompt templates."""

from __future__ import annotations

import pytest

from debates.personas import Persona, all_personas, get_persona, register, specialists
from debates.prompts import environment
from scoring.dimensions import Dimension

# The table: each persona and the dimensions it scores.
EXPECTED = {
    "theorist": {"mechanistic_plausibility", "novelty", "therapeutic_potential"},
    "skeptic": {"evidence_strength", "reproducibility", "data_availability"},
    "domain_expert": {"feasibility", "druggability", "safety_profile", "competitive_landscape"},
    "synthesizer": {d.value for d in Dimension},
    "epidemiologist": {"evidence_strength", "data_availability", "reproducibility"},
    "computational_biologist": {"data_availability", "mechanistic_plausibility", "reproducibility"},
    "clinical_trialist": {
        "feasibility",
        "safety_profile",
        "evidence_strength",
        "competitive_landscape",
    },
    "ethicist": {"safety_profile", "feasibility"},
    "medicinal_chemist": {"druggability", "safety_profile", "feasibility", "novelty"},
}


def test_registry_holds_the_four_core_personas_and_five_specialists() -> None:
    assert {p.key: {d.value for d in p.dimensions} for p in all_personas()} == EXPECTED
    assert [p.key for p in all_personas() if p.core] == [
        "theorist",
        "skeptic",
        "domain_expert",
        "synthesizer",
    ]
    assert len(specialists()) == 5
    assert all(p.stage == 3 for p in specialists())


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_every_persona_has_a_template_with_a_role_and_both_tasks(key: str) -> None:
    persona = get_persona(key)
    module = environment().get_template(persona.template_name).module
    role = str(module.role()).strip()  # type: ignore[attr-defined]
    opening = str(module.task(phase="opening", final=False)).strip()  # type: ignore[attr-defined]
    rebuttal = str(module.task(phase="rebuttal", final=False)).strip()  # type: ignore[attr-defined]
    assert role and opening and rebuttal and opening != rebuttal


def test_unknown_persona_is_named_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown persona 'oracle'; known personas: theorist"):
        get_persona("oracle")


def test_registering_a_different_persona_under_a_taken_key_fails() -> None:
    impostor = Persona(
        key="skeptic",
        title="Skeptic",
        role="agrees with everything",
        dimensions=(Dimension.NOVELTY,),
        stage=2,
        core=True,
    )
    with pytest.raises(ValueError, match="registered twice"):
        register(impostor)
    assert register(get_persona("skeptic")) is get_persona("skeptic")


def test_a_persona_without_its_templates_is_refused_at_registration() -> None:
    newcomer = Persona(
        key="toxicologist",
        title="Toxicologist",
        role="weighs dose, exposure and off-target harm",
        dimensions=(Dimension.SAFETY_PROFILE,),
        stage=3,
        core=False,
    )
    with pytest.raises(
        ValueError, match=r"persona 'toxicologist' has no template .*personas/"
    ) as e:
        register(newcomer)
    assert "docs/adding-a-persona.md" in str(e.value)
    # With a prompt template but no offline wording the default backend could not speak for it.
    prompted = Persona(**{**newcomer.__dict__, "key": "theorist_v2", "template": THEORIST_PROMPT})
    with pytest.raises(ValueError, match=r"theorist_v2\.j2 \(the offline evidence backend\)"):
        register(prompted)
    assert "toxicologist" not in {p.key for p in all_personas()}
    assert "theorist_v2" not in {p.key for p in all_personas()}


THEORIST_PROMPT = "personas/theorist.j2"
