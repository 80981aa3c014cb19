"""Dimension weights: validation with clear errors, and a hash that tracks the configuration."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import scoring.weights as weights_module
from scoring.dimensions import DEFAULT_WEIGHTS, MEANINGS, Dimension
from scoring.weights import Weights, WeightsError


def test_default_weights_are_the_documented_ones() -> None:
    weights = Weights.default()
    assert weights[Dimension.MECHANISTIC_PLAUSIBILITY] == 0.15
    assert weights[Dimension.REPRODUCIBILITY] == 0.05
    assert math.isclose(sum(weights.values()), 1.0)
    assert dict(weights) == dict(DEFAULT_WEIGHTS)


def test_hash_ignores_key_order_and_changes_with_any_weight() -> None:
    names = {d.value: w for d, w in DEFAULT_WEIGHTS.items()}
    reordered = Weights.from_mapping(dict(reversed(list(names.items()))))
    assert reordered.hash == Weights.default().hash and reordered == Weights.default()
    shifted = dict(names, novelty=0.13, reproducibility=0.04)
    assert Weights.from_mapping(shifted).hash != Weights.default().hash
    assert len(Weights.default().hash) == 64


def test_a_total_other_than_one_is_refused_with_the_total() -> None:
    names = {d.value: w for d, w in DEFAULT_WEIGHTS.items()}
    with pytest.raises(WeightsError, match=r"sum to 1\.02"):
        Weights.from_mapping(dict(names, novelty=0.14))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"novelty": -0.1}, "weight of novelty must be finite and >= 0"),
        ({"novelty": float("nan")}, "weight of novelty must be finite"),
        ({"novelty": "high"}, "weight of novelty must be a number"),
        ({"charisma": 0.0}, "unknown dimension 'charisma'"),
    ],
)
def test_bad_entries_name_the_dimension(change: dict[str, object], message: str) -> None:
    names: dict[str, object] = {d.value: w for d, w in DEFAULT_WEIGHTS.items()}
    names.update(change)
    with pytest.raises(WeightsError, match=message):
        Weights.from_mapping(names)  # type: ignore[arg-type]


def test_a_missing_dimension_is_named() -> None:
    names = {d.value: w for d, w in DEFAULT_WEIGHTS.items() if d is not Dimension.SAFETY_PROFILE}
    with pytest.raises(WeightsError, match="missing weight for safety_profile"):
        Weights.from_mapping(names)


@given(st.lists(st.floats(0.0, 10.0), min_size=10, max_size=10).filter(lambda xs: sum(xs) > 0))
def test_any_normalised_weights_are_accepted_and_stay_in_range(raw: list[float]) -> None:
    total = sum(raw)
    weights = Weights.from_mapping({d: x / total for d, x in zip(Dimension, raw, strict=True)})
    assert all(0.0 <= w <= 1.0 for w in weights.values())
    assert math.isclose(sum(weights.values()), 1.0, abs_tol=1e-9)
    assert Weights.from_mapping(weights.as_dict()).hash == weights.hash


def test_the_rules_version_is_part_of_the_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    # A change of blending rules must show as a new hash in the history, never rewrite it.
    current = Weights.default().hash
    assert current != "bcbc7f0721fbd632390d427bb69f8df3b8979effcb0955698134d25190673f0f"
    monkeypatch.setattr(weights_module, "SCORING_RULES", "blend-3: something else")
    assert Weights.default().hash != current


def test_the_hash_recipe_is_stable(monkeypatch: pytest.MonkeyPatch) -> None:
    # Ledgers hold these hashes: if the recipe (not the rules or the weights) changed, every
    # stored snapshot would read as blended under another configuration.
    monkeypatch.setattr(weights_module, "SCORING_RULES", "pinned")
    equal = Weights.from_mapping(dict.fromkeys(Dimension, 0.1))
    assert equal.hash == "c9ff45430e79eb927a23906dc3fa98b2deedfab14749d3383d5a11ebb25dcd17"


def test_every_dimension_has_one_definition_and_the_docs_give_the_same_words() -> None:
    assert set(MEANINGS) == set(Dimension)
    docs = (Path(__file__).parents[2] / "docs" / "scoring.md").read_text(encoding="utf-8")
    for dimension, meaning in MEANINGS.items():
        assert f"| {dimension.value} | {DEFAULT_WEIGHTS[dimension]:.2f} | {meaning} |" in docs
