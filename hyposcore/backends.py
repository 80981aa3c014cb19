"""Building an agent backend from the settings: which URL, key, model and timeout it gets."""

from __future__ import annotations

from typing import Any

from common.settings import Settings
from debates.backends.base import AgentBackend
from debates.backends.registry import create


def backend_options(name: str, settings: Settings, *, model: str | None = None) -> dict[str, Any]:
    """The factory options for backend ``name``; offline backends need none."""
    if name == "openai":
        return {
            "base_url": settings.openai_base_url,
            "api_key": settings.openai_api_key,
            "model": model or settings.openai_model,
            "timeout": settings.llm_timeout_seconds,
        }
    if name == "anthropic":
        return {
            "base_url": settings.anthropic_base_url,
            "api_key": settings.anthropic_api_key,
            "model": model or settings.anthropic_model,
            "timeout": settings.llm_timeout_seconds,
        }
    if name == "evidence" and settings.evidence_delay_seconds > 0:
        return {"delay_seconds": settings.evidence_delay_seconds}
    return {}


def backend_from_settings(
    name: str, settings: Settings, *, model: str | None = None
) -> AgentBackend:
    """Backend ``name`` configured from ``settings``; ``model`` overrides the configured model.

    Raises ValueError naming the available backends when ``name`` is unknown.
    """
    return create(name, **backend_options(name, settings, model=model))
