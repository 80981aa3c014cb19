"""Every view names the model that debated: the one its worker recorded asking for, which the
config leaves out when the worker's default answers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from storage.db import Database
from tests.api.seed import Seeded, debated_by


def test_the_api_and_the_page_name_the_recorded_model(
    client: TestClient, db: Database, seeded: Seeded
) -> None:
    evaluation_id = seeded.evaluation_id
    debated_by(db, evaluation_id, recorded="model-w", asked=None)
    assert client.get(f"/evaluations/{evaluation_id}").json()["model"] == "model-w"
    assert "openai (model-w)" in client.get(f"/web/evaluations/{evaluation_id}").text

    # Before its debate starts, a config that names a model is all there is to show.
    debated_by(db, evaluation_id, recorded=None, asked="model-c")
    assert client.get(f"/evaluations/{evaluation_id}").json()["model"] == "model-c"
    debated_by(db, evaluation_id, recorded=None, asked=None)
    assert client.get(f"/evaluations/{evaluation_id}").json()["model"] is None
