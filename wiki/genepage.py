"""Parse a gene page: text in, a ``ParsedGenePage`` out. Pure: no files, no database.

A page is a title line, an HTML infobox of label/value rows (with Target/Function and drug
sub-tables), plain-text headings, Markdown links, and an Exchange list of scored hypotheses.
Every score the page shows is kept with where it came from, its raw text and its character span,
so the editor can rewrite exactly those characters. Messy parts are reported in ``problems``;
a page that cannot be used at all raises ``PageError`` naming the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from common.page_scores import ScoreSource
from common.problems import Problem
from wiki.errors import PageError, PageProblem, page_error
from wiki.genefields import (
    DrugEntry,
    FunctionRow,
    GeneFields,
    InfoboxRow,
    read_fields,
    read_key_fields,
    symbol_from_header,
)
from wiki.hypothesis_links import (
    HypothesisLink,
    find_badge_line,
    find_exchange_heading,
    read_exchange_lines,
    read_infobox_links,
)
from wiki.infobox import (
    InfoboxTable,
    TableBounds,
    find_infobox_bounds,
    infobox_opening_line,
    read_table,
)
from wiki.pagetext import LineIndex
from wiki.sections import Body, Reference, find_body, read_disease_list, read_references

_PROTEIN_INFOBOX = re.compile(r"\binfobox-protein\b", re.I)

__all__ = [
    "DrugEntry",
    "FunctionRow",
    "HypothesisLink",
    "InfoboxRow",
    "ParsedGenePage",
    "Reference",
    "ScorePlaces",
    "parse_gene_page",
    "parse_score_places",
]


@dataclass(frozen=True)
class ParsedGenePage:
    """Everything hyposcore reads from one gene page. Offsets are ``str`` indices into the text
    that was parsed (the whole file, preview included)."""

    title: str
    symbol: str
    header: str | None
    aliases: tuple[str, ...]
    full_name: str | None
    location: str | None
    ncbi_gene_id: str | None
    ensembl_id: str | None
    omim_id: str | None
    uniprot_id: str | None
    protein_length: int | None
    molecular_weight: str | None
    kg_edges: int | None
    infobox_rows: tuple[InfoboxRow, ...]
    functions: tuple[FunctionRow, ...]
    drugs: tuple[DrugEntry, ...]
    diseases: tuple[str, ...]
    references: tuple[Reference, ...]
    links: tuple[HypothesisLink, ...]
    problems: tuple[PageProblem, ...]
    # Where the complete copy of the page starts (after a truncated preview, if any), and where
    # its content ends (before the export's trailing "..." line, if any).
    body_start: int
    content_end: int
    infobox_span: tuple[int, int]
    infobox_close_at: int
    hypotheses_row: InfoboxRow | None
    exchange_heading: tuple[int, int] | None
    badge_line: tuple[int, int] | None

    @property
    def displayed_scores(self) -> tuple[HypothesisLink, ...]:
        """The links that show a readable score, infobox and Exchange alike."""
        return tuple(link for link in self.links if link.score is not None)

    @property
    def hypothesis_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(link.hypothesis_id for link in self.links))

    def ids(self) -> dict[str, str | None]:
        return {
            "ncbi_gene_id": self.ncbi_gene_id,
            "ensembl_id": self.ensembl_id,
            "uniprot_id": self.uniprot_id,
            "omim_id": self.omim_id,
        }


@dataclass(frozen=True)
class ScorePlaces:
    """Where a page shows its scores: the part of ``ParsedGenePage`` the editor needs.
    Offsets are ``str`` indices into the text that was read."""

    symbol: str
    links: tuple[HypothesisLink, ...]
    # Where the page's content ends: new lines at the end go here, before an export marker.
    content_end: int
    infobox_close_at: int
    hypotheses_row: InfoboxRow | None
    exchange_heading: tuple[int, int] | None
    badge_line: tuple[int, int] | None


@dataclass(frozen=True)
class _Core:
    """What both parsers read: the page's frame, infobox, symbol and hypothesis links."""

    lines: LineIndex
    body_start: int
    content_end: int
    title: str
    table: InfoboxTable
    fields: GeneFields
    symbol: str
    links: list[HypothesisLink]
    problems: list[PageProblem]


