"""Write published scores into a gene page in place. Pure: text in, text out.

Only the characters that show a score change: each infobox hypothesis link's title attribute;
each Exchange line's number, its colour (the badge's band, ``wiki.badges.score_band``, when the
number wears hyposcore's own style) and, for a resolved hypothesis, the marked outcome after it;
and one marked badge line. Links and lines for hypotheses the page lacks are added; everything
else stays byte-identical, and rewriting twice gives the same text. Both places show the same
``PublishedScore``, so they cannot disagree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from common.page_scores import ScoreSource
from wiki.badges import score_band
from wiki.errors import PageEditError
from wiki.genefields import HYPOTHESES_LABEL
from wiki.genepage import HypothesisLink, ScorePlaces, parse_score_places
from wiki.hypothesis_links import BADGE_MARKER
from wiki.markup import html_attribute, html_text, markdown_text, url_segment

EXCHANGE_HEADING = "From the [SciDEX Exchange](/exchange) — scored by multi-agent debate"
_LINK_STYLE = "color:#ce93d8"
# The number's style: the colour of its band, the same function the badge is painted by.
_NUMBER_STYLE = "color:{color};font-weight:600"
# A number span in the style hyposcore writes; only such spans are recoloured on republishing.
_OWN_NUMBER_SPAN = re.compile(r'<span style="color:#[0-9a-fA-F]{6};font-weight:600">$')
# A resolved hypothesis's outcome follows its number on an Exchange line, marked as hyposcore's
# so that a later publish finds it to change or remove; the marker renders as nothing.
OUTCOMES = ("validated", "refuted")
OUTCOME_MARKER = "<!-- hyposcore:outcome -->"
_OWN_OUTCOME = re.compile(rf" · (?:{'|'.join(OUTCOMES)}){re.escape(OUTCOME_MARKER)}")
_CLOSING_SPAN = re.compile(r"</span\s*>")


def number_style(score: float) -> str:
    return _NUMBER_STYLE.format(color=score_band(score).color)


@dataclass(frozen=True)
class PublishedScore:
    """One number to show for one hypothesis, and what it is."""

    hypothesis_id: str
    title: str
    score: float
    # What the number is, e.g. "exchange rating"; shown in the infobox link's tooltip.
    label: str
    snapshot_version: int
    # "validated" or "refuted" once the hypothesis is resolved: shown after the number.
    outcome: str | None = None
    # The other numbers beside it, e.g. "composite 0.68, 80% interval 0.63–0.73"; tooltip only.
    detail: str = ""

    @property
    def outcome_text(self) -> str:
        """What follows the number on an Exchange line: nothing, or the marked outcome."""
        return "" if self.outcome is None else f" · {self.outcome}{OUTCOME_MARKER}"

    @property
    def shown(self) -> str:
        return f"{self.score:.2f}"

    @property
    def tooltip(self) -> str:
        """E.g. "Exchange rating: 0.74 (snapshot v3) · composite 0.68, 80% interval 0.63–0.73":
        the number the page shows first, then what stands beside it."""
        label = " ".join(self.label.split())
        detail = " ".join(self.detail.split())
        number = f"{label[:1].upper()}{label[1:]}: {self.shown} (snapshot v{self.snapshot_version})"
        return f"{number} · {detail}" if detail else number


# The snapshot number in a tooltip says which snapshot a number came from; it is not itself
# something a reader looks up, so a page whose other text is unchanged is not rewritten for it.
_SNAPSHOT_LABEL = re.compile(r" \(snapshot v\d+\)")


def same_for_readers(old: str, new: str) -> bool:
    """Whether ``new`` differs from ``old`` at most in the tooltips' snapshot numbers."""
    return old == new or _SNAPSHOT_LABEL.sub("", old) == _SNAPSHOT_LABEL.sub("", new)


@dataclass(frozen=True, order=True)
class _Edit:
    start: int
    end: int
    order: int
    text: str


