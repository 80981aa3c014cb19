"""The backend seam: classes found by name or entry point, their declared capabilities, and
their own HYPOSCORE_<NAME>_* settings."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic_settings import SettingsConfigDict

from common.settings import Settings
from debates.backends import registry
from debates.backends.base import BackendSettings
from debates.backends.evidence.backend import EvidenceBackend
from debates.types import DebateConfig
from workers.agents import backend_factory, batchable_backends, is_batchable
from workers.limits import LimitedBackend


def test_each_built_in_backend_declares_what_it_can_do() -> None:
    assert registry.available() == ["anthropic", "evidence", "openai", "scripted"]
    evidence = registry.capabilities("evidence")
    assert (evidence.batchable, evidence.recomputable, evidence.rate_limited) == (True, True, False)
    for name in ("openai", "anthropic"):
        llm = registry.capabilities(name)
        assert llm.rate_limited and llm.reports_usage
        assert not (llm.batchable or llm.recomputable)
    scripted = registry.capabilities("scripted")
    assert not (scripted.rate_limited or scripted.batchable)


def test_a_slowed_offline_backend_runs_one_by_one_but_stays_recomputable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert batchable_backends(Settings()) == {"evidence"}
    assert batchable_backends(Settings(offline_batch_size=1)) == frozenset()
    assert [n for n in registry.available() if is_batchable(Settings(), n)] == ["evidence"]
    assert not is_batchable(Settings(offline_batch_size=1), "evidence")
    # A claim naming a backend that cannot load is run one by one, which reports why.
    assert not is_batchable(Settings(), "gpt9")
    monkeypatch.setenv("HYPOSCORE_EVIDENCE_DELAY_SECONDS", "0.25")
    assert batchable_backends(Settings()) == frozenset()
    assert not is_batchable(Settings(), "evidence")
    assert registry.capabilities("evidence").recomputable
    slowed = registry.create_from_settings("evidence")
    assert isinstance(slowed, EvidenceBackend) and slowed.delay_seconds == 0.25


def test_capabilities_follow_their_settings_in_the_environment_and_the_dotenv_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Read once and kept while the sources are unchanged; every change is seen.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HYPOSCORE_OPENAI_BATCHES", raising=False)
    monkeypatch.setenv("HYPOSCORE_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert not registry.capabilities("openai").provider_batches  # a local endpoint
    (tmp_path / ".env").write_text("HYPOSCORE_OPENAI_BATCHES=true\n")
    assert registry.capabilities("openai").provider_batches
    (tmp_path / ".env").write_text("HYPOSCORE_OPENAI_BATCHES=false\n")
    assert not registry.capabilities("openai").provider_batches
    monkeypatch.setenv("hyposcore_openai_batches", "1")  # names match in any case
    assert registry.capabilities("openai").provider_batches


def test_only_backends_that_call_a_provider_are_rate_limited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HYPOSCORE_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    build = backend_factory(Settings())
    assert isinstance(build(DebateConfig(backend="openai", model="m")), LimitedBackend)
    assert isinstance(build(DebateConfig(backend="evidence")), EvidenceBackend)


def test_an_unknown_backend_is_named_with_the_available_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown backend 'gpt9'; available: anthropic, evidence"):
        registry.create("gpt9")


class _NoSettings(BackendSettings):
    model_config = SettingsConfigDict(env_prefix="HYPOSCORE_WRONG_")


class MisdeclaredBackend:
    """Declares a wrong name, a dict for capabilities and settings under another prefix."""

    name = "other"
    capabilities: ClassVar[Any] = {"batchable": True}
    settings_model: ClassVar[type[BackendSettings]] = _NoSettings


def test_a_class_that_does_not_fit_the_seam_is_refused_with_each_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = f"{__name__}:MisdeclaredBackend"
    monkeypatch.setattr(registry, "_targets", {**registry.BUILT_IN, "misdeclared": target})
    with pytest.raises(ValueError, match="backend 'misdeclared'") as refused:
        registry.backend_class("misdeclared")
    for problem in (
        "its name is 'other', not 'misdeclared'",
        "capabilities is not a Capabilities",
        "env_prefix is not 'HYPOSCORE_MISDECLARED_'",
        "it has no create(**options)",
    ):
        assert problem in str(refused.value)
    # A broken plug-in is left out of the scans, not allowed to stop the working backends.
    assert set(registry.all_capabilities()) == {"anthropic", "evidence", "openai", "scripted"}


def test_an_entry_point_may_not_take_a_built_in_name(monkeypatch: pytest.MonkeyPatch) -> None:
    impostor = EntryPoint("evidence", "impostor.backend:Evidence", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [impostor])
    monkeypatch.setattr(registry, "_targets", None)
    with pytest.raises(ValueError, match="backend 'evidence' is registered twice"):
        registry.available()