def parse_gene_page(text: str, *, source: str = "<page>") -> ParsedGenePage:
    """Read a gene page; ``source`` names it in errors (usually the file path)."""
    core = _read_core(text, source)
    lines, table, fields, symbol = core.lines, core.table, core.fields, core.symbol
    links, problems = core.links, core.problems
    body_start = core.body_start
    references, reference_problems = read_references(text, body_start, lines)
    problems.extend(reference_problems)
    problems.extend(_disagreements(links))
    diseases = list(dict.fromkeys(fields.diseases + read_disease_list(text, body_start)))
    return ParsedGenePage(
        title=core.title,
        symbol=symbol,
        header=fields.header,
        aliases=tuple(fields.aliases),
        full_name=fields.get("full_name"),
        location=fields.get("location"),
        ncbi_gene_id=fields.get("ncbi_gene_id"),
        ensembl_id=fields.get("ensembl_id"),
        omim_id=fields.get("omim_id"),
        uniprot_id=fields.get("uniprot_id"),
        protein_length=fields.protein_length,
        molecular_weight=fields.get("molecular_weight"),
        kg_edges=fields.kg_edges,
        infobox_rows=tuple(fields.rows),
        functions=tuple(fields.functions),
        drugs=tuple(fields.drugs),
        diseases=tuple(_unique_casefold(diseases)),
        references=tuple(references),
        links=tuple(links),
        problems=tuple(sorted(problems, key=lambda p: p.line or 0)),
        body_start=body_start,
        content_end=core.content_end,
        infobox_span=table.span,
        infobox_close_at=table.close_at,
        hypotheses_row=fields.hypotheses_row,
        exchange_heading=find_exchange_heading(text, table.span[1]),
        badge_line=find_badge_line(text, body_start),
    )


def parse_score_places(text: str, *, source: str = "<page>") -> ScorePlaces:
    """Read only where the page shows scores: its infobox's key rows and its hypothesis links.

    Raises exactly when ``parse_gene_page`` raises, and agrees with it on every field it has;
    it skips the references, the disease lists and every other infobox value, which makes it
    several times cheaper: the editor reads each page it rewrites twice.
    """
    lines, body = _frame(text, source)
    bounds = _infobox(text, body.start, lines, source)
    fields = read_key_fields(text, bounds, lines)
    named = _Names(fields.header, fields.symbol, fields.gene, _is_protein(text, bounds.start))
    symbol = _symbol(named, lines.line_of(bounds.start), source, [])
    links, errors = _read_links(text, body.start, fields.hypotheses_row, lines, source, [])
    if errors:
        raise PageError(errors)
    return ScorePlaces(
        symbol=symbol,
        links=tuple(links),
        content_end=body.content_end,
        infobox_close_at=bounds.close[0],
        hypotheses_row=fields.hypotheses_row,
        exchange_heading=find_exchange_heading(text, bounds.close[1]),
        badge_line=find_badge_line(text, body.start),
    )


def _read_core(text: str, source: str) -> _Core:
    lines, body = _frame(text, source)
    bounds = _infobox(text, body.start, lines, source)
    table = read_table(text, bounds, lines)
    fields = read_fields(table)
    problems = list(body.problems) + list(table.problems) + fields.problems
    named = _Names(
        fields.header, fields.get("symbol"), fields.get("gene"), _is_protein(text, bounds.start)
    )
    symbol = _symbol(named, table.line, source, problems)
    links, errors = _read_links(text, body.start, fields.hypotheses_row, lines, source, problems)
    if errors:
        raise PageError(errors)
    return _Core(
        lines, body.start, body.content_end, body.title, table, fields, symbol, links, problems
    )


