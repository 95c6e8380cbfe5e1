"""Settings, read from HANDOFF_* environment variables (and a .env file).

With nothing set, Handoff runs embedded: an in-process broker, a SQLite file
under ``.handoff/`` and no external systems (the demo starts sandboxes). In
production every setting below is named in the README. Tracing is configured
by the standard OTEL_* variables, not here.

A wrong or missing setting fails at start-up with ``SettingsError``, whose
message names each offending variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_DATABASE_URL", "Settings", "SettingsError", "load_settings"]

ENV_PREFIX = "HANDOFF_"
DEFAULT_DATABASE_URL = "sqlite:///.handoff/handoff.db"


class SettingsError(Exception):
    """One or more settings are wrong; the message names each variable."""


class Settings(BaseSettings):
    """Every knob of Handoff. Field ``x`` is set by ``HANDOFF_X``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    broker_url: str | None = Field(
        default=None,
        description="redis://… or amqp://…; unset runs an in-process broker.",
    )
    namespace: str = Field(
        default="handoff",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="Prefix of every Redis key (queues, locks, counters), so "
        "several deployments can share one Redis.",
    )
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL of the mapping store (SQLite or PostgreSQL).",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis for locks and rate limits; defaults to a redis:// broker.",
    )

    salesforce_url: AnyHttpUrl | None = Field(
        default=None,
        description="Login or My Domain URL that serves /services/oauth2/token.",
    )
    salesforce_client_id: str | None = None
    salesforce_client_secret: SecretStr | None = None
    salesforce_username: str | None = Field(
        default=None, description="Integration user, for the JWT bearer flow."
    )
    salesforce_private_key_file: Path | None = Field(
        default=None, description="PEM private key, for the JWT bearer flow."
    )
    salesforce_audience: str = "https://login.salesforce.com"
    salesforce_api_version: str = "62.0"
    salesforce_client_tag: str = Field(
        default="handoff",
        description="Sent as Sforce-Call-Options client=…; its echoes are dropped.",
    )
    salesforce_calls_per_minute: int = Field(
        default=1_000,
        ge=1,
        description="Salesforce calls all workers together may make in a minute.",
    )
    salesforce_daily_reserve_percent: float = Field(
        default=10.0,
        ge=0,
        lt=100,
        description="Share of the daily API allocation Handoff never spends, so "
        "other integrations and people keep theirs.",
    )

    rocketlane_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("https://api.rocketlane.com/api/1.0"),
        description="Rocketlane API root, including /api/1.0.",
    )
    rocketlane_api_key: SecretStr | None = None
    rocketlane_api_user_email: str | None = Field(
        default=None,
        description="Email of the API key's user; its webhook echoes are dropped.",
    )
    rocketlane_rate_limit_per_minute: int = Field(
        default=200,
        ge=1,
        description="Rocketlane calls all workers together may make in a minute; "
        "Rocketlane's documents disagree on the figure.",
    )
    rocketlane_list_rate_limit_per_minute: int = Field(
        default=60,
        ge=1,
        description="Rocketlane list GETs all workers together may make in a "
        "minute (60 documented).",
    )

    policy_file: Path | None = Field(
        default=None, description="YAML policy; unset uses the built-in defaults."
    )

    worker_processes: int = Field(default=2, ge=1, le=64)
    worker_threads: int = Field(default=8, ge=1, le=256)
    max_retries: int = Field(default=8, ge=0, le=100)
    min_backoff_ms: int = Field(default=1_000, ge=10)
    max_backoff_ms: int = Field(default=300_000, ge=10)
    max_deliveries: int = Field(
        default=12,
        ge=1,
        description="Deliveries of one message (retries plus crash redeliveries) "
        "before it is dead-lettered as poison.",
    )
    lock_wait_s: float = Field(default=10.0, gt=0)
    lock_ttl_s: float = Field(default=60.0, gt=0)
    heartbeat_timeout_ms: int = Field(default=60_000, ge=1_000)
    maintenance_chance: int = Field(default=1_000, ge=0, le=1_000_000)

    ingress_host: str = "127.0.0.1"
    ingress_port: int = Field(default=8080, ge=1, le=65535)
    ingress_token: SecretStr | None = Field(
        default=None, description="Bearer token producers must send to the ingress."
    )
    webhook_username: str | None = Field(
        default=None, description="HTTP Basic user Rocketlane webhooks must send."
    )
    webhook_password: SecretStr | None = None
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Accept webhooks posted to /webhooks/rocketlane/<secret>.",
    )
    rocketlane_api_user_id: int | None = Field(
        default=None, description="User ID of the API key's user, for echoes."
    )
    writeback_window_ms: int = Field(
        default=2_000,
        ge=0,
        le=600_000,
        description="How long delivery signals gather before one batched write.",
    )
    reconcile_max_salesforce_calls: int | None = Field(default=None, ge=0)
    reconcile_max_rocketlane_calls: int | None = Field(default=None, ge=0)

    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Serve each worker host's Prometheus metrics on this port.",
    )
    metrics_host: str = "127.0.0.1"

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("broker_url")
    @classmethod
    def _known_broker(cls, value: str | None) -> str | None:
        schemes = ("redis://", "rediss://", "unix://", "amqp://", "amqps://")
        if value is not None and not value.startswith(schemes):
            raise ValueError(f"must start with one of {', '.join(schemes)}")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @model_validator(mode="after")
    def _salesforce_credentials(self) -> Self:
        if self.salesforce_url is None:
            return self
        if not self.salesforce_client_id:
            raise ValueError("HANDOFF_SALESFORCE_CLIENT_ID is required with a URL")
        jwt = self.salesforce_username and self.salesforce_private_key_file
        if not (self.salesforce_client_secret or jwt):
            raise ValueError(
                "set HANDOFF_SALESFORCE_CLIENT_SECRET (client credentials) or "
                "HANDOFF_SALESFORCE_USERNAME and HANDOFF_SALESFORCE_PRIVATE_KEY_FILE "
                "(JWT bearer)"
            )
        key = self.salesforce_private_key_file
        if key is not None and not key.is_file():
            raise ValueError(f"HANDOFF_SALESFORCE_PRIVATE_KEY_FILE: no file at {key}")
        return self

    @property
    def embedded(self) -> bool:
        """True when messages stay in this process."""
        return self.broker_url is None

    @property
    def lock_redis_url(self) -> str | None:
        """The Redis that holds locks and rate limits, if any."""
        if self.redis_url:
            return self.redis_url
        if self.broker_url and self.broker_url.startswith(("redis", "rediss", "unix")):
            return self.broker_url
        return None

    def require_remote_systems(self) -> None:
        """Fail unless both Salesforce and Rocketlane are configured."""
        missing = []
        if self.salesforce_url is None:
            missing.append("HANDOFF_SALESFORCE_URL")
        if self.rocketlane_api_key is None:
            missing.append("HANDOFF_ROCKETLANE_API_KEY")
        if missing:
            raise SettingsError("missing settings: " + ", ".join(missing))


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning validation errors into one clear message."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(_describe(error)) from error


def _describe(error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        location = "_".join(str(part) for part in problem["loc"]).upper()
        name = f"{ENV_PREFIX}{location}" if location else "settings"
        message = str(problem["msg"]).removeprefix("Value error, ")
        lines.append(f"{name}: {message}" if location else message)
    return "invalid settings:\n  " + "\n  ".join(lines)
