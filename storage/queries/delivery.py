"""How an evaluation's turns are asked: live, or through a provider's batch API.

The choice is made once, when the evaluation is queued (``workers.dispatch.debate_config``),
and kept in its configuration as ``delivery``; live work has no such key, so the configuration
hashes of live work are what they always were.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func

from storage.models import Evaluation

# config["delivery"] of work that can wait: its turns go through the provider's batch API.
BATCH_DELIVERY = "batch"


def delivery_of(config: Mapping[str, Any]) -> str:
    """How an evaluation's turns are asked: "batch" (a provider batch) or "live"."""
    return str(config.get("delivery") or "live")


def is_batch_delivery() -> Any:
    """A SQL condition: the evaluation's configuration asks for batch delivery."""
    return func.coalesce(Evaluation.config["delivery"].as_string(), "live") == BATCH_DELIVERY
