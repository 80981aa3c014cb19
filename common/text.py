"""Shortening display text at word boundaries, the one rule every view, badge and CLI uses."""

from __future__ import annotations

ELLIPSIS = "…"


def shorten_title(text: str, limit: int = 40) -> str:
    """``text`` with its whitespace collapsed, cut to at most ``limit`` characters.

    A cut falls at the last word boundary before the limit, so no word is split ("Early
    Sympto…" becomes "Early…"); only a single word longer than the limit is cut inside.
    """
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    room = max(limit - len(ELLIPSIS), 1)
    head = flat[: room + 1]
    boundary = head.rfind(" ")
    # A boundary in the first third would leave too little of the title to recognise it.
    cut = head[:boundary] if boundary >= room // 3 else flat[:room]
    return cut.rstrip(" ,;:-–—") + ELLIPSIS
