"""The API's shapes of a gene: its facts, its hypotheses and its published page."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from pydantic import BaseModel

from api.schemas import HypothesisSummary
from storage.models import Gene


class GenePageInfo(BaseModel):
    name: str
    imported_at: datetime
    latest_revision: int | None
    published_at: datetime | None


class GeneOut(BaseModel):
    symbol: str
    full_name: str | None
    location: str | None
    ncbi_gene_id: str | None
    uniprot_id: str | None
    diseases: list[str]
    hypotheses: list[HypothesisSummary]
    page: GenePageInfo | None
    links: dict[str, str]


def gene_links(symbol: str) -> dict[str, str]:
    symbol = quote(symbol, safe="")
    return {
        "self": f"/genes/{symbol}",
        "page": f"/web/genes/{symbol}",
        "badge_svg": f"/badges/genes/{symbol}.svg",
        "badge_json": f"/badges/genes/{symbol}.json",
    }


def gene_out(gene: Gene, hypotheses: list[HypothesisSummary], page: GenePageInfo | None) -> GeneOut:
    return GeneOut(
        symbol=gene.symbol,
        full_name=gene.full_name,
        location=gene.location,
        ncbi_gene_id=gene.ncbi_gene_id,
        uniprot_id=gene.uniprot_id,
        diseases=[disease.name for disease in gene.diseases],
        hypotheses=hypotheses,
        page=page,
        links=gene_links(gene.symbol),
    )
