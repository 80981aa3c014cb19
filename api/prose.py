"""Debate text as HTML that keeps its structure: paragraphs, bullet lists, linked citations.

Arguments are plain text written line by line (a heading, then "- PMID:… (supports; …)"); run
together in one <p> they became a wall of text. Every piece of text is escaped here and the only
markup added is <p>, <ul>, <li> and <a> to PubMed or doi.org, so the result is safe to embed.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from common.citations import citation_url, normalize_citation

_CITATION = re.compile(r"\b(?:PMID:\s?\d{1,9}|DOI:\s?10\.\d{4,9}/[^\s,;()\[\]]+)", re.I)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")


def linked_citations(text: str) -> Markup:
    """``text`` escaped, with each PMID/DOI key turned into a link."""
    parts: list[str] = []
    last = 0
    for match in _CITATION.finditer(text):
        raw = match.group(0).rstrip(".")
        end = match.start() + len(raw)
        key = normalize_citation(raw)
        url = citation_url(key) if key else None
        parts.append(str(escape(text[last : match.start()])))
        if url is None:
            parts.append(str(escape(raw)))
        else:
            parts.append(
                f'<a class="citation" href="{escape(url)}" rel="noopener noreferrer">'
                f"{escape(raw)}</a>"
            )
        last = end
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))  # noqa: S704 - every piece above is escaped


def transcript_html(text: str) -> Markup:
    """Paragraphs for runs of lines, lists for runs of bullet lines, citations as links."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append("<p>" + "<br>".join(paragraph) + "</p>")
            paragraph.clear()
        if items:
            blocks.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
            items.clear()

    for line in text.splitlines():
        bullet = _BULLET.match(line)
        if not line.strip():
            flush()
        elif bullet:
            if paragraph:
                flush()
            items.append(str(linked_citations(line[bullet.end() :].strip())))
        else:
            if items:
                flush()
            paragraph.append(str(linked_citations(line.strip())))
    flush()
    return Markup("".join(blocks))  # noqa: S704 - built from escaped pieces only
