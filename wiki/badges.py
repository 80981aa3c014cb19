"""Score badges: SVG images, shields.io endpoint JSON and an embeddable HTML snippet.

Pure functions over plain values (no database): the API and the publisher read the numbers from
the latest score snapshots and hand them here, so a badge always shows the stored number.

Text is measured with a per-character advance-width table for Verdana 11px, the font the SVG
declares (falling back to DejaVu Sans, whose widths are close), so a badge fits its text the way
shields.io and badgen badges do; ``textLength`` pins the rendered width to the measured one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from itertools import repeat
from typing import Any

from common.text import neutralise, shorten_title
from scoring.legends import EXCHANGE_RATING, RESOLVED

FONT_FAMILY = "Verdana,Geneva,DejaVu Sans,sans-serif"
FONT_SIZE_PX = 11
HEIGHT = 20
PADDING = 6  # horizontal space on each side of a text

# Advance widths in pixels of Verdana at 11px (the font's advance units / 2048 * 11).
_VERDANA_11: dict[str, float] = {
    " ": 3.87, "!": 4.33, '"': 5.05, "#": 9.0, "$": 6.99, "%": 11.84, "&": 7.99, "'": 2.95,
    "(": 4.99, ")": 4.99, "*": 6.99, "+": 9.0, ",": 4.0, "-": 4.99, ".": 4.0, "/": 4.99,
    "0": 6.99, "1": 6.99, "2": 6.99, "3": 6.99, "4": 6.99, "5": 6.99, "6": 6.99, "7": 6.99,
    "8": 6.99, "9": 6.99, ":": 4.99, ";": 4.99, "<": 9.0, "=": 9.0, ">": 9.0, "?": 5.99,
    "@": 11.0, "A": 7.52, "B": 7.54, "C": 7.68, "D": 8.48, "E": 6.96, "F": 6.32, "G": 8.53,
    "H": 8.27, "I": 4.63, "J": 5.0, "K": 7.62, "L": 6.12, "M": 9.27, "N": 8.23, "O": 8.66,
    "P": 6.63, "Q": 8.66, "R": 7.65, "S": 7.52, "T": 6.78, "U": 8.05, "V": 7.52, "W": 10.88,
    "X": 7.54, "Y": 6.77, "Z": 7.54, "[": 4.99, "\\": 4.99, "]": 4.99, "^": 9.0, "_": 6.99,
    "`": 6.99, "a": 6.61, "b": 6.85, "c": 5.73, "d": 6.85, "e": 6.55, "f": 3.87, "g": 6.85,
    "h": 6.96, "i": 3.02, "j": 3.79, "k": 6.51, "l": 3.02, "m": 10.7, "n": 6.96, "o": 6.68,
    "p": 6.85, "q": 6.85, "r": 4.69, "s": 5.73, "t": 4.33, "u": 6.96, "v": 6.51, "w": 8.98,
    "x": 6.51, "y": 6.51, "z": 5.78, "{": 6.98, "|": 4.99, "}": 6.98, "~": 9.0,
    "·": 4.0, "–": 6.99, "—": 11.0, "↑": 9.0, "↓": 9.0, "→": 9.0,
}  # fmt: skip
# Characters outside the table (other scripts, symbols) are measured as a wide glyph so a badge
# is never too narrow for them.
_FALLBACK_WIDTH = _VERDANA_11["m"]


def xml_text(text: str) -> str:
    """Text for an SVG element or attribute: characters XML 1.0 forbids (controls) and
    bidirectional overrides replaced, then markup escaped; the badge stays well-formed XML."""
    return escape(neutralise(text), quote=True)


def text_width(text: str) -> float:
    """Rendered width in pixels of ``text`` in Verdana 11px."""
    return sum(map(_VERDANA_11.get, text, repeat(_FALLBACK_WIDTH)))


@dataclass(frozen=True)
class Band:
    """A score band: scores at or above ``floor`` (and below the next band) get ``color``."""

    name: str
    floor: float
    color: str


# The documented score bands (docs/api.md), highest first.
BANDS: tuple[Band, ...] = (
    Band("strong", 0.80, "#2e7d32"),
    Band("good", 0.65, "#4c9a2a"),
    Band("moderate", 0.50, "#b58900"),
    Band("weak", 0.35, "#d9641e"),
    Band("poor", 0.0, "#c62828"),
)
UNSCORED = Band("unscored", math.nan, "#757575")
LABEL_COLOR = "#555555"
# A change smaller than this (half the last shown digit) is shown as steady.
STEADY_EPSILON = 0.005


def score_band(score: float | None) -> Band:
    if score is None or math.isnan(score):
        return UNSCORED
    for band in BANDS:
        if score >= band.floor:
            return band
    return BANDS[-1]


def trend_arrow(score: float | None, previous: float | None) -> str:
    """ "↑", "↓" or "→" for the change since the previous snapshot; "" with nothing to compare."""
    if score is None or previous is None:
        return ""
    delta = score - previous
    if delta >= STEADY_EPSILON:
        return "↑"
    if delta <= -STEADY_EPSILON:
        return "↓"
    return "→"


@dataclass(frozen=True)
class BadgeScore:
    """What one hypothesis badge shows: a label, its exchange rating and the one before it,
    and, once the hypothesis is resolved, its outcome ("validated" or "refuted")."""

    label: str
    score: float | None
    previous: float | None = None
    outcome: str | None = None

    @property
    def message(self) -> str:
        if self.outcome is not None:
            # Settled: the outcome says more than which way the rating last moved.
            shown = "unscored" if self.score is None else f"{self.score:.2f}"
            return f"{shown} · {self.outcome}"
        if self.score is None:
            return "unscored"
        arrow = trend_arrow(self.score, self.previous)
        return f"{self.score:.2f} {arrow}".rstrip()

    @property
    def band(self) -> Band:
        return score_band(self.score)


def _segment_width(text: str) -> int:
    return math.ceil(text_width(text)) + 2 * PADDING


def _row(label: str, message: str, color: str, *, y: int, label_w: int, message_w: int) -> str:
    # Coordinates are scaled by 10 in the text elements, as shields does, for crisp rendering.
    label_x = label_w * 5
    message_x = (label_w + message_w / 2) * 10
    return (
        f'<rect y="{y}" width="{label_w}" height="{HEIGHT}" fill="{LABEL_COLOR}"/>'
        f'<rect x="{label_w}" y="{y}" width="{message_w}" height="{HEIGHT}" fill="{color}"/>'
        f'<text x="{label_x}" y="{(y + 14) * 10}" transform="scale(.1)" '
        f'textLength="{math.ceil(text_width(label)) * 10}">{xml_text(label)}</text>'
        f'<text x="{message_x:.0f}" y="{(y + 14) * 10}" transform="scale(.1)" '
        f'textLength="{math.ceil(text_width(message)) * 10}">{xml_text(message)}</text>'
    )


def _assemble(rows: Sequence[tuple[str, str, str]], title: str) -> str:
    label_w = max(_segment_width(label) for label, _, _ in rows)
    message_w = max(_segment_width(message) for _, message, _ in rows)
    shapes = []
    for index, (label, message, color) in enumerate(rows):
        shapes.append(
            _row(label, message, color, y=index * HEIGHT, label_w=label_w, message_w=message_w)
        )
    body = "".join(shapes)
    width, height = label_w + message_w, HEIGHT * len(rows)
    safe_title = xml_text(title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{safe_title}"><title>{safe_title}</title>'
        f'<clipPath id="r"><rect width="{width}" height="{height}" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)" fill="#fff" text-anchor="middle" font-family="{FONT_FAMILY}" '
        f'font-size="{FONT_SIZE_PX * 10}">{body}</g></svg>'
    )


def hypothesis_badge_svg(badge: BadgeScore) -> str:
    """A two-part badge: the label, then the rating with its trend arrow in the band's colour.

    Its tooltip says what the number is, in the legend every view uses.
    """
    return _assemble(
        [(badge.label, badge.message, badge.band.color)],
        f"{badge.label}: {badge.message}. {_legends([badge])}",
    )


def _legends(badges: Sequence[BadgeScore]) -> str:
    """The tooltip's legends: the headline's, and the outcome's when a row shows one."""
    resolved = any(badge.outcome is not None for badge in badges)
    return f"{EXCHANGE_RATING}." + (f" {RESOLVED}." if resolved else "")


