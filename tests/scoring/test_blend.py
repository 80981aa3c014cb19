"""The believability-weighted blend: known answers, missing dimensions, monotonicity."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.blend import (
    BlendError,
    DimensionEstimate,
    PersonaScores,
    blend,
    composite_variance,
    estimate_dimension,
    z_value,
)
from scoring.dimensions import Dimension
from scoring.weights import Weights

NOVELTY = Dimension.NOVELTY
EVIDENCE = Dimension.EVIDENCE_STRENGTH
SAFETY = Dimension.SAFETY_PROFILE


def test_z_value_matches_the_normal_table() -> None:
    assert z_value(0.8) == pytest.approx(1.2815516, abs=1e-6)
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)


def test_two_equal_personas_known_answer() -> None:
    # mean 0.7; spread 0.01; n_eff 2, so 1 observed degree of freedom on top of the prior's 6;
    # variance (6 * 0.15^2 + 2 * 0.01) / 7; se = sqrt(var / 2); Student's t with 7 df.
    estimate = estimate_dimension([0.6, 0.8], [1.0, 1.0], level=0.8)
    se = math.sqrt((6 * 0.0225 + 0.02) / 7 / 2)
    t7 = 1.4149239  # two-sided 80% quantile of Student's t with 7 degrees of freedom
    assert estimate.mean == pytest.approx(0.7)
    assert estimate.se == pytest.approx(se)
    assert estimate.df == 7
    assert estimate.low == pytest.approx(0.7 - t7 * se, abs=1e-6)
    assert estimate.high == pytest.approx(0.7 + t7 * se, abs=1e-6)
    assert estimate.low == pytest.approx(0.551120, abs=1e-6)


def _estimate(sd: float, df: float) -> DimensionEstimate:
    return DimensionEstimate(mean=0.5, low=0.4, high=0.6, n=1, se=sd, df=df, sd=sd)


def test_one_persona_on_one_dimension_carries_that_dimensions_t() -> None:
    # Its error is 0.7 sigma with sigma^2 scaled-inverse-chi-square(df, 0.2^2): a t with df
    # degrees of freedom and scale 0.7 * 0.2, whatever df is.
    column = {NOVELTY: [("theorist", 0.6, 1.0)]}
    for df in (10.0, 25.0, math.inf):
        scale2, out_df = composite_variance(column, {NOVELTY: _estimate(0.2, df)}, {NOVELTY: 0.7})
        assert scale2 == pytest.approx((0.7 * 0.2) ** 2)
        assert out_df == pytest.approx(df)


def test_one_personas_errors_correlate_across_dimensions() -> None:
    # Known sigmas (infinite df): the variance of 0.6 e1 + 0.4 e2, corr(e1, e2) = 0.5.
    columns = {NOVELTY: [("skeptic", 0.5, 1.0)], EVIDENCE: [("skeptic", 0.5, 1.0)]}
    estimates = {NOVELTY: _estimate(0.2, math.inf), EVIDENCE: _estimate(0.1, math.inf)}
    scale2, df = composite_variance(columns, estimates, {NOVELTY: 0.6, EVIDENCE: 0.4})
    assert scale2 == pytest.approx(0.12**2 + 0.04**2 + 2 * 0.5 * 0.12 * 0.04)
    assert df == math.inf


def test_independent_dimensions_combine_by_satterthwaite() -> None:
    columns = {
        NOVELTY: [("theorist", 0.5, 1.0), ("expert", 0.5, 3.0)],  # shares 1/4 and 3/4
        EVIDENCE: [("skeptic", 0.5, 1.0)],
    }
    estimates = {NOVELTY: _estimate(0.2, 8.0), EVIDENCE: _estimate(0.1, 12.0)}
    scale2, df = composite_variance(columns, estimates, {NOVELTY: 0.6, EVIDENCE: 0.4})
    # E[sigma^2] = sd^2 df / (df - 2); the two personas of NOVELTY are independent.
    novelty = (0.15**2 + 0.45**2) * 0.2**2 * 8 / 6
    evidence = 0.4**2 * 0.1**2 * 12 / 10
    variance = novelty + evidence
    expected_df = variance**2 / (novelty**2 / 8 + evidence**2 / 12)
    assert df == pytest.approx(expected_df)
    assert 8 < df < 20
    assert scale2 == pytest.approx(variance * (expected_df - 2) / expected_df)


def test_weights_are_believability_times_confidence() -> None:
    scores = [
        PersonaScores("theorist", {NOVELTY: 0.4}, confidence=0.5, believability=2.0),
        PersonaScores("skeptic", {NOVELTY: 0.9}, confidence=0.25, believability=1.0),
    ]
    result = blend(scores, Weights.default())
    # (1.0 * 0.4 + 0.25 * 0.9) / 1.25
    assert result.dimensions[NOVELTY].mean == pytest.approx(0.5)
    assert result.composite == pytest.approx(0.5)


def test_unscored_dimensions_are_missing_and_weights_renormalise() -> None:
    scores = [
        PersonaScores("theorist", {NOVELTY: 0.8, EVIDENCE: 0.4}, confidence=1.0),
        PersonaScores("skeptic", {NOVELTY: 0.6, EVIDENCE: 0.2}, confidence=1.0),
    ]
    result = blend(scores, Weights.default())
    assert set(result.dimensions) == {NOVELTY, EVIDENCE}
    assert len(result.missing) == 8 and Dimension.SAFETY_PROFILE in result.missing
    assert result.coverage == pytest.approx(0.27)
    # novelty 0.7 at 0.12/0.27, evidence 0.3 at 0.15/0.27: never a silent 0 for the rest
    assert result.composite == pytest.approx((0.12 * 0.7 + 0.15 * 0.3) / 0.27)
    assert result.composite_low < result.composite < result.composite_high
    fields = result.snapshot_fields()
    assert set(fields["dimensions"]) == {"novelty", "evidence_strength"}
    assert fields["config_hash"] == Weights.default().hash


def test_one_persona_alone_still_has_a_prior_width_interval() -> None:
    result = blend([PersonaScores("theorist", {NOVELTY: 0.5}, confidence=1.0)], Weights.default())
    estimate = result.dimensions[NOVELTY]
    # no spread can be observed with one persona: the prior's sd 0.15 and its 6 df stand alone
    assert estimate.se == pytest.approx(0.15)
    assert estimate.high - estimate.low == pytest.approx(2 * 1.4397557 * 0.15, abs=1e-6)


def test_the_synthesizers_summary_is_not_one_more_independent_persona() -> None:
    members = [
        PersonaScores("skeptic", {NOVELTY: 0.4, EVIDENCE: 0.3}, confidence=0.6),
        PersonaScores("theorist", {NOVELTY: 0.7}, confidence=0.3),
    ]
    summary = PersonaScores(
        "synthesizer", {NOVELTY: 0.5, EVIDENCE: 0.3, SAFETY: 0.8}, confidence=0.9, aggregate=True
    )
    alone = blend(members, Weights.default())
    joined = blend([*members, summary], Weights.default())
    for dimension in (NOVELTY, EVIDENCE):
        assert joined.dimensions[dimension] == alone.dimensions[dimension]
    # where nobody else scored, its score is all there is, and it is used
    assert joined.dimensions[SAFETY].mean == 0.8 and SAFETY in alone.missing
    counted = blend([*members, replace(summary, aggregate=False)], Weights.default())
    assert counted.dimensions[NOVELTY].high - counted.dimensions[NOVELTY].low < (
        alone.dimensions[NOVELTY].high - alone.dimensions[NOVELTY].low
    )


def test_more_agreeing_personas_narrow_the_interval() -> None:
    def width(n: int) -> float:
        scores = [PersonaScores(f"p{i}", {NOVELTY: 0.6}, confidence=1.0) for i in range(n)]
        estimate = blend(scores, Weights.default()).dimensions[NOVELTY]
        return estimate.high - estimate.low

    assert width(1) > width(2) > width(4) > width(8)


def test_nothing_scored_is_an_error_not_a_zero() -> None:
    with pytest.raises(BlendError, match="nothing to blend"):
        blend([PersonaScores("theorist", {}, confidence=1.0)], Weights.default())
    with pytest.raises(BlendError, match="nothing to blend"):
        blend([PersonaScores("theorist", {NOVELTY: 0.4}, confidence=0.0)], Weights.default())


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (PersonaScores("skeptic", {NOVELTY: 1.2}, 0.5), "'skeptic': score of novelty must be in"),
        (PersonaScores("skeptic", {NOVELTY: 0.2}, 1.5), "'skeptic': confidence must be in"),
        (PersonaScores("skeptic", {NOVELTY: 0.2}, 0.5, -1.0), "'skeptic': believability must"),
        (PersonaScores("skeptic", {"charm": 0.2}, 0.5), "'skeptic': unknown dimension 'charm'"),  # type: ignore[dict-item]
    ],
)
def test_bad_input_names_the_persona_and_dimension(entry: PersonaScores, message: str) -> None:
    with pytest.raises(BlendError, match=message):
        blend([entry], Weights.default())


unit = st.floats(0.0, 1.0)
persona_scores = st.builds(
    PersonaScores,
    persona=st.sampled_from(["theorist", "skeptic", "expert", "synthesizer"]),
    scores=st.dictionaries(st.sampled_from(list(Dimension)), unit, min_size=1),
    confidence=st.floats(0.05, 1.0),
    believability=st.floats(0.1, 2.0),
)


@given(st.lists(persona_scores, min_size=1, max_size=6), st.data())
def test_raising_one_score_never_lowers_the_composite(
    panel: list[PersonaScores], data: st.DataObject
) -> None:
    weights = Weights.default()
    before = blend(panel, weights)
    assert 0.0 <= before.composite_low <= before.composite <= before.composite_high <= 1.0
    for estimate in before.dimensions.values():
        assert 0.0 <= estimate.low <= estimate.mean <= estimate.high <= 1.0
    assert 0.0 < before.coverage <= 1.0
    assert math.isclose(sum(before.effective_weights.values()), 1.0)
    i = data.draw(st.integers(0, len(panel) - 1))
    dimension = data.draw(st.sampled_from(sorted(panel[i].scores)))
    old = panel[i].scores[dimension]
    new = data.draw(st.floats(old, 1.0))
    raised = PersonaScores(
        panel[i].persona,
        {**panel[i].scores, dimension: new},
        panel[i].confidence,
        panel[i].believability,
    )
    after = blend([*panel[:i], raised, *panel[i + 1 :]], weights)
    assert after.composite >= before.composite - 1e-12