def _frame(text: str, source: str) -> tuple[LineIndex, Body]:
    if not text.strip():
        raise page_error(source, "file is empty")
    lines = LineIndex(text)
    return lines, find_body(text, lines)


def _infobox(text: str, start: int, lines: LineIndex, source: str) -> TableBounds:
    bounds = find_infobox_bounds(text, start=start)
    if bounds is not None:
        return bounds
    opening = infobox_opening_line(text, start=start, lines=lines)
    if opening is not None:
        raise page_error(source, "the infobox table is never closed", line=opening)
    raise page_error(
        source, 'no infobox: expected a <table class="infobox ..."> of label/value rows'
    )


@dataclass(frozen=True)
class _Names:
    """What an infobox says about which gene the page is about."""

    header: str | None
    symbol_row: str | None
    gene_row: str | None
    # A protein infobox's header names the protein ("Kinase"), never the gene.
    protein: bool


def _is_protein(text: str, table_start: int) -> bool:
    opening = text[table_start : text.find(">", table_start) + 1]
    return _PROTEIN_INFOBOX.search(opening) is not None


def _symbol(names: _Names, line: int, source: str, problems: list[PageProblem]) -> str:
    """The Symbol row's value, else the Gene row's, else the header's ("mtor gene" -> "MTOR");
    a protein infobox's header is never read as a symbol."""
    header_symbol = None if names.protein else symbol_from_header(names.header)
    symbol = names.symbol_row or names.gene_row or header_symbol
    if not symbol:
        raise page_error(
            source, "the infobox has no Symbol or Gene row and no gene header", line=line
        )
    if names.gene_row and names.gene_row.casefold() != symbol.casefold():
        problems.append(
            PageProblem(line, f"Gene row {names.gene_row!r} names another gene than {symbol!r}")
        )
    if header_symbol and header_symbol.casefold() != symbol.casefold():
        problems.append(
            PageProblem(
                line,
                f"infobox header {names.header!r} names another gene than the Symbol row "
                f"({symbol!r})",
            )
        )
    return symbol


def _read_links(
    text: str,
    start: int,
    hypotheses_row: InfoboxRow | None,
    lines: LineIndex,
    source: str,
    problems: list[PageProblem],
) -> tuple[list[HypothesisLink], list[Problem]]:
    readings = [read_exchange_lines(text, start, lines=lines, source=source)]
    if hypotheses_row is not None:
        readings.insert(
            0, read_infobox_links(text, hypotheses_row.value_span, lines=lines, source=source)
        )
    links: list[HypothesisLink] = []
    errors: list[Problem] = []
    seen: set[tuple[str, ScoreSource]] = set()
    for reading in readings:
        problems.extend(reading.problems)
        errors.extend(reading.errors)
        for link in reading.links:
            key = (link.hypothesis_id, link.source)
            if key in seen:
                problems.append(
                    PageProblem(
                        link.line,
                        f"{link.hypothesis_id} is listed twice in the {link.source.value}; "
                        "the first is kept",
                    )
                )
                continue
            seen.add(key)
            links.append(link)
    return links, errors


def _disagreements(links: list[HypothesisLink]) -> list[PageProblem]:
    """Name every hypothesis whose infobox and Exchange numbers differ; both are kept as shown."""
    infobox = {
        link.hypothesis_id: link
        for link in links
        if link.source is ScoreSource.INFOBOX and link.score is not None
    }
    problems = []
    for link in links:
        other = infobox.get(link.hypothesis_id)
        if link.source is not ScoreSource.EXCHANGE or other is None or link.score is None:
            continue
        if other.score is not None and other.score != link.score:
            problems.append(
                PageProblem(
                    other.line,
                    f"{link.hypothesis_id} shows {other.score:.2f} in the infobox but "
                    f"{link.score:.2f} in the Exchange list (line {link.line})",
                )
            )
    return problems


def _unique_casefold(names: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.casefold(), name)
    return list(seen.values())
