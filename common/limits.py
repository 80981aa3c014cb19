"""The maxima every boundary shares: text lengths and the integers the databases can store.

One table, so that the importers, the API's schema and the prompt builder refuse the same
things: a value that passes an import always fits a prompt, and no request can carry a number
that a query cannot bind (SQLite and PostgreSQL refuse integers past 64 bits with an error
that would otherwise surface as a 500).
"""

from __future__ import annotations

from typing import Final

# --- integers -------------------------------------------------------------------------------
# PostgreSQL INTEGER (every primary key and integer column here) and BIGINT (OFFSET, SQLite's
# INTEGER). Ids and counts are bounded by the first, offsets by the second.
MAX_INT32: Final = 2**31 - 1
MAX_INT64: Final = 2**63 - 1

# --- identifiers ----------------------------------------------------------------------------
MAX_SYMBOL: Final = 32  # a gene symbol or a database identifier (NCBI, UniProt, ...)
MAX_HYPOTHESIS_ID: Final = 64
MAX_IDEMPOTENCY_KEY: Final = 200
MAX_BADGE_LABEL: Final = 60

# --- free text, in characters after trimming ---------------------------------------------------
MAX_TITLE: Final = 500
MAX_STATEMENT: Final = 10_000
MAX_CLAIM: Final = 2_000
MAX_RESOLUTION_SOURCE: Final = 1_000
MAX_NAME: Final = 200  # diseases, drugs
MAX_FULL_NAME: Final = 300
MAX_DESCRIPTION: Final = 300  # a drug's mechanism, a gene function
MAX_ORGANISM: Final = 100
MAX_LOCATION: Final = 64

# Every message of one prompt together. A case at the maxima above (statement, 50 claims) and
# a full transcript (8 rounds of turns) stay far below it; a prompt past it means a field
# escaped its own limit, and it is refused before it is sent.
MAX_PROMPT_CHARS: Final = 400_000

# What each free-text field of a hypothesis may hold, by the name the file format uses.
TEXT_LIMITS: Final[dict[str, int]] = {
    "title": MAX_TITLE,
    "statement": MAX_STATEMENT,
    "claim": MAX_CLAIM,
    "resolution.source": MAX_RESOLUTION_SOURCE,
    "diseases": MAX_NAME,
    "drugs": MAX_NAME,
    "full_name": MAX_FULL_NAME,
    "organism": MAX_ORGANISM,
    "location": MAX_LOCATION,
}

# Numbers of the hypothesis format and of gene pages, bounded by the columns that store them.
MAX_SAMPLE_SIZE: Final = MAX_INT32
MAX_PROTEIN_LENGTH: Final = 100_000
MAX_KG_EDGES: Final = MAX_INT32
