"""Read what one response needs, shared by the JSON endpoints, the badges and the web views.

The JSON API and the HTML pages call the same loaders, so a page and its API twin can never
show different numbers for the same hypothesis.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from api.gene_schemas import GeneOut, GenePageInfo, gene_out
from api.ratings import exchange_rating
from api.schemas import (
    HypothesisDetail,
    HypothesisSummary,
    hypothesis_detail,
    hypothesis_summary,
)
from api.track_record import track_records
from common.text import shorten_title
from storage.models import Evaluation, Gene, Hypothesis, HypothesisStatus
from storage.queries.knowledge import get_gene, get_hypothesis, list_hypotheses
from storage.queries.leaderboard import LeaderboardRow, standing
from storage.queries.views import (
    LatestScores,
    gene_page_for,
    latest_evaluation,
    latest_page_revision,
    latest_scores,
)
from wiki.badges import BadgeScore, reading_order

GENE_HYPOTHESES_LIMIT = 500


def badge_score(hypothesis: Hypothesis, scores: LatestScores | None) -> BadgeScore:
    return BadgeScore(
        label=shorten_title(hypothesis.title),
        score=exchange_rating(scores.latest).score if scores else None,
        previous=exchange_rating(scores.previous).score if scores and scores.previous else None,
        outcome=None if hypothesis.status == HypothesisStatus.OPEN else hypothesis.status,
    )


@dataclass(frozen=True)
class HypothesisView:
    hypothesis: Hypothesis
    scores: LatestScores | None
    evaluation: Evaluation | None
    detail: HypothesisDetail
    tournament: LeaderboardRow

    @property
    def badge(self) -> BadgeScore:
        return badge_score(self.hypothesis, self.scores)


def load_hypothesis(session: Session, *, hypothesis_id: str) -> HypothesisView:
    hypothesis = get_hypothesis(session, hypothesis_id=hypothesis_id)
    scores = latest_scores(session, hypothesis_ids=[hypothesis.id]).get(hypothesis.id)
    evaluation = latest_evaluation(session, hypothesis_id=hypothesis.id)
    tournament = standing(session, hypothesis_id=hypothesis.id)
    records = track_records(
        session, hypothesis=hypothesis, snapshot=scores.latest if scores else None
    )
    detail = hypothesis_detail(
        hypothesis, scores, evaluation.id if evaluation else None, tournament, records
    )
    return HypothesisView(hypothesis, scores, evaluation, detail, tournament)


def summaries(session: Session, hypotheses: list[Hypothesis]) -> list[HypothesisSummary]:
    scores = latest_scores(session, hypothesis_ids=[h.id for h in hypotheses])
    return [hypothesis_summary(h, scores.get(h.id)) for h in hypotheses]


@dataclass(frozen=True)
class GeneView:
    gene: Gene
    hypotheses: list[Hypothesis]
    scores: dict[str, LatestScores]
    out: GeneOut

    @property
    def badges(self) -> list[BadgeScore]:
        """One row per scored hypothesis, the rows the published page's badge has: a served
        badge and a published one are the same bytes (``wiki.publish_rows.page_badge_svg``)."""
        return [badge_score(h, self.scores[h.id]) for h in self.hypotheses if h.id in self.scores]


def _by_score(hypotheses: list[Hypothesis], scores: dict[str, LatestScores]) -> list[Hypothesis]:
    # The gene badge's order (wiki.badges.reading_order); by id for a stable order.
    def key(h: Hypothesis) -> tuple[bool, bool, float, str]:
        badge = badge_score(h, scores.get(h.id))
        return (*reading_order(badge.score, badge.outcome), h.id)

    return sorted(hypotheses, key=key)


def load_gene(session: Session, *, symbol: str) -> GeneView:
    gene = get_gene(session, symbol=symbol)
    found = list_hypotheses(session, gene=gene.symbol, limit=GENE_HYPOTHESES_LIMIT)
    scores = latest_scores(session, hypothesis_ids=[h.id for h in found])
    ordered = _by_score(found, scores)
    page_info = None
    page = gene_page_for(session, gene_id=gene.id)
    if page is not None:
        revision = latest_page_revision(session, page_name=page.name)
        page_info = GenePageInfo(
            name=page.name,
            imported_at=page.imported_at,
            latest_revision=revision.revision if revision else None,
            published_at=revision.created_at if revision else None,
        )
    out = gene_out(gene, [hypothesis_summary(h, scores.get(h.id)) for h in ordered], page_info)
    return GeneView(gene, ordered, scores, out)