def rewrite_scores(
    text: str,
    rows: Sequence[PublishedScore],
    *,
    gene_symbol: str,
    badge_markdown: str | None,
    source: str = "<page>",
) -> str:
    """Return ``text`` with every row's score shown in the infobox and the Exchange list.

    Raises ``PageError`` when the page cannot be parsed and ``PageEditError`` for invalid rows,
    a badge that is not one line, or a page about another gene; the caller then leaves the page
    untouched. Hypotheses on the page but not in ``rows`` are left as they are.
    """
    _check_rows(rows)
    if badge_markdown is not None and ("\n" in badge_markdown or "\r" in badge_markdown):
        raise PageEditError("badge_markdown must be a single line")
    page = parse_score_places(text, source=source)
    if page.symbol.casefold() != gene_symbol.casefold():
        raise PageEditError(f"{source} is the page of {page.symbol}, not of {gene_symbol}")
    newline = "\r\n" if "\r\n" in text else "\n"
    edits = _infobox_edits(text, page, rows, newline)
    edits += _exchange_edits(text, page, rows, gene_symbol, badge_markdown, newline)
    result = _apply(text, edits)
    _check_result(result, rows, source)
    return result


def _check_rows(rows: Sequence[PublishedScore]) -> None:
    seen: set[str] = set()
    for row in rows:
        where = f"published score for {row.hypothesis_id!r}"
        if not row.hypothesis_id.strip():
            raise PageEditError("published score with an empty hypothesis_id")
        if row.hypothesis_id in seen:
            raise PageEditError(f"{where}: given twice")
        seen.add(row.hypothesis_id)
        if not (math.isfinite(row.score) and 0.0 <= row.score <= 1.0):
            raise PageEditError(f"{where}: score {row.score!r} is outside [0, 1]")
        if not row.label.strip():
            raise PageEditError(f"{where}: empty label")
        if row.snapshot_version < 1:
            raise PageEditError(f"{where}: snapshot_version must be at least 1")
        if row.outcome is not None and row.outcome not in OUTCOMES:
            raise PageEditError(f"{where}: outcome {row.outcome!r} is not one of {OUTCOMES}")


def _links(page: ScorePlaces, source: ScoreSource) -> dict[str, HypothesisLink]:
    return {link.hypothesis_id: link for link in page.links if link.source is source}


def _infobox_edits(
    text: str, page: ScorePlaces, rows: Sequence[PublishedScore], newline: str
) -> list[_Edit]:
    present = _links(page, ScoreSource.INFOBOX)
    edits = []
    for row in rows:
        link = present.get(row.hypothesis_id)
        if link is not None:
            edits.append(_retitle(link, html_attribute(row.tooltip)))
    missing = [row for row in rows if row.hypothesis_id not in present]
    if not missing:
        return edits
    anchors = ", ".join(_new_anchor(row) for row in missing)
    cell = page.hypotheses_row
    if cell is not None:
        content = text[cell.value_span[0] : cell.value_span[1]].rstrip()
        at = cell.value_span[0] + len(content)
        edits.append(_Edit(at, at, 0, (", " if content.strip() else "") + anchors))
        return edits
    at = page.infobox_close_at
    lead = "" if text[:at].endswith("\n") else newline
    row_markup = newline.join(
        ["<tr>", f'<td class="label">{HYPOTHESES_LABEL}</td>', f"<td>{anchors}</td>", "</tr>", ""]
    )
    edits.append(_Edit(at, at, 0, lead + row_markup))
    return edits


def _retitle(link: HypothesisLink, title: str) -> _Edit:
    if link.value_span is not None:
        return _Edit(link.value_span[0], link.value_span[1], 0, title)
    if link.markup == "html":
        at = link.span[0] + link.raw.index(">")
        return _Edit(at, at, 0, f' title="{title}"')
    at = link.span[1] - 1  # before the Markdown link's closing parenthesis
    return _Edit(at, at, 0, f' "{title}"')


def _new_anchor(row: PublishedScore) -> str:
    return (
        f'<a href="/hypothesis/{url_segment(row.hypothesis_id)}" style="{_LINK_STYLE}" '
        f'title="{html_attribute(row.tooltip)}">{html_text(row.title)}</a>'
    )


def _new_exchange_line(row: PublishedScore, gene_symbol: str) -> str:
    return (
        f"- [{markdown_text(row.title)}](/hypothesis/{url_segment(row.hypothesis_id)}) — "
        f'<span style="{number_style(row.score)}">{row.shown}</span>{row.outcome_text} · '
        f"Target: {markdown_text(gene_symbol)}"
    )


