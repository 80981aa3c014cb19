"""Rows for the API tests, inserted directly: a scored hypothesis with its debate and market,
an unscored one, a gene page with a published revision, and hostile (XSS) variants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from storage.db import Database
from storage.models import (
    DebateTurn,
    Disease,
    Evaluation,
    EvidenceItem,
    Gene,
    GenePage,
    Hypothesis,
    MarketTrade,
    PageRevision,
    Rating,
    ScoreSnapshot,
    ScoringConfig,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
HYPOTHESIS = "h-51e7234f"
UNSCORED = "h-00000002"
COMPOSITES = (0.62, 0.70, 0.73)
MARKET_PRICES = (0.55, 0.64, 0.71)
XSS = "<script>alert('x')</script>"
XSS_GENE = "<svg onload=alert(1)>"
XSS_HYPOTHESIS = "h-xss00001"


@dataclass(frozen=True)
class Seeded:
    hypothesis_id: str
    unscored_id: str
    evaluation_id: int


def _dimensions(mean: float) -> dict[str, dict[str, float]]:
    return {
        "mechanistic_plausibility": {"mean": mean, "low": mean - 0.1, "high": mean + 0.1, "n": 4},
        "evidence_strength": {"mean": mean - 0.05, "low": mean - 0.2, "high": mean, "n": 4},
        "novelty": {"mean": 0.5, "low": 0.4, "high": 0.6, "n": 2},
    }


def seed(db: Database) -> Seeded:
    with db.transaction() as session:
        disease = Disease(slug="alzheimers-disease", name="Alzheimer's disease")
        mtor = Gene(
            symbol="MTOR",
            full_name="Mechanistic Target of Rapamycin",
            location="1p36.22",
            ncbi_gene_id="2475",
            uniprot_id="P42345",
            infobox={},
            functions=[],
            references=[],
            diseases=[disease],
        )
        apoe = Gene(symbol="APOE", infobox={}, functions=[], references=[])
        scored = Hypothesis(
            id=HYPOTHESIS,
            title="APOE-Dependent Autophagy Restoration",
            statement="Restoring autophagy via mTORC1 inhibition rescues APOE4 deficits.",
            status="open",
            genes=[mtor, apoe],
            diseases=[disease],
        )
        scored.evidence = [
            EvidenceItem(
                citation="PMID:29103802",
                pmid="29103802",
                claim="Rapamycin restores autophagic flux in APOE4 astrocytes.",
                direction="supports",
                study_type="in-vitro",
                year=2017,
                replicated=True,
                replicated_since="2019-05",
            ),
            EvidenceItem(
                citation="DOI:10.1002/mds.27334",
                doi="10.1002/mds.27334",
                claim="mTOR signalling shapes autophagy in Parkinson's disease.",
                direction="contradicts",
                study_type="review",
                year=2018,
            ),
        ]
        unscored = Hypothesis(
            id=UNSCORED, title="mTORC2 and Synaptic Plasticity", status="refuted", genes=[mtor]
        )
        session.add_all([scored, unscored])
        session.add(ScoringConfig(hash="c" * 64, weights={"novelty": 1.0}))
        evaluation = Evaluation(
            hypothesis_id=HYPOTHESIS,
            config={"backend": "evidence", "max_rounds": 2},
            config_hash="e" * 64,
            dedup_key=None,
            state="succeeded",
            attempts=1,
            max_attempts=3,
            progress={"phase": "scoring", "round": 2, "rounds": 2, "turns_done": 4},
            decisions=[{"round": 2, "action": "stop", "reason": "scores converged"}],
            created_at=T0,
            finished_at=T0 + timedelta(minutes=3),
        )
        session.add(evaluation)
        session.flush()
        for index, (persona, latency) in enumerate((("theorist", 180.0), ("skeptic", 2400.0))):
            session.add(
                DebateTurn(
                    evaluation_id=evaluation.id,
                    round=1,
                    persona=persona,
                    backend="evidence",
                    argument=f"{persona} argues from the cited evidence.",
                    claims=[
                        {
                            "text": "Rapamycin restores autophagic flux.",
                            "citations": ["PMID:29103802", "DOI:10.1002/mds.27334"],
                        }
                    ],
                    scores={"novelty": 0.5 + index / 10},
                    confidence=0.7,
                    probability=0.6 - index / 10,
                    verdict="support" if index == 0 else "oppose",
                    unsupported_citations=[],
                    latency_ms=latency,
                    created_at=T0 + timedelta(seconds=index),
                )
            )
        for version, (composite, price) in enumerate(
            zip(COMPOSITES, MARKET_PRICES, strict=True), start=1
        ):
            session.add(
                ScoreSnapshot(
                    hypothesis_id=HYPOTHESIS,
                    evaluation_id=evaluation.id if version == 3 else None,
                    version=version,
                    dimensions=_dimensions(composite),
                    composite=composite,
                    composite_low=composite - 0.08,
                    composite_high=composite + 0.07,
                    coverage=0.42,  # the weights of the three dimensions scored
                    market_price=price,
                    config_hash="c" * 64,
                    created_at=T0 + timedelta(days=version),
                )
            )
        for seq, (before, after) in enumerate(((0.5, 0.6), (0.6, 0.71)), start=1):
            session.add(
                MarketTrade(
                    hypothesis_id=HYPOTHESIS,
                    evaluation_id=evaluation.id,
                    seq=seq,
                    persona=("theorist", "skeptic")[seq - 1],
                    target_probability=after,
                    shares_yes=1.0,
                    shares_no=0.0,
                    cost=0.5,
                    price_before=before,
                    price_after=after,
                    created_at=T0 + timedelta(seconds=seq),
                )
            )
        session.add_all(
            [
                Rating(
                    hypothesis_id=HYPOTHESIS,
                    strength=1.4,
                    strength_low=0.9,
                    strength_high=1.9,
                    elo=1264.0,
                    matches=6,
                ),
                Rating(hypothesis_id=UNSCORED, elo=1180.0, matches=3),
            ]
        )
        session.add(
            GenePage(name="MTOR", gene=mtor, content="MTOR Gene\n", content_sha256="0" * 64)
        )
        session.add_all(
            [
                PageRevision(
                    page_name="MTOR",
                    revision=revision,
                    content=f"MTOR Gene\nrevision {revision}\n",
                    content_sha256=str(revision) * 64,
                    snapshot_ids=[],
                )
                for revision in (1, 2)
            ]
        )
        session.flush()
        return Seeded(HYPOTHESIS, UNSCORED, evaluation.id)


def seed_xss(db: Database) -> None:
    """A gene, hypothesis, evidence claim and debate turn whose text is script payloads."""
    with db.transaction() as session:
        gene = Gene(symbol=XSS_GENE, full_name=XSS, infobox={}, functions=[], references=[])
        hypothesis = Hypothesis(
            id=XSS_HYPOTHESIS, title=XSS, statement=XSS, status="open", genes=[gene]
        )
        hypothesis.evidence = [
            EvidenceItem(
                citation="PMID:1",
                pmid="1",
                claim=f'claim "><img src=x onerror=alert(2)> {XSS}',
                direction="supports",
                study_type="rct",
            )
        ]
        session.add(hypothesis)
        session.add(ScoringConfig(hash="x" * 64, weights={}))
        evaluation = Evaluation(
            hypothesis_id=XSS_HYPOTHESIS,
            config={},
            config_hash="f" * 64,
            state="failed",
            error=f"RuntimeError: {XSS}",
            progress={},
            decisions=[{"reason": XSS}],
        )
        session.add(evaluation)
        session.flush()
        session.add(
            DebateTurn(
                evaluation_id=evaluation.id,
                round=1,
                persona="theorist",
                backend="evidence",
                argument=XSS,
                claims=[{"text": XSS, "citations": ['PMID:1"><script>']}],
                scores={},
                confidence=0.5,
                probability=0.5,
                verdict="uncertain",
                unsupported_citations=[XSS],
            )
        )
        session.add(
            ScoreSnapshot(
                hypothesis_id=XSS_HYPOTHESIS,
                version=1,
                dimensions={XSS: {"mean": 0.5}},
                composite=0.5,
                composite_low=0.4,
                composite_high=0.6,
                coverage=0.5,
                config_hash="x" * 64,
            )
        )


def resolve(db: Database, hypothesis_id: str, status: str, on: date) -> None:
    """Settle a stored hypothesis as an import of its resolution would."""
    with db.transaction() as session:
        hypothesis = session.get(Hypothesis, hypothesis_id)
        assert hypothesis is not None
        hypothesis.status, hypothesis.resolved_on = status, on
        hypothesis.resolution_source = "a trial"


def add_evaluation(
    db: Database,
    hypothesis_id: str,
    state: str,
    *,
    config: dict[str, Any] | None = None,
    progress: dict[str, Any] | None = None,
) -> int:
    """One more evaluation of a stored hypothesis, with no turns; its id."""
    with db.transaction() as session:
        evaluation = Evaluation(
            hypothesis_id=hypothesis_id,
            state=state,
            config=config or {"backend": "evidence", "max_rounds": 2},
            config_hash="e" * 64,
            attempts=0 if state == "queued" else 1,
            progress=progress or {},
        )
        session.add(evaluation)
        session.flush()
        return evaluation.id


def debated_by(
    db: Database, evaluation_id: int, *, recorded: str | None, asked: str | None
) -> None:
    with db.transaction() as session:
        row = session.get(Evaluation, evaluation_id)
        assert row is not None
        row.config = {**row.config, "backend": "openai", "model": asked}
        row.model = recorded
