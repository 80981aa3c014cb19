"""What a backtest's debating models may have known, as its report stores it and as every
view says it in one sentence (``workers.backtest_knowledge`` builds it).

Each debate is judged by its own model's training cutoff, and workers of several models may
share one backtest, so the sentence names each model beside its own cutoff, and which of them
has none: a pairing read off two separately sorted lists would give a model another's day.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.forecaster_schemas import ForecasterOut
from debates.backends.knowledge import cutoffs_variable


class DebatedByOut(BaseModel):
    """One model, and one training cutoff of it, that debated some of the set."""

    model: str | None = Field(
        description="Null: the debate's model was not recorded (begun before the ledger "
        "kept it, migration 0031, and not told by 0032)."
    )
    cutoff: str | None = Field(
        description="The last day of the model's configured training cutoff when the debate "
        "began; null when none was configured."
    )
    debates: int = Field(ge=1, description="How many of the set's debates it answered.")


class KnowledgeOut(BaseModel):
    """What the backend that debated may have known beyond the blind cases
    (workers.backtest_knowledge): a model's training data may hold the outcomes."""

    backend: str
    model: str | None
    reads_only_the_request: bool = Field(
        description="True for a backend that knows nothing but what it is asked (offline)."
    )
    cutoff: str | None = Field(
        description="The models' configured training-data cutoffs, earliest first; `models` "
        "says which model each belongs to."
    )
    models: list[DebatedByOut] = Field(
        default_factory=list,
        description="Each model that debated with its cutoff, a row for each cutoff it "
        "debated under; empty for a backend that reads only the request and in reports "
        "stored before it.",
    )
    blind: int | None = Field(
        description="Outcomes settled certainly after what the backend knows; null when that "
        "cannot be told (a model with no configured cutoff)."
    )
    forecasters: list[ForecasterOut] = Field(
        description="The exchange rating and composite graded on those outcomes alone, when "
        "the cutoff splits the set."
    )


def knowledge_text(known: KnowledgeOut, *, n: int) -> str:
    """One sentence for every view: which of the graded outcomes the backend cannot have read."""
    if known.reads_only_the_request:
        who = _who(known.backend, known.model)
        return f"Debated by {who}, which reads only the blind case: all {n} outcomes are unseen."
    if len(known.models) > 1 or (known.models and known.models[0].model is None):
        return _several_text(known, n)
    # One model, or a report stored before the models were kept beside their cutoffs.
    only = known.models[0] if known.models else None
    who = _who(known.backend, known.model if only is None else only.model)
    if known.blind is None:
        return (
            f"Debated by {who}, a model with no configured training cutoff: it may have read "
            f"any of these {n} outcomes in training, so the grades are not shown to be blind "
            f"{_cutoffs_hint(known)}."
        )
    cutoff, it = (known.cutoff, "its debate's cutoff") if only is None else (only.cutoff, "it")
    return _blind_text(known, n, f"{who}, trained to {cutoff}", it)


def _several_text(known: KnowledgeOut, n: int) -> str:
    """The sentence when workers of several models (or of one not recorded) debated the set,
    each debate by its own model."""
    who = f"{known.backend} ({'; '.join(_model_parts(known.models))})"
    if known.blind is not None:
        return _blind_text(known, n, who, "its debate's cutoff")
    uncut = any(row.model is not None and row.cutoff is None for row in known.models)
    unrecorded = any(row.model is None for row in known.models)
    lacking = " or ".join(
        [
            *(["by a model with no configured training cutoff"] if uncut else []),
            *(["whose model was not recorded"] if unrecorded else []),
        ]
    )
    hint = f" {_cutoffs_hint(known)}" if uncut else ""
    return (
        f"Debated by {who}: a debate {lacking} may have read its outcome in training, so the "
        f"grades are not shown to be blind{hint}."
    )


def _model_parts(rows: list[DebatedByOut]) -> list[str]:
    """Each model with what it was trained to, in the order of the rows (named models by
    name, then the debates whose model was not recorded)."""
    cutoffs: dict[str | None, list[str | None]] = {}
    for row in rows:
        cutoffs.setdefault(row.model, []).append(row.cutoff)
    parts = []
    for model, days in cutoffs.items():
        if model is None:
            debates = sum(row.debates for row in rows if row.model is None)
            parts.append(f"{debates} debate{'s' if debates != 1 else ''} by a model not recorded")
        elif days == [None]:
            parts.append(f"{model}, with no configured training cutoff")
        else:
            said = [f"to {day}" for day in days if day is not None]
            said += ["with no configured cutoff"] if None in days else []
            several = f"{', '.join(said[:-1])} in some debates and {said[-1]} in others"
            parts.append(f"{model}, trained {several if len(said) > 1 else said[0]}")
    return parts


def _blind_text(known: KnowledgeOut, n: int, trained: str, it: str) -> str:
    if known.blind == n:
        return f"Debated by {trained}: all {n} outcomes came after {it}."
    if known.blind == 0:
        return (
            f"Debated by {trained}: none of the {n} outcomes came after {it}, so it may have "
            "read any of them in training and the grades are not blind."
        )
    said = (
        f"Debated by {trained}: {known.blind} of the {n} outcomes came after {it}, and only "
        "those are certainly unseen"
    )
    for row in known.forecasters:
        auc = "—" if row.auc is None else f"{row.auc:.3f}"
        said += f"; on them, {row.name} Brier {row.brier:.3f}, AUC {auc}"
    return said + "."


def _cutoffs_hint(known: KnowledgeOut) -> str:
    return f"(set {cutoffs_variable(known.backend)})"


def _who(backend: str, model: str | None) -> str:
    return backend + (f" ({model})" if model else "")
