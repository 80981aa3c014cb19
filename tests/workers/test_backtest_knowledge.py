"""A backtest report says which outcomes its backend cannot have read, and grades the ratings
and the judge on those alone when a model's training cutoff splits the set."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from api.backtest_knowledge import KnowledgeOut, knowledge_text
from api.backtests import JudgeOut, judge_text
from common.dates import PartialDate
from debates.backends.knowledge import Knowledge
from debates.types import DebateConfig
from tests.workers.backtest_items import OPTIONS, forecasted_items, judged_pairs
from workers.backtest import Forecasted
from workers.backtest_report import build_report


def test_an_offline_backend_leaves_every_outcome_unseen() -> None:
    report = build_report(forecasted_items(), DebateConfig(), OPTIONS)
    known = report["knowledge"]
    assert known["reads_only_the_request"] and known["blind"] == report["n"] == 5
    assert known["forecasters"] == [] and known["models"] == []
    said = knowledge_text(KnowledgeOut.model_validate(known), n=report["n"])
    assert "reads only the blind case: all 5 outcomes are unseen" in said


def test_a_models_cutoff_splits_the_grades(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPOSCORE_OPENAI_KNOWLEDGE_CUTOFFS", '{"model-a": "2020-06-02"}')
    config = DebateConfig(backend="openai", model="model-a")
    report = build_report(forecasted_items(), config, OPTIONS)
    known = report["knowledge"]
    # The five were settled on 1-5 June 2020: the last three came after the cutoff.
    after = [h for h in report["hypotheses"] if h["resolved_on"] > "2020-06-02"]
    assert [h["hypothesis_id"] for h in after] == ["h-bt000003", "h-bt000004", "h-bt000005"]
    assert (known["cutoff"], known["blind"]) == ("2020-06-02", 3)
    graded = {row["name"]: row for row in known["forecasters"]}
    assert set(graded) == {"exchange rating", "composite"}
    for name, key in (("exchange rating", "exchange_rating"), ("composite", "composite")):
        row = graded[name]
        assert row["n"] == 3
        expected = sum((h[key] - h["validated"]) ** 2 for h in after) / len(after)
        assert row["brier"] == pytest.approx(expected)
    said = knowledge_text(KnowledgeOut.model_validate(known), n=report["n"])
    assert "trained to 2020-06-02: 3 of the 5 outcomes came after it" in said
    assert f"exchange rating Brier {graded['exchange rating']['brier']:.3f}" in said


def test_a_model_without_a_cutoff_is_not_called_blind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HYPOSCORE_OPENAI_KNOWLEDGE_CUTOFFS", raising=False)
    report = build_report(
        forecasted_items(), DebateConfig(backend="openai", model="model-a"), OPTIONS
    )
    known = report["knowledge"]
    assert known["blind"] is None and known["forecasters"] == []
    said = knowledge_text(KnowledgeOut.model_validate(known), n=report["n"])
    assert "may have read any of these 5 outcomes in training" in said
    assert "(set HYPOSCORE_OPENAI_KNOWLEDGE_CUTOFFS)" in said


def _debated_by(first: Knowledge, rest: Knowledge) -> list[Forecasted]:
    """The five (settled on 1-5 June 2020), the first two debated by ``first``."""
    return [
        replace(item, knowledge=first if n < 2 else rest)
        for n, item in enumerate(forecasted_items())
    ]


def test_each_debate_is_judged_by_what_its_own_workers_model_knew() -> None:
    # Workers of two default models debated the five.
    early = Knowledge("openai", "model-a", False, PartialDate(2020, 6, 1))
    late = Knowledge("openai", "model-b", False, PartialDate(2020, 6, 3))
    items = _debated_by(early, late)
    known = build_report(items, DebateConfig(backend="openai"), OPTIONS)["knowledge"]
    # Unseen: the 2nd by model-a, the 4th and 5th by model-b.
    assert (known["model"], known["cutoff"]) == ("model-a, model-b", "2020-06-01, 2020-06-03")
    assert known["models"] == [
        {"model": "model-a", "cutoff": "2020-06-01", "debates": 2},
        {"model": "model-b", "cutoff": "2020-06-03", "debates": 3},
    ]
    assert known["blind"] == 3 and {row["n"] for row in known["forecasters"]} == {3}
    said = knowledge_text(KnowledgeOut.model_validate(known), n=5)
    assert (
        "Debated by openai (model-a, trained to 2020-06-01; model-b, trained to 2020-06-03): "
        "3 of the 5 outcomes came after its debate's cutoff"
    ) in said

    # One debate whose worker kept no cutoff (or began before the ledger kept them) may have
    # read its outcome: the set is then not shown to be blind.
    unknown = Knowledge("openai", None, False)
    known = build_report(
        [*items[:-1], replace(items[-1], knowledge=unknown)],
        DebateConfig(backend="openai"),
        OPTIONS,
    )["knowledge"]
    assert known["blind"] is None and known["forecasters"] == []


def test_each_model_is_named_beside_its_own_cutoff() -> None:
    # The model first by name has the later cutoff: sorting names and days apart would pair
    # model-a with model-b's day.
    late = Knowledge("openai", "model-a", False, PartialDate(2020, 6, 3))
    early = Knowledge("openai", "model-b", False, PartialDate(2020, 6, 1))
    known = build_report(_debated_by(late, early), DebateConfig(backend="openai"), OPTIONS)
    said = knowledge_text(KnowledgeOut.model_validate(known["knowledge"]), n=5)
    assert "(model-a, trained to 2020-06-03; model-b, trained to 2020-06-01): 3 of" in said

    # One model whose cutoff was configured anew between its debates is one model.
    before = Knowledge("openai", "model-a", False, PartialDate(2020, 6, 1))
    known = build_report(_debated_by(before, late), DebateConfig(backend="openai"), OPTIONS)
    said = knowledge_text(KnowledgeOut.model_validate(known["knowledge"]), n=5)
    assert (
        "Debated by openai (model-a, trained to 2020-06-01 in some debates and to 2020-06-03 "
        "in others): 3 of the 5 outcomes came after its debate's cutoff"
    ) in said


def test_the_debates_that_keep_the_set_from_being_blind_are_named() -> None:
    trained = Knowledge("openai", "model-a", False, PartialDate(2020, 6, 3))
    uncut = Knowledge("openai", "model-b", False)
    unrecorded = Knowledge("openai", None, False)
    config = DebateConfig(backend="openai")

    known = build_report(_debated_by(trained, uncut), config, OPTIONS)["knowledge"]
    assert known["blind"] is None
    said = knowledge_text(KnowledgeOut.model_validate(known), n=5)
    # model-a has its cutoff: only model-b's debates keep the set from being shown blind.
    assert said == (
        "Debated by openai (model-a, trained to 2020-06-03; model-b, with no configured "
        "training cutoff): a debate by a model with no configured training cutoff may have "
        "read its outcome in training, so the grades are not shown to be blind "
        "(set HYPOSCORE_OPENAI_KNOWLEDGE_CUTOFFS)."
    )

    known = build_report(_debated_by(unrecorded, trained), config, OPTIONS)["knowledge"]
    assert known["models"][-1] == {"model": None, "cutoff": None, "debates": 2}
    said = knowledge_text(KnowledgeOut.model_validate(known), n=5)
    # No cutoff setting would help a debate whose model is not known: no hint to set one.
    assert said == (
        "Debated by openai (model-a, trained to 2020-06-03; 2 debates by a model not "
        "recorded): a debate whose model was not recorded may have read its outcome in "
        "training, so the grades are not shown to be blind."
    )

    # A cutoff configured for model-b after some of its debates had begun.
    known = build_report(_debated_by(uncut, replace(trained, model="model-b")), config, OPTIONS)
    said = knowledge_text(KnowledgeOut.model_validate(known["knowledge"]), n=5)
    assert said.startswith(
        "Debated by openai (model-b, trained to 2020-06-03 in some debates and with no "
        "configured cutoff in others): a debate by a model with no configured training cutoff"
    )


def test_a_report_stored_before_the_pairs_claims_no_pairing() -> None:
    stored = {
        "backend": "openai",
        "model": "model-a, model-b",
        "reads_only_the_request": False,
        "cutoff": "2020-06-01, 2020-06-03",
        "blind": 3,
        "forecasters": [],
    }
    said = knowledge_text(KnowledgeOut.model_validate(stored), n=5)
    assert said.startswith(
        "Debated by openai (model-a, model-b), trained to 2020-06-01, 2020-06-03: 3 of the 5 "
        "outcomes came after its debate's cutoff"
    )


def _judge_said(config: DebateConfig) -> tuple[dict[str, Any], str]:
    judge = build_report(forecasted_items(), config, OPTIONS, judged_pairs())["judge"]
    return judge, judge_text(JudgeOut.model_validate(judge), level=OPTIONS.level)


def test_an_offline_judge_is_blind_to_every_pair() -> None:
    judge, said = _judge_said(DebateConfig())
    assert judge["reads_only_the_request"] and judge["unseen_pairs"] == judge["pairs"] == 6
    assert said.startswith("Tournament judge (evidence), blind: it preferred")


def test_a_judge_models_grade_is_blind_only_on_pairs_settled_after_its_cutoff(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HYPOSCORE_OPENAI_KNOWLEDGE_CUTOFFS", '{"model-a": "2020-06-02"}')
    judge, said = _judge_said(DebateConfig(backend="openai", model="model-a"))
    # h-bt000003 (validated), -04 and -05 (refuted) were settled after 2 June 2020; the judge
    # preferred the validated one against -04 and gave an unreadable reply against -05.
    assert (judge["model"], judge["cutoff"], judge["unseen_pairs"]) == ("model-a", "2020-06-02", 2)
    assert judge["unseen_share"] == pytest.approx((1.0 + 0.5) / 2)
    assert said.startswith("Tournament judge (openai, model-a), on blind cases:")
    assert "trained to 2020-06-02: on the 2 pairs both settled after it" in said
    assert "share right 0.750" in said


def test_a_judge_model_without_a_cutoff_is_not_called_blind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HYPOSCORE_OPENAI_KNOWLEDGE_CUTOFFS", raising=False)
    judge, said = _judge_said(DebateConfig(backend="openai", model="model-a"))
    assert judge["unseen_pairs"] is None and judge["unseen_share"] is None
    assert "blind:" not in said
    assert "may have read these outcomes, so the share is not shown to be blind" in said


def test_a_judge_from_before_its_knowledge_was_kept_is_blind_only_if_offline() -> None:
    kept = ("model", "reads_only_the_request", "cutoff", "unseen_pairs", "unseen_share")
    judge, _ = _judge_said(DebateConfig())
    older = {key: value for key, value in judge.items() if not key.startswith(kept)}
    said = judge_text(JudgeOut.model_validate(older), level=OPTIONS.level)
    assert said.startswith("Tournament judge (evidence), blind: it preferred")
    by_model = judge_text(JudgeOut.model_validate(older | {"backend": "openai"}), level=0.9)
    assert by_model.startswith("Tournament judge (openai), on blind cases: it preferred")
