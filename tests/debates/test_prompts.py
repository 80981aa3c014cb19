"""Turn messages: the system prompt sets the rules, the user prompt carries case and task."""

from __future__ import annotations

import json

from debates.prompts import build_turn_request, output_schema_text
from debates.protocol import Phase
from debates.schema import TurnOutput
from debates.types import TurnRecord
from tests.debates.protocol_helpers import CONTRADICTING, SUPPORTING, make_case, reply


def test_system_message_names_role_dimensions_schema_and_the_data_rule() -> None:
    request = build_turn_request(
        make_case(),
        "domain_expert",
        round=3,
        phase="opening",
        transcript=(),
        panel=["theorist", "skeptic", "domain_expert", "synthesizer"],
    )
    system, user = request.messages
    assert (system.role, user.role) == ("system", "user")
    assert system.content.startswith("You are the Domain Expert")
    for dimension in ("feasibility", "druggability", "safety_profile", "competitive_landscape"):
        assert f"- {dimension}" in system.content
    assert "- novelty" not in system.content
    assert output_schema_text() in system.content
    assert json.loads(output_schema_text()) == TurnOutput.model_json_schema()
    assert "Theorist, Skeptic, Domain Expert, Synthesizer" in system.content
    assert request.output_schema is TurnOutput
    assert request.context.extra["phase"] == "opening"


def test_user_message_carries_the_case_the_transcript_and_the_task() -> None:
    earlier = TurnRecord(
        round=1,
        persona="theorist",
        output=TurnOutput.model_validate(
            reply({"novelty": 0.7}, verdict="support", argument="Autophagy is the lever.")
        ),
        unsupported_citations=("PMID:999",),
    )
    request = build_turn_request(
        make_case(),
        "skeptic",
        round=2,
        phase="opening",
        transcript=(earlier,),
        panel=["theorist", "skeptic", "synthesizer"],
    )
    user = request.messages[1].content
    for expected in (
        "Hypothesis h-test0001: APOE-Dependent Autophagy Restoration",
        "Gene MTOR (mechanistic target of rapamycin kinase)",
        "Rapamycin; mechanism: allosteric mTORC1 inhibitor",
        f"[{SUPPORTING}] supports; animal-model; mouse; 2019; n=24; replicated",
        f"[{CONTRADICTING}] contradicts; animal-model",
        "Round 1, Theorist: verdict support, probability 0.50",
        "Autophagy is the lever.",
        "Scores: novelty=0.70",
        "Unsupported citations: PMID:999",
        "Round 2. Your task as the Skeptic:",
        "Attack the Theorist's assumptions",
    ):
        assert expected in user, expected


def test_rebuttal_task_differs_from_the_opening_one() -> None:
    def task(phase: Phase) -> str:
        request = build_turn_request(
            make_case(),
            "theorist",
            round=5,
            phase=phase,
            transcript=(),
            panel=["theorist"],
        )
        return request.messages[1].content.split("Your task as the Theorist:")[1]

    assert "Answer the strongest objections" in task("rebuttal")
    assert "State the hypothesis as one testable claim" in task("opening")


def test_the_last_round_is_announced() -> None:
    def user(final: bool) -> str:
        request = build_turn_request(
            make_case(),
            "synthesizer",
            round=2,
            phase="opening",
            transcript=(),
            panel=["theorist", "synthesizer"],
            final=final,
        )
        return request.messages[1].content

    assert user(True).endswith("This is the debate's last round.")
    assert "last round" not in user(False)
