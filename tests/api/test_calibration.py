"""The per-persona calibration table over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from storage.db import Database
from storage.models import PersonaCalibration


def test_calibration_lists_personas_most_believable_first(client: TestClient, db: Database) -> None:
    assert client.get("/calibration").json() == []
    when = datetime(2026, 11, 1, tzinfo=UTC)
    with db.transaction() as session:
        session.add_all(
            [
                PersonaCalibration(
                    persona="skeptic",
                    believability=1.4,
                    brier=0.12,
                    resolved_count=3,
                    updated_at=when,
                ),
                PersonaCalibration(
                    persona="theorist",
                    believability=0.6,
                    brier=0.41,
                    resolved_count=3,
                    updated_at=when,
                ),
            ]
        )
    rows = client.get("/calibration").json()
    assert [(r["persona"], r["believability"], r["brier"]) for r in rows] == [
        ("skeptic", 1.4, 0.12),
        ("theorist", 0.6, 0.41),
    ]
    assert rows[0]["resolved_count"] == 3
