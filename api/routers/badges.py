"""Badges: SVG images, shields.io endpoint JSON and HTML snippets, per hypothesis and gene.

The numbers come from the newest score snapshots, the same rows the API and the published
pages read; badges are cached briefly by clients, never computed differently.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response

from api.deps import HypothesisIdPath, SessionDep, SettingsDep, SymbolPath
from api.loaders import badge_score, load_gene
from common.limits import MAX_BADGE_LABEL
from common.text import POLICY
from storage.queries.knowledge import get_hypothesis
from storage.queries.views import latest_scores
from wiki.badges import (
    BadgeScore,
    gene_badge_svg,
    gene_shields_endpoint,
    html_snippet,
    hypothesis_badge_svg,
    shields_endpoint,
)

router = APIRouter(prefix="/badges", tags=["badges"])

CACHE_SECONDS = 300
_SVG_HEADERS = {
    "Cache-Control": f"public, max-age={CACHE_SECONDS}",
    # An SVG opened directly is a document: allow its inline styles and nothing else.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}

Label = Annotated[
    str | None,
    Query(min_length=1, max_length=MAX_BADGE_LABEL, description="Text instead of the title."),
    POLICY,
]


def _hypothesis_badge(session: SessionDep, hypothesis_id: str, label: str | None) -> BadgeScore:
    hypothesis = get_hypothesis(session, hypothesis_id=hypothesis_id)
    scores = latest_scores(session, hypothesis_ids=[hypothesis.id]).get(hypothesis.id)
    badge = badge_score(hypothesis, scores)
    if label is not None:
        badge = dataclasses.replace(badge, label=label)
    return badge


def _svg(content: str) -> Response:
    return Response(content, media_type="image/svg+xml", headers=_SVG_HEADERS)


@router.get("/hypotheses/{hypothesis_id}.svg", response_class=Response)
def hypothesis_svg(
    session: SessionDep, hypothesis_id: HypothesisIdPath, label: Label = None
) -> Response:
    """The hypothesis's exchange rating, coloured by score band, with its trend arrow."""
    return _svg(hypothesis_badge_svg(_hypothesis_badge(session, hypothesis_id, label)))


@router.get("/hypotheses/{hypothesis_id}.json")
def hypothesis_json(
    session: SessionDep, hypothesis_id: HypothesisIdPath, label: Label = None
) -> dict[str, Any]:
    """The same badge as a shields.io endpoint document (https://shields.io/badges/endpoint-badge)."""
    return shields_endpoint(
        _hypothesis_badge(session, hypothesis_id, label), cache_seconds=CACHE_SECONDS
    )


@router.get("/hypotheses/{hypothesis_id}.html", response_class=PlainTextResponse)
def hypothesis_snippet(
    settings: SettingsDep, session: SessionDep, hypothesis_id: HypothesisIdPath
) -> PlainTextResponse:
    """An HTML snippet to paste into a page: the badge image linking to the hypothesis page.

    Links are absolute under ``HYPOSCORE_PUBLIC_URL`` when it is set, else relative; the
    request's Host header never shapes them."""
    badge = _hypothesis_badge(session, hypothesis_id, None)
    quoted = quote(hypothesis_id, safe="")
    base = settings.resolved_public_url
    return PlainTextResponse(
        html_snippet(
            image_url=f"{base}/badges/hypotheses/{quoted}.svg",
            link_url=f"{base}/web/hypotheses/{quoted}",
            alt=f"{badge.label}: {badge.message}",
        )
    )


@router.get("/genes/{symbol}.svg", response_class=Response)
def gene_svg(session: SessionDep, symbol: SymbolPath) -> Response:
    """A stacked badge: the gene, then each of its hypotheses with its rating."""
    view = load_gene(session, symbol=symbol)
    return _svg(gene_badge_svg(view.gene.symbol, view.badges))


@router.get("/genes/{symbol}.json")
def gene_json(session: SessionDep, symbol: SymbolPath) -> dict[str, Any]:
    """shields.io endpoint document for a gene: how many hypotheses and the best rating."""
    view = load_gene(session, symbol=symbol)
    return gene_shields_endpoint(view.gene.symbol, view.badges, cache_seconds=CACHE_SECONDS)


@router.get("/genes/{symbol}.html", response_class=PlainTextResponse)
def gene_snippet(
    settings: SettingsDep, session: SessionDep, symbol: SymbolPath
) -> PlainTextResponse:
    """An HTML snippet: the gene's stacked badge linking to its page (links as above)."""
    view = load_gene(session, symbol=symbol)
    quoted = quote(view.gene.symbol, safe="")
    base = settings.resolved_public_url
    return PlainTextResponse(
        html_snippet(
            image_url=f"{base}/badges/genes/{quoted}.svg",
            link_url=f"{base}/web/genes/{quoted}",
            alt=f"{view.gene.symbol} hypotheses",
        )
    )
