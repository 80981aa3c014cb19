"""Hypothesis links and the scores a page shows beside them: infobox links and Exchange lines."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from common.page_scores import ScoreSource
from common.problems import Problem
from wiki.errors import PageProblem
from wiki.markup import (
    ANCHOR,
    MARKDOWN_LINK,
    attribute,
    read_markdown_text,
    read_url_segment,
    visible_text,
)
from wiki.pagetext import LineIndex

_HYPOTHESIS_URL = re.compile(r"^(?:https?://[^/\s]+)?/hypothesis/(?P<id>[^/?#\s]+)/?$")
# "Score: 0.80", and what the editor writes: "Exchange rating: 0.74 (snapshot v3)".
_LABELLED_NUMBER = re.compile(r"^\s*(?P<label>[^:]{1,80}):\s*(?P<number>\S+?)(?=[\s(]|$)")
_NUMBER = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)$")
_EXCHANGE_CANDIDATE = re.compile(r"^\s*[-*]\s+\[.*\]\(\s*(?:https?://[^/\s]+)?/hypothesis/", re.I)
# Every Exchange line has one; searching for it is much faster than trying each line.
_HYPOTHESIS_PATH = re.compile(r"/hypothesis/", re.I)
_EXCHANGE_LINE = re.compile(
    r"^(?P<lead>\s*[-*]\s+)\[(?P<title>(?:\\.|[^\]\\])*)\]\((?P<url>[^()\s]+)\)"
    r"\s*(?:—|–|-{1,2})\s*"
    r"(?:<span\b(?P<attrs>[^>]*)>(?P<score>[^<]*)</span\s*>|(?P<bare>[-+]?[\d.]+))"
    r"(?P<rest>.*?)$"
)
# The heading links to the Exchange; a plain mention is the fallback.
_EXCHANGE_HEADINGS = (
    re.compile(r"\[SciDEX Exchange\]\(", re.I),
    re.compile(r"\bSciDEX Exchange\b", re.I),
)
BADGE_MARKER = "<!-- hyposcore:badge -->"


@dataclass(frozen=True)
class HypothesisLink:
    """One place a page links a hypothesis, with the score it shows there (if any)."""

    hypothesis_id: str
    title: str
    source: ScoreSource
    score: float | None
    raw: str
    line: int
    # The whole link (infobox) or the whole list line without its newline (Exchange).
    span: tuple[int, int]
    # The text holding the number: the title attribute's value, or the <span>'s content;
    # None when an infobox link has no title yet.
    value_span: tuple[int, int] | None
    markup: Literal["html", "markdown"]


@dataclass(frozen=True)
class ScoreReading:
    links: list[HypothesisLink]
    problems: list[PageProblem]
    errors: list[Problem]


def hypothesis_id_of(url: str) -> str | None:
    match = _HYPOTHESIS_URL.match(html.unescape(url).strip())
    return read_url_segment(match["id"]) if match else None


def read_infobox_links(
    text: str, cell_span: tuple[int, int], *, lines: LineIndex, source: str
) -> ScoreReading:
    """Hypothesis links in the infobox cell at ``cell_span``: HTML anchors and Markdown links."""
    reading = ScoreReading([], [], [])
    start, end = cell_span
    anchors = list(ANCHOR.finditer(text, start, end))
    for anchor in anchors:
        href = attribute(anchor["attrs"], "href")
        hypothesis_id = hypothesis_id_of(href["value"]) if href else None
        if hypothesis_id is None:
            continue
        title = attribute(anchor["attrs"], "title")
        value_span = None
        if title is not None:
            offset = anchor.start("attrs")
            value_span = (offset + title.start("value"), offset + title.end("value"))
        _add_infobox_link(
            reading,
            text,
            anchor,
            hypothesis_id,
            visible_text(anchor["text"]),
            value_span,
            "html",
            lines=lines,
            source=source,
        )
    for link in MARKDOWN_LINK.finditer(text, start, end):
        if any(a.start() <= link.start() < a.end() for a in anchors):
            continue
        hypothesis_id = hypothesis_id_of(link["url"])
        if hypothesis_id is None:
            continue
        value_span = link.span("title") if link["title"] is not None else None
        _add_infobox_link(
            reading,
            text,
            link,
            hypothesis_id,
            read_markdown_text(link["text"]),
            value_span,
            "markdown",
            lines=lines,
            source=source,
        )
    reading.links.sort(key=lambda item: item.span)
    return reading


def _add_infobox_link(
    reading: ScoreReading,
    text: str,
    match: re.Match[str],
    hypothesis_id: str,
    title: str,
    value_span: tuple[int, int] | None,
    markup: Literal["html", "markdown"],
    *,
    lines: LineIndex,
    source: str,
) -> None:
    line = lines.line_of(match.start())
    score = None
    if value_span is None:
        reading.problems.append(
            PageProblem(line, f"infobox link to {hypothesis_id} shows no score (no title)")
        )
    else:
        shown = html.unescape(text[value_span[0] : value_span[1]])
        labelled = _LABELLED_NUMBER.match(shown)
        score = _read_score(
            labelled["number"] if labelled else shown,
            reading,
            hypothesis_id,
            ScoreSource.INFOBOX,
            line=line,
            source=source,
        )
    reading.links.append(
        HypothesisLink(
            hypothesis_id=hypothesis_id,
            title=title,
            source=ScoreSource.INFOBOX,
            score=score,
            raw=match.group(0),
            line=line,
            span=match.span(),
            value_span=value_span,
            markup=markup,
        )
    )


def read_exchange_lines(text: str, start: int, *, lines: LineIndex, source: str) -> ScoreReading:
    """Exchange list lines ``- [title](/hypothesis/ID) — <span …>0.73</span> · Target: X``."""
    reading = ScoreReading([], [], [])
    rest = text[start:]  # the first line starts at ``start``
    for line_start, line_text in _lines_with(rest, _HYPOTHESIS_PATH, start):
        if not _EXCHANGE_CANDIDATE.match(line_text):
            continue
        line = lines.line_of(line_start)
        match = _EXCHANGE_LINE.match(line_text)
        hypothesis_id = hypothesis_id_of(match["url"]) if match else None
        if match is None or hypothesis_id is None:
            reading.problems.append(
                PageProblem(
                    line, f"hypothesis list line not understood: {line_text.strip()[:80]!r}"
                )
            )
            continue
        group = "score" if match["score"] is not None else "bare"
        score = _read_score(
            match[group].strip(),
            reading,
            hypothesis_id,
            ScoreSource.EXCHANGE,
            line=line,
            source=source,
        )
        reading.links.append(
            HypothesisLink(
                hypothesis_id=hypothesis_id,
                title=read_markdown_text(match["title"]),
                source=ScoreSource.EXCHANGE,
                score=score,
                raw=line_text,
                line=line,
                span=(line_start, line_start + len(line_text)),
                value_span=(line_start + match.start(group), line_start + match.end(group)),
                markup="markdown",
            )
        )
    return reading


def _read_score(
    shown: str,
    reading: ScoreReading,
    hypothesis_id: str,
    where: ScoreSource,
    *,
    line: int,
    source: str,
) -> float | None:
    if not _NUMBER.match(shown):
        reading.problems.append(
            PageProblem(line, f"{where.value} score of {hypothesis_id} is not a number: {shown!r}")
        )
        return None
    value = float(shown)
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        reading.errors.append(
            Problem(
                source,
                f"score {shown} is outside [0, 1]",
                record=hypothesis_id,
                field=f"{where.value} score",
                line=line,
            )
        )
        return None
    return value


def _line_at(text: str, at: int, offset: int) -> tuple[int, str]:
    """(offset, text without its line ending) of the line of ``text`` holding ``at``, with
    ``offset`` added to positions; the first line of ``text`` starts at 0."""
    line_start = text.rfind("\n", 0, at) + 1
    line_end = text.find("\n", at)
    line_text = text[line_start : len(text) if line_end < 0 else line_end].rstrip("\r")
    return offset + line_start, line_text


def _lines_with(text: str, pattern: re.Pattern[str], offset: int) -> Iterator[tuple[int, str]]:
    """``_line_at`` of each line of ``text`` in which ``pattern`` matches, in order."""
    at = 0
    while (found := pattern.search(text, at)) is not None:
        yield _line_at(text, found.start(), offset)
        at = text.find("\n", found.start()) + 1
        if not at:
            return


def find_exchange_heading(text: str, start: int) -> tuple[int, int] | None:
    """Span (without line ending) of the line introducing the Exchange list."""
    rest = text[start:]  # the first line starts at ``start``
    for heading in _EXCHANGE_HEADINGS:
        for line_start, line_text in _lines_with(rest, heading, start):
            if BADGE_MARKER not in line_text:
                return line_start, line_start + len(line_text)
    return None


def find_badge_line(text: str, start: int) -> tuple[int, int] | None:
    at = text.find(BADGE_MARKER, start)
    if at < 0:
        return None
    line_start, line_text = _line_at(text[start:], at - start, start)
    return line_start, line_start + len(line_text)
