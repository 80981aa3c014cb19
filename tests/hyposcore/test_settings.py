"""One settings class: embedded defaults, servers by URL, secrets never printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from common.settings import Settings, get_settings, mask_url
from hyposcore.cli.main import app


def test_the_defaults_are_the_embedded_setup(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve() / 'hyposcore.db'}"
    assert settings.resolved_broker_url == f"sqla+sqlite:///{tmp_path.resolve() / 'broker.db'}"
    assert settings.is_embedded
    assert settings.resolved_result_backend is None
    assert settings.resolved_pages_dir == tmp_path / "pages"


def test_servers_are_chosen_by_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPOSCORE_DATABASE_URL", "postgresql://u:pw@db:5432/hs")
    monkeypatch.setenv("HYPOSCORE_BROKER_URL", "redis://:secret@redis:6379/0")
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.resolved_database_url == "postgresql://u:pw@db:5432/hs"
    assert not settings.is_embedded
    # With Redis as the broker it is the result store too.
    assert settings.resolved_result_backend == "redis://:secret@redis:6379/0"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://user:s3cr%40t@host/db", "postgresql://user:***@host/db"),
        ("amqp://guest:guest@127.0.0.1:5672//", "amqp://guest:***@127.0.0.1:5672//"),
        ("redis://:only-password@redis:6379/0", "redis://:***@redis:6379/0"),
        ("sqlite:///var/hyposcore.db", "sqlite:///var/hyposcore.db"),
    ],
)
def test_url_passwords_are_masked(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_the_settings_command_masks_every_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPOSCORE_OPENAI_API_KEY", "sk-very-secret-key")
    monkeypatch.setenv("HYPOSCORE_ANTHROPIC_API_KEY", "sk-ant-also-secret")
    monkeypatch.setenv("HYPOSCORE_DATABASE_URL", "postgresql://hs:db-password@db/hs")
    monkeypatch.setenv("HYPOSCORE_BROKER_URL", "amqp://hs:mq-password@mq//")
    get_settings.cache_clear()
    for args in (["settings"], ["settings", "--json"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        for secret in ("sk-very-secret-key", "sk-ant-also-secret", "db-password", "mq-password"):
            assert secret not in result.output
        assert "***" in result.output


def test_bad_values_are_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPOSCORE_MAX_ROUNDS", "12")
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="max_rounds"):
        get_settings()
