"""What the infobox rows mean: gene facts, the Target/Function and drug sub-tables, diseases."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from common.limits import MAX_KG_EDGES, MAX_PROTEIN_LENGTH
from wiki.errors import PageProblem
from wiki.infobox import InfoboxTable, TableBounds, TableRow, row_cells, table_rows
from wiki.markup import ANCHOR, MARKDOWN_LINK, read_markdown_text, visible_text
from wiki.pagetext import LineIndex

# Normalised label -> field. Several spellings appear across wikis.
FIELD_LABELS = {
    "symbol": "symbol",
    "gene symbol": "symbol",
    # Protein pages name their gene in a Gene row; their header names the protein.
    "gene": "gene",
    "full name": "full_name",
    "name": "full_name",
    "chromosomal location": "location",
    "location": "location",
    "cytogenetic location": "location",
    "chromosome": "chromosome",
    "aliases": "aliases",
    "alias": "aliases",
    "alias symbols": "aliases",
    "also known as": "aliases",
    "synonyms": "aliases",
    "other names": "aliases",
    "ncbi gene id": "ncbi_gene_id",
    "ncbi gene": "ncbi_gene_id",
    "ncbi id": "ncbi_gene_id",
    "entrez gene id": "ncbi_gene_id",
    "ensembl id": "ensembl_id",
    "ensembl": "ensembl_id",
    "omim id": "omim_id",
    "omim": "omim_id",
    "uniprot id": "uniprot_id",
    "uniprot": "uniprot_id",
    "protein length": "protein_length",
    "length": "protein_length",
    "sequence length": "protein_length",
    "molecular weight": "molecular_weight",
    "molecular mass": "molecular_weight",
    "mass": "molecular_weight",
    "associated diseases": "diseases",
    "diseases": "diseases",
    "scidex hypotheses": "hypotheses",
    "hypotheses": "hypotheses",
    "kg connections": "kg_edges",
    "knowledge graph": "kg_edges",
}
HYPOTHESES_LABEL = "SciDEX Hypotheses"
_SUBTABLES = {
    ("target", "function"): "functions",
    ("drug", "mechanism"): "drug_mechanism",
    ("drug", "target"): "drug_target",
}
# Identifier shapes: a value that does not fit is reported rather than stored.
_ID_PATTERNS = {
    "ncbi_gene_id": re.compile(r"^\d{1,12}$"),
    "omim_id": re.compile(r"^\d{6}$"),
    "ensembl_id": re.compile(r"^ENS[A-Z]*G\d{11}(?:\.\d+)?$"),
    "uniprot_id": re.compile(
        r"^(?:[OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9](?:[A-Z][A-Z0-9]{2}[0-9]){1,2})(?:-\d+)?$"
    ),
}
_INTEGER = re.compile(r"\d[\d,]*")
_BOUNDS = {"protein_length": MAX_PROTEIN_LENGTH, "kg_edges": MAX_KG_EDGES}
# A length in base pairs is the gene's, not the protein's: reported, not stored as one.
_BASE_PAIRS = re.compile(r"\d\s*(?:bp|kb|mb|base)", re.I)
_CHROMOSOME = re.compile(r"^(?:chr(?:omosome)?\s*)?(?P<name>[0-9]{1,2}|[XYxy]|MT|mt)$")
_ALIAS = re.compile(r"^(?P<name>.*?\S)\s*\((?P<alias>[^()]+)\)\s*$")
_GENE_SUFFIX = re.compile(r"\s+gene$", re.I)


@dataclass(frozen=True)
class InfoboxRow:
    label: str
    value: str
    line: int
    # The value cell's inner markup, for the editor.
    value_span: tuple[int, int]


@dataclass(frozen=True)
class FunctionRow:
    target: str
    function: str


@dataclass(frozen=True)
class DrugEntry:
    """A drug from the Drug/Mechanism and Drug/Target sub-tables, merged by name or alias."""

    name: str
    aliases: tuple[str, ...]
    mechanism: str | None = None
    target_complex: str | None = None


@dataclass
class GeneFields:
    header: str | None = None
    rows: list[InfoboxRow] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    protein_length: int | None = None
    kg_edges: int | None = None
    functions: list[FunctionRow] = field(default_factory=list)
    drugs: list[DrugEntry] = field(default_factory=list)
    diseases: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    chromosome_line: int | None = None
    hypotheses_row: InfoboxRow | None = None
    problems: list[PageProblem] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        return self.values.get(name)


@dataclass(frozen=True)
class KeyFields:
    """The infobox rows that say where a page shows scores, as ``read_fields`` reads them."""

    header: str | None
    symbol: str | None
    gene: str | None
    hypotheses_row: InfoboxRow | None


def normalise_label(label: str) -> str:
    return " ".join(label.lower().rstrip(":").split())


@lru_cache(maxsize=1024)
def _row_kind(body: str) -> str | None:
    """What ``read_fields`` makes of a row with this inner markup: "header" for a lone header
    cell, the field of a label/value row with a known label, else None.

    Pages repeat their template's rows, and the editor reads every page twice, so most rows
    are read once and then looked up.
    """
    cells = row_cells(body)
    if len(cells) == 1 and cells[0]["tag"].lower() == "th":
        return "header"
    if len(cells) == 2:
        return FIELD_LABELS.get(normalise_label(visible_text(cells[0]["markup"])))
    return None


def read_key_fields(text: str, bounds: TableBounds, lines: LineIndex) -> KeyFields:
    """The header, the Symbol row's value and the hypotheses row, each exactly as
    ``read_fields`` would take it, reading no other value and reporting no problem.

    ``read_fields`` takes a row with a known label as that field whatever sub-table it
    follows (no sub-table header has such a label), so sub-tables need no tracking here.
    """
    header: str | None = None
    symbol: str | None = None
    gene: str | None = None
    hypotheses: InfoboxRow | None = None
    for row in table_rows(text, bounds):
        kind = _row_kind(row["body"])
        if kind == "header" and not header:
            header = visible_text(row_cells(row["body"])[0]["markup"])
        elif kind == "symbol" and symbol is None:
            symbol = visible_text(row_cells(row["body"])[1]["markup"])
        elif kind == "gene" and gene is None:
            gene = visible_text(row_cells(row["body"])[1]["markup"])
        elif kind == "hypotheses" and hypotheses is None:
            label, value = row_cells(text, row.start("body"), row.end("body"))
            hypotheses = InfoboxRow(
                visible_text(label["markup"]),
                visible_text(value["markup"]),
                lines.line_of(row.start()),
                value.span("markup"),
            )
        if header and symbol is not None and gene is not None and hypotheses is not None:
            break  # later rows cannot change any of them
    return KeyFields(header, symbol, gene, hypotheses)


def read_fields(table: InfoboxTable) -> GeneFields:
    """Interpret infobox rows; a label row such as Target|Function starts a sub-table that runs
    until the next known field or sub-table header."""
    fields = GeneFields()
    subtable: str | None = None
    for row in table.rows:
        if len(row.cells) == 1 and row.cells[0].tag == "th":
            fields.header = fields.header or row.cells[0].text
            continue
        if len(row.cells) != 2:
            fields.problems.append(
                PageProblem(row.line, f"infobox row with {len(row.cells)} cells ignored")
            )
            continue
        label, value = row.cells[0].text, row.cells[1].text
        info = InfoboxRow(label, value, row.line, row.cells[1].span)
        fields.rows.append(info)
        key = (normalise_label(label), normalise_label(value))
        if key in _SUBTABLES:
            subtable = _SUBTABLES[key]
        elif normalise_label(label) in FIELD_LABELS:
            subtable = None
            _read_field(fields, FIELD_LABELS[normalise_label(label)], info, row)
        elif subtable is not None:
            _read_subtable_row(fields, subtable, info)
        else:
            # Kept in the infobox as shown, but no fact is read from it: say so.
            fields.problems.append(PageProblem(row.line, f"unrecognised row: {label[:60]}"))
    _settle_location(fields)
    return fields


def _settle_location(fields: GeneFields) -> None:
    """A Chromosome row gives the location when no finer one is given, and must agree with it."""
    chromosome = fields.values.pop("chromosome", None)
    if chromosome is None:
        return
    location = fields.values.get("location")
    if location is None:
        fields.values["location"] = chromosome
    elif not re.match(rf"{re.escape(chromosome)}(?![0-9])", location):
        line = fields.chromosome_line
        message = f"Chromosome {chromosome!r} disagrees with the location {location!r}; ignored"
        fields.problems.append(PageProblem(line, message))


def _read_field(fields: GeneFields, name: str, row: InfoboxRow, table_row: TableRow) -> None:
    if name == "hypotheses":
        fields.hypotheses_row = fields.hypotheses_row or row
        return
    if name == "diseases":
        fields.diseases.extend(_list_items(table_row.cells[1].markup))
        return
    if name == "aliases":
        known = {alias.casefold() for alias in fields.aliases}
        for alias in _list_items(table_row.cells[1].markup):
            if alias.casefold() not in known:
                known.add(alias.casefold())
                fields.aliases.append(alias)
        return
    if name == "chromosome":
        _read_chromosome(fields, row)
        return
    if name in fields.values:
        if fields.values[name] != row.value:
            fields.problems.append(
                PageProblem(
                    row.line,
                    f"second {row.label!r} row ({row.value!r}) ignored; "
                    f"the first said {fields.values[name]!r}",
                )
            )
        return
    if name in _BOUNDS and not _read_integer(fields, name, row):
        return
    if name in _ID_PATTERNS and not _ID_PATTERNS[name].match(row.value):
        fields.problems.append(
            PageProblem(row.line, f"{row.label} {row.value!r} is not a valid identifier; ignored")
        )
        return
    fields.values[name] = row.value


def _read_integer(fields: GeneFields, name: str, row: InfoboxRow) -> bool:
    """The first integer of the row, within what the database stores and the field allows;
    False (and a problem) when there is none."""
    number = _INTEGER.search(row.value)
    if number is None:
        fields.problems.append(PageProblem(row.line, f"{row.label}: no number in {row.value!r}"))
        return False
    if name == "protein_length" and _BASE_PAIRS.search(row.value):
        message = f"{row.label} {row.value!r} is a length in base pairs, not the protein's; ignored"
        fields.problems.append(PageProblem(row.line, message))
        return False
    digits = number.group(0).replace(",", "")
    # Compared as text first: a thousand-digit number must not reach int().
    if len(digits.lstrip("0")) > len(str(_BOUNDS[name])) or int(digits) > _BOUNDS[name]:
        message = f"{row.label}: {digits[:20]} is out of range (at most {_BOUNDS[name]:,}); ignored"
        fields.problems.append(PageProblem(row.line, message))
        return False
    setattr(fields, name, int(digits))
    return True


def _read_chromosome(fields: GeneFields, row: InfoboxRow) -> None:
    match = _CHROMOSOME.match(row.value.strip())
    if match is None:
        message = f"{row.label} {row.value!r} is not a chromosome (1-22, X, Y, MT); ignored"
        fields.problems.append(PageProblem(row.line, message))
        return
    fields.values.setdefault("chromosome", match["name"].upper())
    fields.chromosome_line = fields.chromosome_line or row.line


def _read_subtable_row(fields: GeneFields, subtable: str, row: InfoboxRow) -> None:
    if not row.label or not row.value:
        fields.problems.append(PageProblem(row.line, "sub-table row with an empty cell ignored"))
        return
    if subtable == "functions":
        fields.functions.append(FunctionRow(row.label, row.value))
        return
    name, aliases = _drug_names(row.label)
    index = _find_drug(fields.drugs, aliases)
    attribute = "mechanism" if subtable == "drug_mechanism" else "target_complex"
    if index is None:
        fields.drugs.append(DrugEntry(name, aliases, **{attribute: row.value}))
        return
    drug = fields.drugs[index]
    known = getattr(drug, attribute)
    if known is not None and known != row.value:
        fields.problems.append(
            PageProblem(row.line, f"{row.label}: second {attribute} {row.value!r} ignored")
        )
        return
    merged = tuple(dict.fromkeys((*drug.aliases, *aliases)))
    values = {"mechanism": drug.mechanism, "target_complex": drug.target_complex}
    values[attribute] = row.value
    fields.drugs[index] = DrugEntry(drug.name, merged, **values)


def _drug_names(label: str) -> tuple[str, tuple[str, ...]]:
    """ "Rapamycin (Sirolimus)" is Rapamycin, also known as Sirolimus."""
    match = _ALIAS.match(label)
    if match is None:
        return label, (label,)
    return match["name"], (match["name"], match["alias"].strip())


def _find_drug(drugs: list[DrugEntry], aliases: tuple[str, ...]) -> int | None:
    wanted = {a.casefold() for a in aliases}
    for index, drug in enumerate(drugs):
        if wanted & {a.casefold() for a in drug.aliases}:
            return index
    return None


def _list_items(markup: str) -> list[str]:
    """Names in a list cell: its links' texts, or its comma-separated parts."""
    anchors = [visible_text(a["text"]) for a in ANCHOR.finditer(markup)]
    links = [read_markdown_text(m["text"]) for m in MARKDOWN_LINK.finditer(markup)]
    items = anchors + links or re.split(r"[,;]", visible_text(markup))
    return [" ".join(item.split()) for item in items if item.strip()]


def symbol_from_header(header: str | None) -> str | None:
    """ "mtor gene" -> "MTOR": human gene symbols are upper case."""
    if not header:
        return None
    symbol = _GENE_SUFFIX.sub("", header.strip()).strip()
    return symbol.upper() if symbol and " " not in symbol else None
