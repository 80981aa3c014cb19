"""Errors that callers (CLI, API, workers) turn into clear messages."""

from __future__ import annotations

from common.problems import Problem

# Problem lives in common (the page parser reports with it too); storage's callers keep
# importing it from here with the errors it travels in.
__all__ = ["InvalidInputError", "NotFoundError", "Problem", "StorageError"]


class StorageError(Exception):
    """Base of every error storage raises on purpose."""


class NotFoundError(StorageError):
    """A named record does not exist."""


class InvalidInputError(StorageError):
    """An import was refused; nothing was written. ``problems`` says what and where."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class IdempotencyConflictError(StorageError):
    """An Idempotency-Key came back with a request other than the one it was first used for."""

    def __init__(self, key: str, evaluation_id: int) -> None:
        self.key = key
        self.evaluation_id = evaluation_id
        super().__init__(
            f"Idempotency-Key {key!r} was first used for a different request (the one that "
            f"queued evaluation {evaluation_id}); a key stands for one request only: send this "
            "request with a new key"
        )
