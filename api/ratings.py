"""The one number shown for a hypothesis: the page publisher's rule, reused by the API.

A badge, an API response and a published gene page must never disagree (the seed MTOR page
showed 0.80 in its infobox and 0.73 in its Exchange list), so the API does not choose its own
number: it asks ``wiki.publish_rows.shown_number``, the function the publisher writes with.
"""

from __future__ import annotations

from storage.models import ScoreSnapshot
from storage.queries.publishing import SnapshotFacts
from wiki.publish_rows import ShownNumber, shown_number


def exchange_rating(snapshot: ScoreSnapshot) -> ShownNumber:
    """The number shown for a snapshot, by the very rule the page publisher uses."""
    return shown_number(
        SnapshotFacts(
            id=snapshot.id,
            hypothesis_id=snapshot.hypothesis_id,
            version=snapshot.version,
            composite=snapshot.composite,
            composite_low=snapshot.composite_low,
            composite_high=snapshot.composite_high,
            market_price=snapshot.market_price,
        )
    )
