"""Converting debate turns between the debates' records and the ledger's rows."""

from __future__ import annotations

from typing import Any

from debates.backends.base import Usage
from debates.schema import TurnOutput
from debates.types import TurnRecord
from storage.models import DebateTurn
from storage.queries.prebuilt import AnyRow


def turn_fields(record: TurnRecord) -> dict[str, Any]:
    """The DebateTurn columns for a finished turn (all but evaluation, round and persona)."""
    output = record.output
    return {
        "backend": record.backend,
        "model": record.model,
        "argument": output.argument,
        "claims": [claim.model_dump(mode="json") for claim in output.claims],
        "scores": {dimension.value: value for dimension, value in output.scores.items()},
        "confidence": output.confidence,
        "probability": output.probability,
        "verdict": output.verdict.value,
        "unsupported_citations": list(record.unsupported_citations),
        "prompt_tokens": record.usage.prompt_tokens,
        "completion_tokens": record.usage.completion_tokens,
        "cost_usd": record.usage.cost_usd,
        "cached_read_tokens": record.usage.cached_read_tokens,
        "cache_write_tokens": record.usage.cache_write_tokens,
        "latency_ms": record.latency_ms,
    }


def turn_record(row: DebateTurn | AnyRow) -> TurnRecord:
    """A stored turn as the debate runner sees it, so a resumed debate skips it."""
    output = TurnOutput.model_validate(
        {
            "argument": row.argument,
            "claims": row.claims,
            "scores": row.scores,
            "confidence": row.confidence,
            "probability": row.probability,
            "verdict": row.verdict,
        }
    )
    return TurnRecord(
        round=row.round,
        persona=row.persona,
        output=output,
        unsupported_citations=tuple(row.unsupported_citations),
        backend=row.backend,
        model=row.model,
        usage=Usage(
            row.prompt_tokens,
            row.completion_tokens,
            row.cost_usd,
            row.cached_read_tokens,
            row.cache_write_tokens,
        ),
        latency_ms=row.latency_ms,
    )
