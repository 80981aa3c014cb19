"""Persona calibration from resolved hypotheses: Brier scores, believability, the table."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from common.as_of_rule import AS_OF_RULE_VERSION
from scoring.calibration import brier_of_moments, update_believability
from storage.db import Database
from storage.models import DebateTurn, Evaluation, Hypothesis
from storage.queries import calibration

# persona -> {hypothesis: [probabilities stated, over turns and evaluations]}
FORECASTS = {
    "theorist": {"h-val": [0.8, 0.6], "h-ref": [0.7]},
    "skeptic": {"h-val": [0.3], "h-ref": [0.2, 0.1]},
    "synthesizer": {"h-open": [0.5]},
}

# The fixture's forecasts are blind: made as of a date before the resolution.
BEFORE, RESOLVED_ON = date(2020, 1, 1), date(2021, 6, 1)


@pytest.fixture
def ledger(db: Database) -> None:
    with db.transaction() as session:
        for hid in ("h-val", "h-ref", "h-open"):
            session.add(Hypothesis(id=hid, title=hid))
        session.flush()
        for persona, by_hypothesis in FORECASTS.items():
            for hid, probabilities in by_hypothesis.items():
                for i, p in enumerate(probabilities):
                    evaluation = Evaluation(
                        hypothesis_id=hid,
                        config={},
                        config_hash="c",
                        as_of=BEFORE,
                        as_of_rule_version=AS_OF_RULE_VERSION,
                        reads_only_request=True,  # the offline backend
                    )
                    session.add(evaluation)
                    session.flush()
                    session.add(
                        DebateTurn(
                            evaluation_id=evaluation.id,
                            round=i + 1,
                            persona=persona,
                            backend="evidence",
                            argument="...",
                            confidence=0.5,
                            probability=p,
                            verdict="uncertain",
                        )
                    )


def _resolve(db: Database, hypothesis_id: str, status: str) -> list[calibration.CalibrationRow]:
    with db.transaction() as session:
        hypothesis = session.get(Hypothesis, hypothesis_id)
        assert hypothesis is not None
        hypothesis.status, hypothesis.resolved_on = status, RESOLVED_ON
        session.flush()
        return calibration.recalibrate(
            session,
            hypothesis_id=hypothesis_id,
            brier=brier_of_moments,
            believability=update_believability,
        )


def test_recalibrate_scores_each_persona_over_its_resolved_record(
    db: Database, ledger: None
) -> None:
    first = _resolve(db, "h-val", "validated")
    assert [row.persona for row in first] == ["skeptic", "theorist"]
    theorist = next(row for row in first if row.persona == "theorist")
    assert theorist.brier == pytest.approx((0.2**2 + 0.4**2) / 2)  # 0.1
    assert theorist.believability == pytest.approx(1 + 0.6 * 1 / 11)
    _resolve(db, "h-ref", "refuted")
    with db.sessions() as session:
        table = {row.persona: row for row in calibration.calibration_table(session)}
        believability = calibration.persona_believability(session)
    # theorist: mean of 0.1 (validated) and 0.49 (refuted at 0.7)
    assert table["theorist"].brier == pytest.approx((0.1 + 0.49) / 2)
    assert table["theorist"].resolved_count == 2
    # skeptic: 0.49 on h-val, (0.04 + 0.01) / 2 on h-ref
    assert table["skeptic"].brier == pytest.approx((0.49 + 0.025) / 2)
    assert believability["skeptic"] == pytest.approx(update_believability(0.2575, 2))
    assert "synthesizer" not in table  # its only hypothesis is still open
    assert list(table) == sorted(table, key=lambda p: -table[p].believability)


def test_recalibrating_twice_changes_nothing(db: Database, ledger: None) -> None:
    once = _resolve(db, "h-val", "validated")
    with db.transaction() as session:
        twice = calibration.recalibrate(
            session,
            hypothesis_id="h-val",
            brier=brier_of_moments,
            believability=update_believability,
        )
    assert [(r.persona, r.brier, r.believability, r.resolved_count) for r in once] == [
        (r.persona, r.brier, r.believability, r.resolved_count) for r in twice
    ]


def test_open_hypotheses_cannot_be_scored(db: Database, ledger: None) -> None:
    with pytest.raises(ValueError, match="'h-open' is 'open'"), db.transaction() as session:
        calibration.recalibrate(
            session,
            hypothesis_id="h-open",
            brier=brier_of_moments,
            believability=update_believability,
        )
    with db.sessions() as session:
        forecasts = calibration.resolved_forecasts(session)
        assert forecasts == [] and calibration.calibration_table(session) == []


CURRENT = AS_OF_RULE_VERSION
OFFLINE = {"reads_only_request": True}


@pytest.mark.parametrize(
    ("as_of", "rule", "knowledge"),
    [
        (None, None, OFFLINE),
        (RESOLVED_ON, CURRENT, OFFLINE),
        (date(2022, 1, 1), CURRENT, OFFLINE),
        (BEFORE, None, OFFLINE),
        (BEFORE, CURRENT - 1, OFFLINE),
        (BEFORE, CURRENT, {}),
        (BEFORE, CURRENT, {"reads_only_request": False}),
        (BEFORE, CURRENT, {"reads_only_request": False, "knowledge_cutoff": RESOLVED_ON}),
    ],
    ids=[
        "live",
        "on-the-day",
        "after",
        "before-rules-had-versions",
        "an-older-rule",
        "before-backends-were-recorded",
        "a-model-of-unknown-cutoff",
        "a-model-trained-up-to-the-resolution",
    ],
)
def test_forecasts_not_made_blind_under_the_current_rule_never_move_believability(
    db: Database, ledger: None, as_of: date | None, rule: int | None, knowledge: dict[str, Any]
) -> None:
    before = _resolve(db, "h-val", "validated")
    # A debate that could have read the answer (after it, under a rule that showed it today's
    # facts, or by a model that may have been trained on it): perfectly "right", and worth
    # nothing.
    _forecast(db, 1.0, ["theorist", "skeptic"], as_of=as_of, as_of_rule_version=rule, **knowledge)
    after = _resolve(db, "h-val", "validated")
    assert [(r.persona, r.brier, r.believability) for r in after] == [
        (r.persona, r.brier, r.believability) for r in before
    ]
    with db.sessions() as session:
        counted = calibration.resolved_forecasts(session, personas=["theorist"])
    assert sorted(f.probability for f in counted if f.hypothesis_id == "h-val") == [0.6, 0.8]


def test_a_model_trained_before_the_resolution_grades_its_personas(
    db: Database, ledger: None
) -> None:
    cutoff = RESOLVED_ON - timedelta(days=1)
    _forecast(
        db, 0.95, ["theorist"], as_of=BEFORE, reads_only_request=False, knowledge_cutoff=cutoff
    )
    _resolve(db, "h-val", "validated")
    with db.sessions() as session:
        counted = calibration.resolved_forecasts(session, personas=["theorist"])
    assert sorted(f.probability for f in counted if f.hypothesis_id == "h-val") == [0.6, 0.8, 0.95]


def _forecast(db: Database, probability: float, personas: list[str], **evaluation: Any) -> None:
    """One evaluation of h-val (under the current rule unless told) in which each persona
    stated ``probability``."""
    with db.transaction() as session:
        row = Evaluation(
            **{"hypothesis_id": "h-val", "config": {}, "config_hash": "x", **evaluation}
        )
        row.as_of_rule_version = evaluation.get("as_of_rule_version", AS_OF_RULE_VERSION)
        session.add(row)
        session.flush()
        for persona in personas:
            session.add(
                DebateTurn(
                    evaluation_id=row.id,
                    round=1,
                    persona=persona,
                    backend="evidence",
                    argument="...",
                    confidence=0.9,
                    probability=probability,
                    verdict="support",
                )
            )
