"""API tokens: stored as SHA-256, verified, revoked; and the ``hyposcore token`` commands."""

from __future__ import annotations

import hashlib

import pytest
from typer.testing import CliRunner

from common.settings import get_settings
from hyposcore.cli.main import app as cli
from storage.db import Database
from storage.errors import InvalidInputError, NotFoundError
from storage.models import ApiToken
from storage.queries.tokens import create_token, list_tokens, revoke_token, verify_token


def test_only_the_digest_is_stored_and_the_plain_token_verifies(db: Database) -> None:
    with db.transaction() as session:
        created = create_token(session, name="ci-bot")
    with db.sessions() as session:
        row = session.query(ApiToken).one()
        assert row.token_sha256 == hashlib.sha256(created.plain.encode()).hexdigest()
        assert created.plain not in (row.token_sha256, row.name)
    with db.transaction() as session:
        token = verify_token(session, plain=created.plain)
        assert token is not None and token.name == "ci-bot" and token.last_used_at is not None
        assert verify_token(session, plain=created.plain + "x") is None


def test_revoked_tokens_no_longer_verify(db: Database) -> None:
    with db.transaction() as session:
        created = create_token(session, name="old")
        first = revoke_token(session, name="old").revoked_at
        assert revoke_token(session, name="old").revoked_at == first
    with db.transaction() as session:
        assert verify_token(session, plain=created.plain) is None
        with pytest.raises(NotFoundError, match="nope"):
            revoke_token(session, name="nope")


def test_names_are_unique_and_plain(db: Database) -> None:
    with db.transaction() as session:
        create_token(session, name="dup")
        with pytest.raises(InvalidInputError, match="already exists"):
            create_token(session, name="dup")
        with pytest.raises(InvalidInputError, match="token name"):
            create_token(session, name="bad name; DROP TABLE")
        assert [t.name for t in list_tokens(session)] == ["dup"]


def test_token_cli_creates_lists_and_revokes() -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["token", "create", "deploy"])
    assert created.exit_code == 0, created.output
    plain = created.output.strip().splitlines()[-1]
    assert plain.startswith("hs_")

    listed = runner.invoke(cli, ["token", "list"])
    assert "deploy" in listed.output and "active" in listed.output
    assert plain not in listed.output

    again = runner.invoke(cli, ["token", "create", "deploy"])
    assert again.exit_code == 2 and "already exists" in again.output

    revoked = runner.invoke(cli, ["token", "revoke", "deploy"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert "revoked" in runner.invoke(cli, ["token", "list"]).output
    missing = runner.invoke(cli, ["token", "revoke", "ghost"])
    assert missing.exit_code == 2 and "ghost" in missing.output

    database = Database(get_settings().resolved_database_url)
    with database.transaction() as session:
        assert verify_token(session, plain=plain) is None
    database.dispose()