def _exchange_edits(
    text: str,
    page: ScorePlaces,
    rows: Sequence[PublishedScore],
    gene_symbol: str,
    badge_markdown: str | None,
    newline: str,
) -> list[_Edit]:
    present = _links(page, ScoreSource.EXCHANGE)
    edits = []
    for row in rows:
        link = present.get(row.hypothesis_id)
        if link is not None and link.value_span is not None:
            edits.append(_Edit(link.value_span[0], link.value_span[1], 0, row.shown))
            own = _OWN_NUMBER_SPAN.search(text, link.span[0], link.value_span[0])
            if own is not None:
                edits.append(
                    _Edit(own.start(), own.end(), 0, f'<span style="{number_style(row.score)}">')
                )
            edits.extend(_outcome_edit(text, link.value_span[1], row))
    new_lines = [
        _new_exchange_line(row, gene_symbol) for row in rows if row.hypothesis_id not in present
    ]
    badge = None if badge_markdown is None else f"{badge_markdown} {BADGE_MARKER}"
    if badge is not None and page.badge_line is not None:
        edits.append(_Edit(*page.badge_line, 0, badge))
        badge = None
    # New lines go after the last Exchange line, else after the badge, else after the heading.
    anchor_end = max((link.span[1] for link in present.values()), default=None)
    if anchor_end is None and page.badge_line is not None:
        anchor_end = page.badge_line[1]
    heading = page.exchange_heading
    if badge is not None and (heading is not None or present):
        if heading is not None:
            edits.append(_line_after(text, heading[1], [badge], newline, order=1))
        else:
            first = min(link.span[0] for link in present.values())
            edits.append(_Edit(first, first, 1, badge + newline))
        badge = None
    if not new_lines and badge is None:
        return edits
    if anchor_end is None and heading is not None:
        anchor_end = heading[1]
    if anchor_end is not None:
        edits.append(_line_after(text, anchor_end, new_lines, newline, order=2))
        return edits
    block = [EXCHANGE_HEADING, *([badge] if badge else []), *new_lines]
    edits.append(_line_after(text, page.content_end, block, newline, order=2))
    return edits


def _outcome_edit(text: str, number_end: int, row: PublishedScore) -> list[_Edit]:
    """Put the row's outcome (or nothing) where hyposcore's outcome goes: right after the number
    and its closing tag, replacing one written there before."""
    closing = _CLOSING_SPAN.match(text, number_end)
    at = closing.end() if closing else number_end
    own = _OWN_OUTCOME.match(text, at)
    end = own.end() if own else at
    if text[at:end] == row.outcome_text:
        return []
    return [_Edit(at, end, 0, row.outcome_text)]


def _line_after(text: str, line_end: int, lines: list[str], newline: str, *, order: int) -> _Edit:
    """Insert whole lines after the line ending at ``line_end`` (its line ending kept)."""
    for ending in ("\r\n", "\n"):
        if text.startswith(ending, line_end):
            at = line_end + len(ending)
            return _Edit(at, at, order, "".join(line + newline for line in lines))
    before = text[:line_end]
    lead = newline if before.strip() and not before.endswith("\n") else ""
    return _Edit(line_end, line_end, order, lead + newline.join(lines) + newline)


def _apply(text: str, edits: list[_Edit]) -> str:
    pieces: list[str] = []
    cursor = 0
    for edit in sorted(edits):
        if edit.start < cursor:
            raise PageEditError(f"overlapping edits at offset {edit.start}")  # a bug, not input
        pieces.append(text[cursor : edit.start])
        pieces.append(edit.text)
        cursor = edit.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _check_result(result: str, rows: Sequence[PublishedScore], source: str) -> None:
    """Re-read the rewritten page: both places must show each row's number."""
    page = parse_score_places(result, source=source)
    shown = {(link.hypothesis_id, link.source): link.score for link in page.links}
    for row in rows:
        expected = float(row.shown)
        for where in ScoreSource:
            if shown.get((row.hypothesis_id, where)) != expected:
                raise PageEditError(
                    f"{source}: after rewriting, the {where.value} does not show "
                    f"{row.shown} for {row.hypothesis_id}"
                )