def reading_order(score: float | None, outcome: str | None) -> tuple[bool, bool, float]:
    """Where a hypothesis goes in a gene's list: scored before unscored, open before resolved
    (their ratings rank with nothing still open), best score first. The badge, the gene's
    view and the lines a publish adds to a page all order by it; each breaks ties its own way.
    """
    return (score is None, outcome is not None, -(score or 0.0))


def gene_badge_svg(symbol: str, hypotheses: Sequence[BadgeScore]) -> str:
    """A stacked badge: a header row for the gene, then one row per hypothesis.

    Rows are ordered here (``reading_order``, ties by label), so the badge the API serves and
    the one ``publish`` writes are the same bytes whatever order callers use.
    """
    hypotheses = sorted(
        hypotheses, key=lambda h: (*reading_order(h.score, h.outcome), h.label, h.message)
    )
    count = len(hypotheses)
    header = (symbol, f"{count} hypothes{'is' if count == 1 else 'es'}", LABEL_COLOR)
    rows = [header] + [(shorten_title(h.label), h.message, h.band.color) for h in hypotheses]
    summary = "; ".join(f"{h.label}: {h.message}" for h in hypotheses)
    title = (
        f"{symbol}: {summary}. {_legends(hypotheses)}" if summary else f"{symbol}: no hypotheses"
    )
    return _assemble(rows, title)


def shields_endpoint(badge: BadgeScore, *, cache_seconds: int = 300) -> dict[str, Any]:
    """The JSON document shields.io's endpoint badge reads (schemaVersion 1)."""
    return {
        "schemaVersion": 1,
        "label": neutralise(badge.label),
        "message": badge.message,
        "color": badge.band.color.lstrip("#"),
        "labelColor": LABEL_COLOR.lstrip("#"),
        "cacheSeconds": cache_seconds,
    }


def gene_shields_endpoint(
    symbol: str, hypotheses: Sequence[BadgeScore], *, cache_seconds: int = 300
) -> dict[str, Any]:
    """shields.io endpoint JSON for a gene: its best-rated open hypothesis, coloured by that
    band (a resolved one's rating forecasts nothing any more, so it is never the best)."""
    scored = [h for h in hypotheses if h.score is not None and h.outcome is None]
    best = max(scored, key=lambda h: h.score or 0.0) if scored else None
    count = len(hypotheses)
    noun = f"{count} hypothes{'is' if count == 1 else 'es'}"
    message = f"{noun}, best {best.score:.2f}" if best and best.score is not None else noun
    return {
        "schemaVersion": 1,
        "label": neutralise(symbol),
        "message": message,
        "color": score_band(best.score if best else None).color.lstrip("#"),
        "labelColor": LABEL_COLOR.lstrip("#"),
        "cacheSeconds": cache_seconds,
    }


def html_snippet(*, image_url: str, link_url: str, alt: str) -> str:
    """An ``<a><img></a>`` to paste into a page; every value is escaped for an attribute."""
    return (
        f'<a href="{xml_text(link_url)}">'
        f'<img src="{xml_text(image_url)}" alt="{xml_text(alt)}"></a>'
    )
