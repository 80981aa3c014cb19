"""Checking a turn's citations against the hypothesis's evidence.

Citations are compared in canonical form (``common.citations.normalize_citation``), so
"pmid: 0123", "https://pubmed.ncbi.nlm.nih.gov/123/" and "PMID:123" are the same paper. A
citation that is not in the case's evidence, or is neither a PMID nor a DOI, is unsupported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from common.citations import normalize_citation
from debates.case import Case
from debates.derived import per_case
from debates.schema import Claim, TurnOutput


@lru_cache(maxsize=4096)  # a debate canonicalises the same few keys on every turn
def canonical(citation: str) -> str:
    """The canonical key of ``citation``, or the stripped text when it is not a PMID or DOI."""
    return normalize_citation(citation) or citation.strip()


@per_case
def case_keys(case: Case) -> frozenset[str]:
    return frozenset(canonical(item.citation) for item in case.evidence)


@dataclass(frozen=True)
class CitationCheck:
    """A turn's output with its citations canonicalised, and those the evidence lacks."""

    output: TurnOutput
    unsupported: tuple[str, ...]


def check_citations(output: TurnOutput, case: Case) -> CitationCheck:
    """Canonicalise every claim's citations and list the unsupported ones in order of first use."""
    known = case_keys(case)
    claims: list[Claim] = []
    unsupported: list[str] = []
    copied = False
    for claim in output.claims:
        keys = _dedupe(canonical(c) for c in claim.citations)
        unsupported.extend(k for k in keys if k not in known and k not in unsupported)
        if keys == claim.citations and "citations" in claim.model_fields_set:
            claims.append(claim)  # already canonical: a copy would be equal in every way
        else:
            claims.append(claim.model_copy(update={"citations": keys}))
            copied = True
    if not copied and "claims" in output.model_fields_set:
        return CitationCheck(output, tuple(unsupported))
    return CitationCheck(output.model_copy(update={"claims": claims}), tuple(unsupported))


def supported_keys(claim: Claim, known: frozenset[str]) -> list[str]:
    """The claim's citations that are in the case's evidence, canonicalised."""
    return [key for key in _dedupe(canonical(c) for c in claim.citations) if key in known]


def _dedupe(keys: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for key in keys:
        if key:
            seen.setdefault(key, None)
    return list(seen)
