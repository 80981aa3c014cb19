"""The bundled dataset's cases, and one offline debate scored the way the workers score it.

The cases are built as ``hyposcore demo`` builds them: the bundled MTOR gene page and both
curated hypothesis files imported into a throwaway SQLite ledger, then read back with
``workers.cases``. ``debate_score`` runs the real offline debate (the ``evidence`` backend, the
default configuration) and the real scoring step (``workers.scoring_phase.plan_score``: blend
and trades on an empty market), so a property checked here holds for what ``make demo``
publishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import as_file, files
from pathlib import Path
from tempfile import TemporaryDirectory

from debates.backends import registry
from debates.case import Case
from debates.runner import run_debate
from debates.types import DebateConfig
from hyposcore.data import hypothesis_files
from scoring.blend import Blend
from scoring.lmsr import DEFAULT_LIQUIDITY, MarketState, replay_state
from scoring.weights import Weights
from storage.db import Database
from storage.importing import import_hypotheses
from storage.queries.knowledge import list_hypotheses
from wiki.importer import import_pages
from workers.cases import load_cases
from workers.scoring_phase import outcome_views, plan_score


@lru_cache(maxsize=1)
def bundled_cases() -> dict[str, Case]:
    data = files("hyposcore.data")
    with (
        TemporaryDirectory() as tmp,
        as_file(data / "pages" / "mtor.txt") as page,
        hypothesis_files() as datasets,
    ):
        database = Database(f"sqlite:///{tmp}/bundled.db")
        try:
            database.upgrade()
            import_pages(database, [Path(page)])
            for dataset in datasets:
                import_hypotheses(database, dataset)
            with database.transaction() as session:
                ids = [h.id for h in list_hypotheses(session, limit=10_000)]
                return dict(sorted(load_cases(session, hypothesis_ids=ids).items()))
        finally:
            database.dispose()


@dataclass(frozen=True)
class Scored:
    blend: Blend
    price: float  # the exchange rating after this one debate on an empty market
    panel: tuple[str, ...]  # who was asked, escalated specialists included


def debate_score(case: Case) -> Scored:
    outcome = run_debate(case, config=DebateConfig(), backend=registry.create("evidence"))
    market = MarketState(DEFAULT_LIQUIDITY)
    plan = plan_score(
        outcome_views(outcome),
        {},
        Weights.default(),
        level=0.8,
        market=market,
        quality=outcome.quality,
    )
    return Scored(plan.blend, replay_state(market.b, plan.trades).price, outcome.panel)
