"""The hypothesis import format (docs/hypotheses-format.md): read, check, write in one go.

from storage.importing import import_hypotheses
report = import_hypotheses(database, Path("hypotheses.yaml"), skip_invalid=False)
"""

from storage.importing.reading import MAX_FILE_BYTES, Document, parse_document, read_document
from storage.importing.schema import FORMAT_VERSION
from storage.importing.validate import CheckedFile, check_document
from storage.importing.writer import (
    EvidenceTally,
    ImportReport,
    Tally,
    import_document,
    import_hypotheses,
)

__all__ = [
    "FORMAT_VERSION",
    "MAX_FILE_BYTES",
    "CheckedFile",
    "Document",
    "EvidenceTally",
    "ImportReport",
    "Tally",
    "check_document",
    "import_document",
    "import_hypotheses",
    "parse_document",
    "read_document",
]
