"""Genes: their hypotheses with live scores and badge links, and their published page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from api.deps import PageDep, SessionDep, SymbolPath
from api.gene_schemas import GeneOut, gene_links
from api.loaders import load_gene
from api.negotiation import SEE_THE_VIEW, view_redirect
from api.schemas import Paginated
from storage.errors import NotFoundError
from storage.queries.knowledge import list_genes
from storage.queries.views import count_genes, latest_page_revision

router = APIRouter(prefix="/genes", tags=["genes"])


@router.get("", response_model=Paginated[dict[str, str]])
def list_all(session: SessionDep, page: PageDep) -> Paginated[dict[str, str]]:
    """Genes by symbol, each with links to its API record, web page and badges."""
    genes = list_genes(session, limit=page.limit, offset=page.offset)
    return Paginated(
        items=[{"symbol": g.symbol, **gene_links(g.symbol)} for g in genes],
        total=count_genes(session),
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{symbol}", response_model=GeneOut, responses=SEE_THE_VIEW)
def get_one(request: Request, session: SessionDep, symbol: SymbolPath) -> GeneOut | Response:
    """A gene with its hypotheses (best-rated first), each with its live score and badge.

    A browser (Accept preferring text/html) is redirected to the web view instead."""
    gene = load_gene(session, symbol=symbol).out
    return view_redirect(request, gene.links["page"]) or gene


@router.get(
    "/{symbol}/page",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}},
)
def published_page(session: SessionDep, symbol: SymbolPath) -> PlainTextResponse:
    """The gene page's newest published revision as text (its scores are the live ones)."""
    view = load_gene(session, symbol=symbol)
    if view.out.page is None:
        raise NotFoundError(f"gene {view.gene.symbol!r} has no imported page")
    revision = latest_page_revision(session, page_name=view.out.page.name)
    if revision is None:
        raise NotFoundError(f"page {view.out.page.name!r} has not been published yet")
    return PlainTextResponse(
        revision.content,
        headers={"X-Page-Revision": str(revision.revision), "X-Content-Type-Options": "nosniff"},
    )
