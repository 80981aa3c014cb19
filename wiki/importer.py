"""Import gene pages into the database: genes, diseases, drugs, the page text, shown scores.

An import of several files is one transaction: when any file is refused nothing is written,
unless ``skip_invalid`` asks to write the valid ones and report the rest. A page whose
identifiers contradict a gene already stored (same symbol, another NCBI/Ensembl/UniProt/OMIM id)
is refused; the stored ids are never overwritten by a page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Column
from sqlalchemy.orm import Session

from common.identifiers import (
    GENE_ID_FIELDS,
    gene_symbol_problem,
    hypothesis_id_problem,
    id_conflict_message,
)
from storage.db import Database
from storage.errors import InvalidInputError, Problem
from storage.models import Disease, DisplayedScore, Drug, Gene, GenePage
from storage.queries.knowledge import (
    disease_slug,
    ensure_disease,
    fill_drug,
    find_gene,
    upsert_gene,
)
from storage.queries.pages import (
    ShownScore,
    link_gene_disease,
    link_gene_drug,
    save_gene_page,
    sync_displayed_scores,
)
from wiki.errors import PageError, PageProblem, page_error
from wiki.genepage import ParsedGenePage, parse_gene_page
from wiki.pagetext import MAX_PAGE_BYTES, check_page_text, decode_page

_ID_FIELDS = GENE_ID_FIELDS


@dataclass(frozen=True)
class LoadedPage:
    """A page file read, decoded and parsed, not yet written."""

    path: Path
    name: str
    content: str
    page: ParsedGenePage

    @property
    def source(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class PageSummary:
    file: str
    page_name: str
    gene: str
    hypotheses: int
    displayed_scores: int
    problems: tuple[PageProblem, ...]
    changed: bool


@dataclass(frozen=True)
class ImportReport:
    pages: tuple[PageSummary, ...]
    # Files refused under ``skip_invalid``; without it a refusal raises instead.
    refused: tuple[Problem, ...]


def page_name_for(path: Path) -> str:
    """A page is known by its file name without the extension: ``pages/mtor.txt`` is "mtor"."""
    return path.stem


def load_page(path: Path) -> LoadedPage:
    """Read, decode (strict UTF-8) and parse one page file; raises ``PageError`` naming it."""
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_PAGE_BYTES:
            raise page_error(
                source, f"file is {size} bytes; gene pages are limited to {MAX_PAGE_BYTES} bytes"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise page_error(source, f"cannot read the file: {exc.strerror or exc}") from None
    content = decode_page(data, source=source)
    return LoadedPage(path, page_name_for(path), content, parse_gene_page(content, source=source))


# (phase, done, total): phase "reading" or "writing".
ImportProgress = Callable[[str, int, int], None]


def import_pages(
    database: Database,
    paths: Sequence[Path],
    *,
    skip_invalid: bool = False,
    on_progress: ImportProgress | None = None,
) -> ImportReport:
    """Import every file in one transaction; see the module docstring for what is refused.

    ``on_progress(phase, done, total)`` follows the two phases: "reading" counts the files
    read and parsed, "writing" the pages written (the transaction commits after the last).
    """
    report_progress = on_progress or (lambda _phase, _done, _total: None)
    loaded: list[LoadedPage] = []
    refused: list[Problem] = []
    names: dict[str, str] = {}
    for done, path in enumerate(paths):
        report_progress("reading", done, len(paths))
        try:
            item = load_page(path)
        except PageError as exc:
            refused.extend(exc.problems)
            continue
        resolved = str(path.resolve())
        if names.get(item.name) == resolved:
            continue  # the same file given twice
        if item.name in names:
            message = f"page name {item.name!r} is also the name of {names[item.name]}"
            refused.append(Problem(item.source, message))
            continue
        names[item.name] = resolved
        loaded.append(item)
    report_progress("reading", len(paths), len(paths))
    with database.transaction() as session:
        accepted, conflicting = _check_batch(session, loaded)
        refused.extend(conflicting)
        if refused and not skip_invalid:
            raise InvalidInputError(refused)
        # Everything was checked before the first write, so no file needs a savepoint of its own.
        summaries = []
        for done, item in enumerate(accepted):
            report_progress("writing", done, len(accepted))
            summaries.append(write_page(session, item))
        report_progress("writing", len(accepted), len(accepted))
    return ImportReport(pages=tuple(summaries), refused=tuple(refused))


def _check_batch(
    session: Session, loaded: Sequence[LoadedPage]
) -> tuple[list[LoadedPage], list[Problem]]:
    """Split pages into those that can be written and the problems of the others.

    One rule for every importer (docs/gene-pages.md, "Identifiers"): a stored identifier is
    never changed, so a page contradicting one is refused. Pages of one gene in one import that
    disagree on an identifier nothing stores yet are all refused: which one is right is unknown,
    and the outcome must not depend on the order of the files.
    """
    problems: list[Problem] = []
    stored: dict[str, dict[str, str | None]] = {}
    checked: list[LoadedPage] = []
    for item in loaded:
        key = item.page.symbol.casefold()
        if key not in stored:
            gene = find_gene(session, symbol=item.page.symbol)
            stored[key] = {field: getattr(gene, field, None) for field in _ID_FIELDS}
        found = page_problems(item) + _id_conflicts(item, item.page.symbol, stored[key])
        if found:
            problems.extend(found)
        else:
            checked.append(item)
    disputed = _disagreements(checked)
    problems.extend(problem for item in checked for problem in disputed.get(item.source, []))
    return [item for item in checked if item.source not in disputed], problems


def _disagreements(items: Sequence[LoadedPage]) -> dict[str, list[Problem]]:
    """Problems of pages whose identifiers disagree with another page of the same gene."""
    values: dict[tuple[str, str], dict[str, list[LoadedPage]]] = {}
    for item in items:
        for field, value in item.page.ids().items():
            if value is not None:
                by_value = values.setdefault((item.page.symbol.casefold(), field), {})
                by_value.setdefault(value, []).append(item)
    found: dict[str, list[Problem]] = {}
    for (_, field), by_value in values.items():
        if len(by_value) < 2:
            continue
        for value, pages in by_value.items():
            others = ", ".join(
                f"{other} on {page.source}"
                for other, with_other in by_value.items()
                if other != value
                for page in with_other
            )
            for item in pages:
                message = (
                    f"{_ID_FIELDS[field]} {value} disagrees with {others}; pages of one gene "
                    "that disagree on an identifier are all refused"
                )
                found.setdefault(item.source, []).append(
                    Problem(item.source, message, record=item.page.symbol, field=field)
                )
    return found


def write_page(session: Session, item: LoadedPage) -> PageSummary:
    """Write one parsed page; raises ``InvalidInputError`` (before writing) when it is refused."""
    page = item.page
    problems = page_problems(item)
    existing = find_gene(session, symbol=page.symbol)
    if existing is not None:
        stored_ids = {field: getattr(existing, field) for field in _ID_FIELDS}
        problems.extend(_id_conflicts(item, existing.symbol, stored_ids))
    if problems:
        raise InvalidInputError(problems)
    gene = _write_gene(session, page)
    shown, ignored = _displayed_scores(page)
    problems_shown = (*page.problems, *ignored)
    stored_page, page_changed = save_gene_page(
        session,
        name=item.name,
        gene_id=gene.id,
        source_path=str(item.path.resolve()),
        content=item.content,
        problems=[problem.as_json() for problem in problems_shown],
    )
    scores_changed = sync_displayed_scores(session, page_id=stored_page.id, scores=shown)
    return PageSummary(
        file=item.source,
        page_name=item.name,
        gene=gene.symbol,
        hypotheses=len(page.hypothesis_ids),
        displayed_scores=len(shown),
        problems=problems_shown,
        changed=page_changed or scores_changed,
    )


def _displayed_scores(page: ParsedGenePage) -> tuple[list[ShownScore], list[PageProblem]]:
    """The scores to store, and a problem for each link whose id is not a hypothesis id (such
    a score could never be matched to a hypothesis, nor linked to safely)."""
    shown: list[ShownScore] = []
    ignored: list[PageProblem] = []
    for link in page.displayed_scores:
        if link.score is None:
            continue
        problem = hypothesis_id_problem(link.hypothesis_id)
        if problem is not None:
            ignored.append(PageProblem(link.line, f"{problem}; its score is not stored"))
            continue
        shown.append(
            ShownScore(link.hypothesis_id, link.source.value, link.title, link.score, link.raw)
        )
    return shown, ignored


def _write_gene(session: Session, page: ParsedGenePage) -> Gene:
    """The gene with its facts, diseases and drugs; values the page lacks are left alone."""
    gene = upsert_gene(
        session,
        symbol=page.symbol,
        full_name=page.full_name,
        location=page.location,
        protein_length=page.protein_length,
        molecular_weight=page.molecular_weight,
        kg_edges=page.kg_edges,
        aliases=list(page.aliases) or None,
        infobox=infobox_json(page),
        functions=[{"target": f.target, "function": f.function} for f in page.functions],
        references=[reference.as_json() for reference in page.references],
        **page.ids(),
    )
    for name in page.diseases:
        if disease_slug(name):
            link_gene_disease(session, gene=gene, disease=ensure_disease(session, name=name))
    for drug in page.drugs:
        stored = fill_drug(
            session, name=drug.name, mechanism=drug.mechanism, target_complex=drug.target_complex
        )
        link_gene_drug(session, gene=gene, drug=stored)
    return gene


def infobox_json(page: ParsedGenePage) -> dict[str, Any]:
    """The infobox as the page shows it: its header and every label/value row, in order."""
    return {"header": page.header, "rows": [[row.label, row.value] for row in page.infobox_rows]}


def _id_conflicts(
    item: LoadedPage, symbol: str, stored_ids: dict[str, str | None]
) -> list[Problem]:
    problems = []
    for field in _ID_FIELDS:
        ours, stored = item.page.ids()[field], stored_ids.get(field)
        if ours is not None and stored is not None and ours != stored:
            problems.append(
                Problem(
                    item.source,
                    id_conflict_message(field, ours, stored, symbol) + "; page refused",
                    record=item.page.symbol,
                    field=field,
                )
            )
    return problems


def page_problems(item: LoadedPage) -> list[Problem]:
    """Why the page cannot be imported, whatever the database holds: its symbol's shape and
    values longer than their columns."""
    problem = gene_symbol_problem(item.page.symbol)
    found = [] if problem is None else [Problem(item.source, problem, field="symbol")]
    return found + _length_problems(item)


def _length_problems(item: LoadedPage) -> list[Problem]:
    """Values longer than their column would be cut or refused by the database: say so first."""
    page = item.page
    checks: list[tuple[Any, str | None, str]] = [
        (GenePage.__table__.c.name, item.name, "page name"),
        (Gene.__table__.c.symbol, page.symbol, "symbol"),
        (Gene.__table__.c.full_name, page.full_name, "full_name"),
        (Gene.__table__.c.location, page.location, "location"),
        (Gene.__table__.c.molecular_weight, page.molecular_weight, "molecular_weight"),
    ]
    checks += [(Gene.__table__.c[field], page.ids()[field], field) for field in _ID_FIELDS]
    checks += [(Disease.__table__.c.name, name, "disease") for name in page.diseases]
    checks += [(Disease.__table__.c.slug, disease_slug(name), "disease") for name in page.diseases]
    for drug in page.drugs:
        checks += [
            (Drug.__table__.c.name, drug.name, "drug"),
            (Drug.__table__.c.mechanism, drug.mechanism, "drug mechanism"),
            (Drug.__table__.c.target_complex, drug.target_complex, "drug target"),
        ]
    for link in page.displayed_scores:
        checks += [
            (DisplayedScore.__table__.c.hypothesis_id, link.hypothesis_id, "hypothesis id"),
            (DisplayedScore.__table__.c.title, link.title, "hypothesis title"),
        ]
    problems = []
    for column, value, field in checks:
        if value is not None and len(value) > _max_length(column):
            problems.append(
                Problem(
                    item.source,
                    f"{len(value)} characters is longer than the {_max_length(column)} allowed: "
                    f"{value[:40]!r}…",
                    field=field,
                )
            )
    return problems


def _max_length(column: Column[Any]) -> int:
    return int(getattr(column.type, "length", None) or 10**9)


def refusal(session: Session, *, name: str, text: str) -> list[Problem]:
    """Why ``import page`` would refuse this page text, or nothing: what the publisher asks
    before it edits a page that was never imported, so that a refused page is never edited."""
    source = name
    try:
        page = parse_gene_page(check_page_text(text, source=source), source=source)
    except PageError as exc:
        return list(exc.problems)
    item = LoadedPage(Path(name), name, text, page)
    problems = page_problems(item)
    existing = find_gene(session, symbol=page.symbol)
    if existing is not None:
        stored_ids = {field: getattr(existing, field) for field in _ID_FIELDS}
        problems.extend(_id_conflicts(item, existing.symbol, stored_ids))
    return problems
