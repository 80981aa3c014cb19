"""What can go wrong with a gene page: soft problems that are reported, and hard errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.problems import Problem


@dataclass(frozen=True)
class PageProblem:
    """Something on a page that could not be read; it was skipped and the rest was kept."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return self.message if self.line is None else f"line {self.line}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message}


class PageError(ValueError):
    """A page that cannot be used at all; each problem names the file (and line if known)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def page_error(source: str, message: str, *, line: int | None = None, **where: str) -> PageError:
    """A one-problem ``PageError`` for ``source``."""
    return PageError([Problem(source, message, line=line, **where)])


class PageEditError(ValueError):
    """The editor was asked for something it must not do (bad rows, the wrong gene's page)."""
