"""What the backend that debated a backtest may have known beyond its blind cases.

The as-of rule (``debates.asof``) keeps the answer out of a blind case, not out of a model's
training data: a model trained after a trial was published may remember how it came out. The
report says which outcomes the backend cannot have read (``debates.backends.knowledge``) and,
when a model's training cutoff splits the set, grades the ratings on those outcomes alone.

Each debate is judged by what its own backend knew: the worker records the model it asked
for and that model's cutoff when the debate starts, and a worker may be configured otherwise
than the process that builds the report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from debates.backends.knowledge import Knowledge, knowledge_of
from debates.types import DebateConfig
from workers.backtest import Forecasted


def knowledge_section(
    items: Sequence[Forecasted],
    config: DebateConfig,
    grade: Callable[[list[str]], list[dict[str, Any]]],
) -> dict[str, Any]:
    """The report's ``knowledge``: the backend and the models that debated, whether it reads
    only the request, the models' training cutoffs (each its last possible day) where known,
    each model beside its own cutoff (``models``), how many outcomes were settled certainly
    after what their debate's model knew (None: cannot be told for every one), and ``grade``
    of those hypotheses' ids when they are some but not all of the set."""
    configured = knowledge_of(config.backend, config.model)
    debated = [(item, item.knowledge or configured) for item in items]
    verdicts = {item.hypothesis_id: knew.blind_to(item.resolved_on) for item, knew in debated}
    decidable = None not in verdicts.values()
    blind = [hypothesis for hypothesis, unseen in verdicts.items() if unseen]
    known = [knew for _, knew in debated] or [configured]
    models = sorted({k.model for k in known if k.model is not None})
    cutoffs = sorted({k.cutoff.latest for k in known if k.cutoff is not None})
    return {
        "backend": known[0].backend,
        "model": ", ".join(models) or None,
        "reads_only_the_request": all(k.reads_only_the_request for k in known),
        "cutoff": ", ".join(map(str, cutoffs)) or None,
        "models": _models_that_debated(knew for _, knew in debated),
        "blind": len(blind) if decidable else None,
        "forecasters": grade(blind) if decidable and 0 < len(blind) < len(items) else [],
    }


def _models_that_debated(known: Iterable[Knowledge]) -> list[dict[str, Any]]:
    """Each model with a cutoff it debated under and how many debates it answered so: a row
    for each cutoff of a model configured anew between its debates, named models first and
    one not recorded last, none for a backend that reads only the request."""
    debated = Counter(
        (knew.model, None if knew.cutoff is None else str(knew.cutoff.latest))
        for knew in known
        if not knew.reads_only_the_request
    )
    rows = sorted(debated, key=lambda row: (row[0] is None, row[0] or "", row[1] or ""))
    return [
        {"model": model, "cutoff": cutoff, "debates": debated[model, cutoff]}
        for model, cutoff in rows
    ]
