"""The plain-text parts of a page: its title and preview, references and disease list."""

from __future__ import annotations

import re
from dataclasses import dataclass

from common.citations import normalize_citation
from wiki.errors import PageProblem
from wiki.hypothesis_links import BADGE_MARKER
from wiki.markup import MARKDOWN_LINK, read_markdown_text
from wiki.pagetext import LineIndex, split_lines

_REFERENCE_HEADINGS = frozenset({"key publications", "references", "bibliography"})
_DISEASE_ITEM = re.compile(
    r"^\s*[-*]\s+(?P<name>[^\[\]<>]+?)\s+(?:—|–|-{1,2})\s+(?:associated with|implicated in)\b",
    re.I,
)
_DISEASE_HEADING = "associated diseases"
_PREVIEW_BREAK = "..."


@dataclass(frozen=True)
class Reference:
    citation: str
    title: str

    def as_json(self) -> dict[str, str]:
        return {"citation": self.citation, "title": self.title}


@dataclass(frozen=True)
class Body:
    """Where the page's complete copy starts, after any truncated preview of itself, and where
    its content ends, before the export's own trailing "..." line if there is one."""

    title: str
    start: int
    content_end: int
    problems: tuple[PageProblem, ...]


def find_body(text: str, lines: LineIndex) -> Body:
    """Skip a truncated preview: a copy of the page's start, a line "...", then the full page.

    The full copy is recognised by its first line repeating the page's title; the last such
    copy wins, since a preview is always an incomplete copy of what follows. Only the lines
    holding "..." are looked at, so a page without a preview costs one search.
    """
    title = _title(text)
    start = 0
    at = text.find(_PREVIEW_BREAK)
    while at >= 0:
        line_start = text.rfind("\n", 0, at) + 1
        line_end = text.find("\n", at)
        if line_end < 0:
            break  # the last line: no copy follows it
        next_end = text.find("\n", line_end + 1)
        following = text[line_end + 1 : len(text) if next_end < 0 else next_end]
        if (
            line_end + 1 < len(text)
            and text[line_start:line_end].strip() == _PREVIEW_BREAK
            and following.strip() == title
        ):
            start = line_end + 1
        at = text.find(_PREVIEW_BREAK, line_end)
    problems = []
    if start:
        first_line = lines.line_of(start)
        problems.append(
            PageProblem(
                1,
                f"lines 1-{first_line - 1} are a truncated preview of the page and were skipped; "
                f"the complete copy starts at line {first_line}",
            )
        )
    content_end = len(text)
    marker = _trailing_marker(text, start)
    if marker is not None:
        content_end = marker
        problems.append(
            PageProblem(
                lines.line_of(marker) + 1,
                "the last line '...' is the export's marker, not page content; "
                "nothing is added after it",
            )
        )
    return Body(title=title, start=start, content_end=content_end, problems=tuple(problems))


def _trailing_marker(text: str, start: int) -> int | None:
    """Where the line ending before a last non-blank line "..." ends, if the page ends so."""
    stripped = text.rstrip()
    if not stripped.endswith(_PREVIEW_BREAK):
        return None
    line_start = stripped.rfind("\n") + 1
    if line_start <= start or stripped[line_start:].strip() != _PREVIEW_BREAK:
        return None
    # The end of the line before it (before its "\r\n" or "\n"), where lines are appended.
    before = line_start - 1
    return before - 1 if text[before - 1 : before] == "\r" else before


def _title(text: str) -> str:
    """The first line that is not blank, stripped (and without a byte order mark)."""
    line_start = 0
    while line_start < len(text):
        line_end = text.find("\n", line_start)
        line_end = len(text) if line_end < 0 else line_end
        line = text[line_start:line_end].strip()
        if line:
            return line.lstrip("\ufeff").strip()
        line_start = line_end + 1
    return ""


def read_references(
    text: str, start: int, lines: LineIndex
) -> tuple[list[Reference], list[PageProblem]]:
    """DOI/PMID links in the Key Publications and References sections, canonical and unique.

    A section is the run of link lines under its heading; its last line may run into the next
    heading ("…(https://doi.org/…)See Also"), which is why links, not lines, are read.
    """
    references: dict[str, Reference] = {}
    problems: list[PageProblem] = []
    in_section = False
    offset = start
    for row in split_lines(text[start:]):
        stripped = row.strip()
        if stripped.lower().rstrip(":") in _REFERENCE_HEADINGS:
            in_section = True
        elif in_section and BADGE_MARKER in row:
            pass  # the published badge may sit right under the last reference
        elif in_section and stripped.startswith("["):
            for link in MARKDOWN_LINK.finditer(row):
                key = normalize_citation(link["url"])
                if key is not None:
                    references.setdefault(key, Reference(key, read_markdown_text(link["text"])))
                elif link.start() == 0:
                    problems.append(
                        PageProblem(
                            lines.line_of(offset),
                            f"reference link is neither a DOI nor a PMID: {link['url']!r}",
                        )
                    )
        elif in_section and stripped:
            in_section = False
        offset += len(row)
    return list(references.values()), problems


def read_disease_list(text: str, start: int) -> list[str]:
    """Names in the "Associated Diseases" section: ``- Alzheimer's disease — associated with``."""
    names: list[str] = []
    in_section = False
    for row in split_lines(text[start:]):
        if row.strip().lower() == _DISEASE_HEADING:
            in_section = True
            continue
        match = _DISEASE_ITEM.match(row) if in_section else None
        if match:
            names.append(" ".join(match["name"].split()))
    return names
