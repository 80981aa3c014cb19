"""What the backend that debated a backtest may have known beyond its blind cases.

The as-of rule (``debates.asof``) keeps the answer out of a blind case, not out of a model's
training data: a model trained after a trial was published may remember how it came out. The
report says which outcomes the backend cannot have read (``debates.backends.knowledge``) and,
when a model's training cutoff splits the set, grades the ratings on those outcomes alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from debates.backends.knowledge import knowledge_of
from debates.types import DebateConfig
from workers.backtest import Forecasted


def knowledge_section(
    items: Sequence[Forecasted],
    config: DebateConfig,
    grade: Callable[[list[str]], list[dict[str, Any]]],
) -> dict[str, Any]:
    """The report's ``knowledge``: the backend and model, whether it reads only the request,
    the model's training cutoff if configured, how many outcomes were settled certainly after
    what it knows (None: cannot be told), and ``grade`` of those hypotheses' ids when they are
    some but not all of the set."""
    known = knowledge_of(config.backend, config.model)
    decidable = known.reads_only_the_request or known.cutoff is not None
    blind = [item.hypothesis_id for item in items if known.blind_to(item.resolved_on)]
    return {
        "backend": known.backend,
        "model": known.model,
        "reads_only_the_request": known.reads_only_the_request,
        "cutoff": None if known.cutoff is None else str(known.cutoff),
        "blind": len(blind) if decidable else None,
        "forecasters": grade(blind) if decidable and 0 < len(blind) < len(items) else [],
    }
