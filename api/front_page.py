"""What the web views' front page and operations pages show, read in a few queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from api.ratings import exchange_rating
from common.numbers import shared_ranks
from storage.models import Evaluation, Hypothesis, HypothesisStatus
from storage.queries.evaluations import list_evaluations
from storage.queries.knowledge import list_genes, list_hypotheses
from storage.queries.views import latest_scores

TOP_HYPOTHESES = 10
RECENT_EVALUATIONS = 10
# The front page ranks at most this many hypotheses; beyond it, the leaderboard and API page.
FRONT_PAGE_SCAN = 2000


@dataclass(frozen=True)
class RatedHypothesis:
    id: str
    title: str
    rating: float
    rating_label: str
    composite: float
    low: float
    high: float
    version: int
    computed_at: datetime
    # A resolved hypothesis's rating forecasts nothing any more: it is never ranked "top".
    open: bool


@dataclass(frozen=True)
class GeneEntry:
    symbol: str
    full_name: str | None
    hypotheses: int
    best: RatedHypothesis | None
    # How many of the gene's hypotheses were settled, which says why a gene may have no best.
    validated: int = 0
    refuted: int = 0

    @property
    def settled(self) -> str:
        """ "3 validated, 12 refuted", naming only outcomes that occurred; "" if none did."""
        counts = ((self.validated, "validated"), (self.refuted, "refuted"))
        return ", ".join(f"{count} {outcome}" for count, outcome in counts if count)


@dataclass(frozen=True)
class FrontPage:
    top: list[RatedHypothesis]
    ranks: list[int]  # of ``top``: ratings that print alike (2 decimals) share a rank
    recent: list[tuple[Evaluation, str]]
    genes: list[GeneEntry]


def _rated(hypotheses: list[Hypothesis], session: Session) -> dict[str, RatedHypothesis]:
    scores = latest_scores(session, hypothesis_ids=[h.id for h in hypotheses])
    rated = {}
    for hypothesis in hypotheses:
        known = scores.get(hypothesis.id)
        if known is None:
            continue
        shown, snapshot = exchange_rating(known.latest), known.latest
        rated[hypothesis.id] = RatedHypothesis(
            id=hypothesis.id,
            title=hypothesis.title,
            rating=shown.score,
            rating_label=shown.label,
            composite=snapshot.composite,
            low=snapshot.composite_low,
            high=snapshot.composite_high,
            version=snapshot.version,
            computed_at=snapshot.created_at,
            open=hypothesis.status == HypothesisStatus.OPEN,
        )
    return rated


def load_front_page(session: Session) -> FrontPage:
    hypotheses = list_hypotheses(session, limit=FRONT_PAGE_SCAN)
    rated = _rated(hypotheses, session)
    ranked = sorted((r for r in rated.values() if r.open), key=lambda r: (-r.rating, r.id))
    titles = {h.id: h.title for h in hypotheses}
    recent = [
        (evaluation, titles.get(evaluation.hypothesis_id, evaluation.hypothesis_id))
        for evaluation in list_evaluations(session, limit=RECENT_EVALUATIONS)
    ]
    by_gene: dict[str, list[Hypothesis]] = {}
    for hypothesis in hypotheses:
        for gene in hypothesis.genes:
            by_gene.setdefault(gene.symbol, []).append(hypothesis)
    genes = []
    for gene in list_genes(session, limit=1000):
        targeting = by_gene.get(gene.symbol, [])
        candidates = [rated[h.id] for h in targeting if h.id in rated and rated[h.id].open]
        best = max(candidates, key=lambda r: (r.rating, r.id)) if candidates else None
        statuses = [h.status for h in targeting]
        genes.append(
            GeneEntry(
                gene.symbol,
                gene.full_name,
                len(targeting),
                best,
                validated=statuses.count(HypothesisStatus.VALIDATED),
                refuted=statuses.count(HypothesisStatus.REFUTED),
            )
        )
    top = ranked[:TOP_HYPOTHESES]
    ranks = shared_ranks([f"{r.rating:.2f}" for r in top])
    return FrontPage(top=top, ranks=ranks, recent=recent, genes=genes)
