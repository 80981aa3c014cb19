"""A model's training cutoff, configured after its debates ran, given to them in the ledger.

Each debate records at its start the model it asks for and that model's cutoff, when one is
configured (``storage.queries.debate_starts``); a blind forecast grades the personas only when
the cutoff shows the model cannot have read the outcome. A cutoff is a fact of the model, so
one configured later belongs to the debates that model already ran: a worker gives it to them
when it starts, and a pipeline backtest to the debates it reuses. A recorded cutoff is never
changed.
"""

from __future__ import annotations

from collections.abc import Sequence

from debates.backends.knowledge import configured_cutoffs
from storage.db import Database
from storage.queries.calibration import resolved_among
from storage.queries.debate_starts import record_cutoffs
from workers.scoring_phase import grade_personas_on


def record_configured_cutoffs(
    database: Database, *, backend: str, evaluation_ids: Sequence[int] | None = None
) -> int:
    """Give the debates of ``backend`` (of ``evaluation_ids`` only, when given) that recorded
    their model but no training cutoff the cutoff this process's settings give that model, and
    grade the personas again on the resolved hypotheses they forecast; returns how many
    hypotheses that reached."""
    cutoffs = {model: cutoff.latest for model, cutoff in configured_cutoffs(backend).items()}
    if not cutoffs:
        return 0
    with database.transaction() as session:
        changed = record_cutoffs(
            session, backend=backend, cutoffs=cutoffs, evaluation_ids=evaluation_ids
        )
        grade_personas_on(session, hypothesis_ids=resolved_among(session, hypothesis_ids=changed))
    return len(changed)
