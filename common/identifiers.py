"""The shapes of the identifiers hyposcore puts into URLs and file names (docs/text-policy.md).

A gene symbol or a hypothesis id becomes one path segment of many links (``/genes/MTOR``,
``/badges/hypotheses/h-51e7234f.svg``), so each is checked against an explicit pattern when it
is imported: no ``/``, no spaces, nothing that a URL or a file name would have to mangle.
"""

from __future__ import annotations

import re

# HGNC symbols are upper-case letters, digits and hyphens (C9orf72 has lower case; other
# organisms and older releases use "." and "_"): a letter or digit first, at most 32 in all.
GENE_SYMBOL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
GENE_SYMBOL_RULE = (
    "a letter or digit, then letters, digits, '.', '_' or '-'; at most 32 characters (e.g. MTOR)"
)
HYPOTHESIS_ID = re.compile(r"h-[0-9a-z]{4,32}")
HYPOTHESIS_ID_RULE = "'h-' then 4 to 32 lowercase letters or digits, e.g. h-51e7234f"


def gene_symbol_problem(symbol: str) -> str | None:
    """Why ``symbol`` cannot be a gene symbol, or None."""
    if GENE_SYMBOL.fullmatch(symbol):
        return None
    return f"{symbol[:40]!r} is not a gene symbol: use {GENE_SYMBOL_RULE}"


def hypothesis_id_problem(hypothesis_id: str) -> str | None:
    """Why ``hypothesis_id`` cannot be a hypothesis id, or None."""
    if HYPOTHESIS_ID.fullmatch(hypothesis_id):
        return None
    return f"{hypothesis_id[:40]!r} is not a hypothesis id: use {HYPOTHESIS_ID_RULE}"


def check_gene_symbol(symbol: str) -> str:
    problem = gene_symbol_problem(symbol)
    if problem is not None:
        raise ValueError(problem)
    return symbol


# A gene's public identifiers, with how pages label them. Once stored, an identifier is never
# changed by an importer: a page or a hypothesis file giving another value is refused and the
# conflict reported (docs/gene-pages.md, "Identifiers").
GENE_ID_FIELDS = {
    "ncbi_gene_id": "NCBI Gene ID",
    "ensembl_id": "Ensembl ID",
    "uniprot_id": "UniProt ID",
    "omim_id": "OMIM ID",
}


def id_conflict_message(field: str, given: str, stored: str, symbol: str) -> str:
    """The one wording every importer uses for an identifier that contradicts a stored one."""
    return (
        f"{GENE_ID_FIELDS[field]} {given} contradicts {stored} already stored for gene {symbol}; "
        "stored identifiers are never overwritten"
    )
