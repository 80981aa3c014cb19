"""The scheduler checks its debate configuration before it queues: a wrong setting is named and
nothing reaches the ledger or the broker."""

from __future__ import annotations

import pytest

from common.settings import get_settings
from debates.config import ConfigError
from storage.db import Database
from storage.importing import import_hypotheses
from storage.models import Evaluation
from tests.workers.pipeline_helpers import dataset_path
from workers import maintenance
from workers.broker import queue_depths
from workers.celery_app import create_app


@pytest.mark.parametrize(
    ("environment", "field", "message"),
    [
        ({"HYPOSCORE_BACKEND": "nosuchbackend"}, "backend", "unknown backend 'nosuchbackend'"),
        (
            {"HYPOSCORE_MIN_ROUNDS": "6", "HYPOSCORE_MAX_ROUNDS": "3"},
            "min_rounds",
            "6 is greater than max_rounds 3",
        ),
    ],
)
def test_the_scheduler_refuses_an_unusable_configuration_and_queues_nothing(
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    field: str,
    message: str,
) -> None:
    import_hypotheses(db, dataset_path())
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    settings = get_settings().model_copy(update={"reevaluate_batch": 3})
    with pytest.raises(ConfigError, match=message) as refused:
        maintenance.reevaluate(db, settings, create_app(settings))
    assert refused.value.field == field
    with db.sessions() as session:
        assert session.query(Evaluation).count() == 0
    assert sum(queue_depths(settings.resolved_broker_url).values()) == 0
