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
