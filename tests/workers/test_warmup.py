"""A debates worker builds its default backend at start, so its first debate does not."""

from __future__ import annotations

import logging

import pytest

from common.settings import Settings
from debates import prompts
from debates.types import DebateConfig
from workers.agents import backend_factory
from workers.celery_app import create_app
from workers.warmup import BackendWarmup, compile_prompts, warm_default_backend


def test_the_built_backend_is_the_one_the_first_debate_gets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HYPOSCORE_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    settings = Settings(backend="openai")
    assert warm_default_backend(settings)
    built = backend_factory(settings)(DebateConfig(backend="openai"))
    # A queued evaluation's configuration names the default backend and no model.
    assert backend_factory(settings)(DebateConfig.from_dict({"backend": "openai"})) is built


def test_a_backend_that_cannot_be_built_is_reported_and_the_worker_starts(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("HYPOSCORE_ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("HYPOSCORE_ANTHROPIC_BASE_URL", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with caplog.at_level(logging.WARNING, logger="hyposcore.workers"):
        assert not warm_default_backend(Settings(backend="anthropic"))
    assert "backend 'anthropic' not built at start" in caplog.text


def test_every_worker_app_has_the_step() -> None:
    assert BackendWarmup in create_app(Settings()).steps["consumer"]


def test_a_debates_worker_compiles_every_prompt_template_before_its_first_debate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fresh = prompts.environment.__wrapped__()  # the same options, nothing compiled yet
    monkeypatch.setattr(prompts, "environment", lambda: fresh)
    names = fresh.list_templates()
    assert compile_prompts() == len(names) > 0
    compiled = {key[1] for key in fresh.cache} if fresh.cache is not None else set()
    assert compiled == set(names)
