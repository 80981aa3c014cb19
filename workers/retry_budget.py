"""How long a model-backed evaluation keeps trying a provider that fails or rate-limits it.

The budget is per request, not per debate: a debate of twenty turns whose every request fails
once before it succeeds is healthy, and must not fail as if one request had failed twenty
times. A request is "the next turn": the count of failures starts again whenever a turn was
stored since the last failure. Waits for a 429's Retry-After are not failures (the provider
asked for them); they are bounded by the total time waited instead.

The budget travels in the task's retry message, so it survives the worker that counted it.
How long each retry waits is ``backoff_seconds``: exponential, jittered, capped.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

MAX_FAILURES_PER_REQUEST = 6
MAX_RATE_LIMIT_WAIT_SECONDS = 3600.0
# The default; HYPOSCORE_RETRY_BACKOFF_SECONDS sets it per deployment.
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 120.0


def backoff_seconds(retries: int, base: float = BACKOFF_BASE_SECONDS) -> float:
    """Exponential back-off with full jitter: uniform in [0.5, 1.5) of base·2^retries, capped."""
    return min(BACKOFF_CAP_SECONDS, base * 2.0**retries) * (0.5 + random.random())


class BudgetSpentError(Exception):
    """The provider kept failing one request, or kept the evaluation waiting too long."""


@dataclass(frozen=True)
class RetryBudget:
    """What this evaluation's retries have spent so far."""

    # Turns stored when the request that is failing was made; -1 before any failure.
    turns_done: int = -1
    # Consecutive failures of that request (429s not counted).
    failures: int = 0
    # Seconds waited for rate limits, over every request.
    rate_limited_seconds: float = 0.0

    @classmethod
    def from_message(cls, raw: Any) -> RetryBudget:
        """The budget a retry message carried; a fresh one for a first delivery or bad data."""
        if not isinstance(raw, dict):
            return cls()
        try:
            return cls(
                turns_done=int(raw.get("turns_done", -1)),
                failures=int(raw.get("failures", 0)),
                rate_limited_seconds=float(raw.get("rate_limited_seconds", 0.0)),
            )
        except (TypeError, ValueError):
            return cls()

    def as_message(self) -> dict[str, Any]:
        return asdict(self)

    def after_failure(self, turns_done: int, error: Exception) -> RetryBudget:
        """Count a retryable failure of the request made after ``turns_done`` stored turns."""
        failures = self.failures + 1 if turns_done == self.turns_done else 1
        if failures > MAX_FAILURES_PER_REQUEST:
            raise BudgetSpentError(
                f"provider kept failing one request: {MAX_FAILURES_PER_REQUEST} retries "
                f"after turn {turns_done}; last error: {error}"
            )
        return RetryBudget(turns_done, failures, self.rate_limited_seconds)

    def after_rate_limit(self, wait_seconds: float, error: Exception) -> RetryBudget:
        """Count a wait the provider asked for; not a failure, but bounded in total."""
        waited = self.rate_limited_seconds + max(0.0, wait_seconds)
        if waited > MAX_RATE_LIMIT_WAIT_SECONDS:
            raise BudgetSpentError(
                f"provider kept rate-limiting: waiting would pass "
                f"{MAX_RATE_LIMIT_WAIT_SECONDS:.0f} s in all; last error: {error}"
            )
        return RetryBudget(self.turns_done, self.failures, waited)
