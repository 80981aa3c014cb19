"""An app around the test database, a client, seeded rows and a write token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from common.settings import Settings
from storage.db import Database
from storage.queries.tokens import create_token
from tests.api.seed import Seeded, seed
from tests.databases import migrated_sqlite


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """SQLite only, for tests of rendering whose queries the dialect-wide tests already cover."""
    database = migrated_sqlite(tmp_path / "api.db")
    yield database
    database.dispose()


@pytest.fixture
def settings() -> Settings:
    return Settings(max_request_bytes=4096)


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, db)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def seeded(db: Database) -> Seeded:
    return seed(db)


@pytest.fixture
def token(db: Database) -> str:
    with db.transaction() as session:
        return create_token(session, name="tests").plain


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
