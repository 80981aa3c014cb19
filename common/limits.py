"""Bounds every importer and API body shares: text lengths and integers the databases store.

Lengths of text stored in bounded columns follow the column; text stored in unbounded columns
(statements, claims) gets a generous cap so that one record cannot be megabytes of text.
"""

from __future__ import annotations

# The largest value an INTEGER column holds on PostgreSQL (SQLite's is larger).
MAX_DB_INTEGER = 2**31 - 1

MAX_TITLE_CHARS = 500
MAX_STATEMENT_CHARS = 10_000
MAX_CLAIM_CHARS = 10_000
MAX_RESOLUTION_SOURCE_CHARS = 2_000
MAX_SAMPLE_SIZE = MAX_DB_INTEGER
MAX_PROTEIN_LENGTH = 100_000
MAX_KG_EDGES = MAX_DB_INTEGER
