"""Canonical citation keys, shared by the importers and the debates' citation checks."""

from __future__ import annotations

import re

_PMID = re.compile(
    r"^\s*(?:pmid\s*[:#]?\s*|https?://pubmed\.ncbi\.nlm\.nih\.gov/)?(\d{1,9})/?\s*$", re.I
)
_DOI = re.compile(r"^\s*(?:doi\s*:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+?)\s*$", re.I)


def normalize_citation(text: str) -> str | None:
    """Return ``"PMID:<digits>"`` or ``"DOI:<lowercased doi>"``, or None when ``text`` is neither.

    DOIs are case-insensitive by specification, so they are lowercased to compare equal.
    """
    pmid = _PMID.match(text)
    if pmid:
        return f"PMID:{int(pmid.group(1))}"
    doi = _DOI.match(text)
    if doi:
        return f"DOI:{doi.group(1).rstrip('.').lower()}"
    return None


def citation_url(key: str) -> str | None:
    """A link for a canonical key: PubMed for PMIDs, doi.org for DOIs."""
    kind, _, value = key.partition(":")
    if kind == "PMID" and value.isdigit():
        return f"https://pubmed.ncbi.nlm.nih.gov/{value}/"
    if kind == "DOI" and value:
        return f"https://doi.org/{value}"
    return None
