"""Disease names as a reader should see them: one entry per disease, in one spelling.

Imported pages spell the same disease many ways ("AD", "ALZHEIMER", "ALZHEIMER DISEASE",
"Alzheimer's disease"). The stored names stay as imported; only the display is normalised,
and each shown name keeps the stored spellings it stands for (for a tooltip).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Abbreviations and bare names of the diseases the bundled pages use; display only.
_SYNONYMS = {
    "ad": "Alzheimer's disease",
    "alzheimer": "Alzheimer's disease",
    "als": "Amyotrophic lateral sclerosis",
    "pd": "Parkinson's disease",
    "parkinson": "Parkinson's disease",
    "ftd": "Frontotemporal dementia",
    "dlb": "Dementia with Lewy bodies",
    "tsc": "Tuberous sclerosis complex",
}
_POSSESSIVE_DISEASE = re.compile(r"['’]s\b|\s+disease\b", re.I)


@dataclass(frozen=True)
class ShownDisease:
    name: str
    stored: tuple[str, ...]


def _key(name: str) -> str:
    return _POSSESSIVE_DISEASE.sub("", _display(name)).strip().lower()


def _canonical(name: str) -> str | None:
    return _SYNONYMS.get(_POSSESSIVE_DISEASE.sub("", " ".join(name.split())).strip().lower())


def _display(name: str) -> str:
    flat = " ".join(name.split())
    canonical = _canonical(flat)
    if canonical:
        return canonical
    if flat.isupper() and len(flat) > 4:
        # "ALZHEIMER DISEASE" reads as shouting; acronyms (ADH) stay as they are.
        return flat[:1] + flat[1:].lower()
    return flat


def shown_diseases(names: Iterable[str]) -> list[ShownDisease]:
    """One entry per disease, in first-seen order, each with the stored spellings it covers."""
    groups: dict[str, tuple[str, list[str]]] = {}
    for name in names:
        key = _key(name)
        if key not in groups:
            groups[key] = (_display(name), [])
        groups[key][1].append(name)
    # A known full name wins; else the longest stored mixed-case spelling; else the display.
    shown = []
    for display, stored in groups.values():
        named = next((_display(s) for s in stored if _canonical(s)), None)
        written = [s for s in stored if not s.isupper()]
        chosen = named or (max(written, key=len) if written else display)
        shown.append(ShownDisease(chosen, tuple(stored)))
    return shown
