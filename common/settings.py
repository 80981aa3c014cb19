"""The one settings class: every knob, read from ``HYPOSCORE_*`` environment variables.

The defaults form the embedded setup (no servers): a data folder ``./var`` holding the SQLite
database, the SQLite-backed Celery broker and the published pages. Pointing the URLs at
PostgreSQL, Redis or RabbitMQ moves the same code onto servers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

_URL_PASSWORD = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@]*):(?P<pw>[^@/]+)@"
)


def mask_url(url: str) -> str:
    """Hide the password inside a URL such as ``postgresql://u:secret@host/db``."""
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", url)


def masked_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` fit to print: secrets as ``***`` (or "" when empty), URL passwords hidden."""
    shown: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, SecretStr):
            shown[name] = "***" if value.get_secret_value() else ""
        elif isinstance(value, str):
            shown[name] = mask_url(value)
        else:
            shown[name] = value
    return shown


class Settings(BaseSettings):
    """Configuration for every room of hyposcore; see ``hyposcore settings`` for the live values."""

    model_config = SettingsConfigDict(
        env_prefix="HYPOSCORE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(
        Path("var"), description="Folder for the embedded database, broker and pages."
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: SQLite file hyposcore.db in the data folder."
    )
    broker_url: str | None = Field(
        None,
        description="Celery broker URL (redis://, amqp://); default: SQLite broker.db in data_dir.",
    )
    result_backend: str | None = Field(
        None, description="Celery result store; default: Redis when the broker is Redis, else none."
    )
    broker_key_prefix: str = Field(
        "", description="Prefix for every Redis key of the broker, to share one Redis safely."
    )
    pages_dir: Path | None = Field(
        None, description="Folder of gene pages to publish into; default: data/pages."
    )
    task_events: bool = Field(
        False,
        description=(
            "Workers send Celery task events (and senders task-sent events) at all times. Flower "
            "turns events on by itself while it runs; they cost about ten broker messages a "
            "debate, so leave this off unless another monitor needs them."
        ),
    )
    score_batch_size: int = Field(
        32,
        ge=1,
        le=1000,
        description=(
            "Waiting debated evaluations a score delivery takes into one batch (one "
            "transaction) besides its own; it takes batch after batch until none are left. A "
            "batch reads markets, ratings and the scoring config once."
        ),
    )
    publish_delay_seconds: float = Field(
        1.0,
        ge=0,
        le=300,
        description=(
            "With Redis configured, how long a publish waits after the score batch that sent "
            "it, so that the genes scored meanwhile are published with it, once; without "
            "Redis every score batch publishes its genes at once."
        ),
    )
    database_pool_size: int = Field(
        20,
        ge=1,
        le=500,
        description=(
            "PostgreSQL connections each process keeps open once it has needed them. A busy "
            "threads worker wants about half its concurrency; fewer means a new connection, "
            "and a new server process, for nearly every transaction."
        ),
    )
    database_max_overflow: int = Field(
        10,
        ge=0,
        le=500,
        description="Connections a process may open beyond the pool for a burst, closed after.",
    )

    # Debates
    backend: str = Field(
        "evidence",
        description=(
            "Default agent backend: evidence, openai, anthropic or an installed one. Each "
            "backend reads its own options from HYPOSCORE_<BACKEND>_* (docs/llm-backends.md)."
        ),
    )
    min_rounds: int = Field(2, ge=2, le=8)
    max_rounds: int = Field(8, ge=2, le=8)
    llm_max_concurrency: int = Field(
        8, ge=1, description="Provider-wide concurrent requests, all workers."
    )
    llm_requests_per_minute: int = Field(
        600, ge=1, description="Provider-wide request rate, all workers."
    )
    debate_starts_per_worker: int = Field(
        3,
        ge=0,
        le=1000,
        description=(
            "Debates a worker process starts at once (claim and reads, up to the first "
            "request), in about the order they came; under a burst the first debates reach the "
            "provider sooner. 0: no limit."
        ),
    )

    # Spend limits (USD, from the providers' billed usage and the price table)
    max_cost_per_evaluation: float | None = Field(
        None,
        gt=0,
        description=(
            "Pause an evaluation at a turn boundary before its next turn would take its "
            "billed cost past this; unset means no limit."
        ),
    )
    daily_budget: float | None = Field(
        None,
        gt=0,
        description=(
            "Billed cost all workers may spend per UTC day; an evaluation whose next turn "
            "would pass it pauses until the next day. Unset means no limit."
        ),
    )

    # Provider batch APIs (half price, answers within 24 hours)
    provider_batches: bool = Field(
        True,
        description=(
            "Send work that can wait (scheduled re-evaluations, backtests, and queue "
            "requests without --now) through the provider's batch API, when its backend has "
            "one; each round of the waiting debates is one batch."
        ),
    )
    provider_batch_poll_seconds: int = Field(
        60, ge=1, description="How often beat polls open provider batches and submits new ones."
    )
    provider_batch_max_items: int = Field(
        1000, ge=1, le=50_000, description="Turns one provider batch holds at most."
    )
    provider_batch_retry_live: bool = Field(
        True,
        description=(
            "Ask a turn live when its batch item expired or failed with an error a retry may "
            "pass; otherwise the evaluation fails with the item's reason."
        ),
    )

    offline_batch_size: int = Field(
        64,
        ge=1,
        le=64,
        description=(
            "Offline evaluations a worker claims and finishes in one transaction; 1 turns "
            "batching off."
        ),
    )

    # Ledger
    lease_seconds: int = Field(
        120, ge=5, description="A running evaluation's lease; heartbeats renew it."
    )
    max_attempts: int = Field(
        3, ge=1, description="Deliveries of an evaluation before it fails for good."
    )
    visibility_timeout_seconds: int = Field(3600, ge=60)
    retry_backoff_seconds: float = Field(
        2.0,
        gt=0,
        le=60,
        description=(
            "Base of the back-off after a provider failure: the n-th retry of one request "
            "waits base·2^(n-1), jittered by ±50%, at most 120 s."
        ),
    )
    resend_after_seconds: int = Field(
        300,
        ge=1,
        description=(
            "Re-send the message of a queued (or debated) evaluation older than this; "
            "the reaper waits longer while the queue is deep."
        ),
    )

    # Schedule (celery beat)
    reap_interval_seconds: int = Field(30, ge=1)
    reevaluate_interval_seconds: int = Field(3600, ge=10)
    reevaluate_batch: int = Field(5, ge=0, description="Evaluations the scheduler queues a run.")
    stale_after_hours: float = Field(
        24 * 7, gt=0, description="Re-evaluate scores older than this."
    )
    tournament_interval_seconds: int = Field(1800, ge=10)
    tournament_pairs: int = Field(8, ge=1)
    tournament_top_k: int = Field(
        0, ge=0, description="Spend judge calls on finding the k best hypotheses; 0 ranks all."
    )
    refit_interval_seconds: int = Field(900, ge=10)
    tournament_memory_mb: int | None = Field(
        None,
        ge=1,
        description="The most memory (MB) a tournament fit may take; a refit or round that "
        "would need more refuses. Unset: half of what is available when it starts.",
    )

    # Scoring
    market_liquidity: float = Field(100.0, gt=0, description="LMSR liquidity parameter b.")
    interval_level: float = Field(0.8, gt=0, lt=1)

    # API
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    max_request_bytes: int = Field(1_000_000, ge=1024)
    public_url: str | None = Field(
        None,
        pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$",
        description=(
            "The API's public base URL (e.g. https://scores.example.org), used for absolute "
            "links such as badge snippets; without it those links are relative. The request's "
            "Host header is never used."
        ),
    )
    allowed_hosts: str = Field(
        "localhost,127.0.0.1,::1,testserver",
        description=(
            "Comma-separated host names the API answers to (a leading '*.' matches "
            "subdomains, '*' any host); the public URL's host is always allowed. Requests "
            "for other hosts get 400."
        ),
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'hyposcore.db'}"

    @property
    def resolved_broker_url(self) -> str:
        return self.broker_url or f"sqla+sqlite:///{self.data_dir.resolve() / 'broker.db'}"

    @property
    def resolved_result_backend(self) -> str | None:
        if self.result_backend:
            return self.result_backend
        if self.resolved_broker_url.startswith(("redis://", "rediss://")):
            return self.resolved_broker_url
        return None

    @property
    def resolved_allowed_hosts(self) -> list[str]:
        hosts = [host.strip() for host in self.allowed_hosts.split(",") if host.strip()]
        if self.public_url:
            hosts.append(urlsplit(self.public_url).hostname or "")
        return list(dict.fromkeys(host for host in hosts if host))

    @property
    def resolved_public_url(self) -> str:
        """The public base URL without a trailing slash; empty when links are relative."""
        return (self.public_url or "").rstrip("/")

    @property
    def resolved_pages_dir(self) -> Path:
        return self.pages_dir or self.data_dir / "pages"

    @property
    def is_embedded(self) -> bool:
        return self.resolved_broker_url.startswith("sqla+")

    def ensure_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def masked(self) -> dict[str, Any]:
        """Every setting with its effective value, secrets and URL passwords hidden."""
        shown = masked_values(dict(self))
        shown["database_url"] = mask_url(self.resolved_database_url)
        shown["broker_url"] = mask_url(self.resolved_broker_url)
        backend = self.resolved_result_backend
        shown["result_backend"] = mask_url(backend) if backend else None
        shown["pages_dir"] = str(self.resolved_pages_dir)
        shown["data_dir"] = str(self.data_dir)
        return shown


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; call ``get_settings.cache_clear()`` after changing the env."""
    return Settings()
