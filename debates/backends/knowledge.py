"""What a backend may know beyond the blind case a backtest shows it.

A blind case holds only what was published before its as-of date (``debates.asof``), but a
model also knows what it was trained on, and the trial that settled a hypothesis may be in
there. A backtest's grades are blind only for the outcomes the backend cannot have read: all
of them for a backend that reads only its request, those resolved after the model's training
cutoff for a model whose cutoff is configured (``knowledge_cutoffs`` in its settings), and
none that can be vouched for otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from common.dates import PartialDate, parse_partial_date
from debates.backends import registry


@dataclass(frozen=True)
class Knowledge:
    """What one backend and model may know beyond the request."""

    backend: str
    model: str | None
    reads_only_the_request: bool
    # The model's training-data cutoff, when configured; None when unknown.
    cutoff: PartialDate | None = None

    def blind_to(self, settled_on: date) -> bool | None:
        """Whether an outcome settled on ``settled_on`` is certainly beyond what it knows;
        None when that cannot be told (a model with no configured cutoff)."""
        if self.reads_only_the_request:
            return True
        if self.cutoff is None:
            return None
        return self.cutoff.latest < settled_on


def knowledge_of(backend: str, model: str | None = None) -> Knowledge:
    """What ``backend`` answering as ``model`` (None: its configured model) may know."""
    if registry.capabilities(backend).reads_only_the_request:
        return Knowledge(backend, model, reads_only_the_request=True)
    model = model or getattr(registry.backend_settings(backend), "model", None)
    cutoff = configured_cutoffs(backend).get(model) if model is not None else None
    return Knowledge(backend, model, reads_only_the_request=False, cutoff=cutoff)


def reads_only_the_request(backend: str | None) -> bool:
    """Whether ``backend`` reads only its request; False for a name no longer registered,
    whose knowledge cannot be vouched for (a stored report may name one)."""
    return backend in registry.available() and registry.capabilities(backend).reads_only_the_request


def cutoffs_variable(backend: str) -> str:
    """The environment variable that sets ``backend``'s models' cutoffs, as messages name it
    (the backend's settings read it under their ``HYPOSCORE_<BACKEND>_`` prefix)."""
    return f"HYPOSCORE_{backend.upper()}_KNOWLEDGE_CUTOFFS"


def configured_cutoffs(backend: str) -> dict[str, PartialDate]:
    """Each model's training cutoff, as this process's settings of ``backend`` give them
    (``knowledge_cutoffs``; none for a backend without the setting)."""
    settings = registry.backend_settings(backend)
    cutoffs: dict[str, str] = getattr(settings, "knowledge_cutoffs", None) or {}
    return {model: parse_partial_date(cutoff) for model, cutoff in cutoffs.items()}
