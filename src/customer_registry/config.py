"""Typed settings, read from `CUSTOMER_REGISTRY_*` environment variables and an optional `.env`."""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import os
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from customer_registry.models.consent import ConsentDecision, Purpose

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./customer_registry.db"
MINIMUM_SECRET_BYTES = 32
MINIMUM_DISTINCT_SECRET_CHARACTERS = 10
MINIMUM_METRICS_TOKEN_BYTES = 16
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Environment(StrEnum):
    development = "development"
    production = "production"


class ConfigurationError(RuntimeError):
    """The configuration cannot be used; the message says what to change."""


class Settings(BaseSettings):
    """Every setting of the service; see docs in the README for each one."""

    model_config = SettingsConfigDict(
        env_prefix="CUSTOMER_REGISTRY_", env_file=".env", extra="ignore"
    )

    env: Environment = Environment.development
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: SecretStr | None = None
    secret_key_file: Path | None = Field(
        default=None,
        description="Where a development secret is generated and kept; next to the database "
        "file by default.",
    )
    token_issuer: str = "customer-registry"  # noqa: S105 - a name, not a secret
    token_audience: str = "customer-registry-api"  # noqa: S105 - a name, not a secret
    access_token_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 15
    # How long a worker trusts what it read of an account (active, confidentiality
    # commitment, role); 0 reads it on every request.
    account_cache_seconds: Annotated[float, Field(ge=0, le=60)] = 5
    # A console session unused this long is signed out on the server.
    console_idle_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 15
    bootstrap_admin_username: str | None = None
    bootstrap_admin_password: SecretStr | None = None
    database_pool_size: Annotated[int, Field(ge=1, le=200)] = 10
    database_echo: bool = False
    log_level: LogLevel = "INFO"
    metrics_token: SecretStr | None = None
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    shutdown_timeout_seconds: Annotated[int, Field(ge=1, le=3600)] = 30
    # Time limits of a request's database work (see the operations runbook): a statement
    # and a lock wait (PostgreSQL; SQLite's busy timeout is the lock timeout), the wait for
    # a pooled connection, and opening a connection. Background jobs (retention, audit
    # sealing, address import, erasure replay) have their own, longer statement and lock
    # limits; 0 is no limit.
    database_statement_timeout_seconds: Annotated[float, Field(ge=0.01, le=3600)] = 10
    database_lock_timeout_seconds: Annotated[float, Field(ge=0.01, le=3600)] = 5
    database_pool_timeout_seconds: Annotated[float, Field(ge=0.01, le=300)] = 5
    database_connect_timeout_seconds: Annotated[float, Field(ge=0.1, le=300)] = 5
    job_statement_timeout_seconds: Annotated[float, Field(ge=0, le=86_400)] = 1800
    job_lock_timeout_seconds: Annotated[float, Field(ge=0, le=86_400)] = 60
    readiness_timeout_seconds: Annotated[float, Field(ge=0.1, le=60)] = 2
    # `serve` starts without a reachable database and waits for it; false stops at once.
    wait_for_database: bool = True
    # The HTTP server: a connection that has not sent a request's headers within this
    # time is closed, and at most this many connections are served at once (503 beyond).
    header_timeout_seconds: Annotated[float, Field(ge=0.1, le=300)] = 10
    keep_alive_timeout_seconds: Annotated[int, Field(ge=1, le=300)] = 5
    max_connections: Annotated[int, Field(ge=1, le=100_000)] = 1000

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            if item != "*":
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(
                        f"{item!r} is not an IP address, a network (CIDR) or *"
                    ) from None
        return value

    # The register as its privacy notice describes it (R28): the notice is generated from
    # these settings, and the retention job obeys the same ones.
    controller_name: str = "Oliver Kuisma"
    controller_contact_person: str = "Oliver Kuisma"
    controller_phone: str = "+358 40 554 4414"
    controller_email: str = "sales@finnprotec.fi"
    privacy_notice_date: dt.date = dt.date(2020, 3, 2)
    retention_years: Annotated[int, Field(ge=1, le=100)] = 10
    invoice_retention_years: Annotated[int, Field(ge=1, le=100)] = 6
    # The finance feed holds back invoice changes younger than this, so that a change stamped
    # before a slower transaction commits is never skipped by a cursor (and clock skew between
    # server processes is covered).
    invoice_feed_delay_seconds: Annotated[int, Field(ge=0, le=300)] = 5
    privacy_notice_version: Annotated[str, Field(min_length=1, max_length=32)] = "1"
    consent_defaults: dict[Purpose, ConsentDecision] = Field(
        default_factory=dict,
        description="The state of a purpose with no consent event, overriding the built-in "
        'defaults of consents/purposes.py, e.g. {"direct_marketing": "granted"}.',
    )
    mailing_label_batch_size: Annotated[int, Field(ge=1, le=10_000)] = 1000
    address_update_max_bytes: Annotated[int, Field(ge=1024, le=100 * 1024 * 1024)] = 10 << 20
    audit_seal_interval_seconds: Annotated[float, Field(ge=0, le=3600)] = 1.0
    audit_seal_batch_size: Annotated[int, Field(ge=1, le=100_000)] = 5000
    max_request_body_bytes: Annotated[int, Field(ge=1024, le=1024**3)] = 1024 * 1024
    rate_limit_audit_events_per_minute: Annotated[int, Field(ge=1)] = 120
    rate_limit_login_per_minute: Annotated[int, Field(ge=1)] = 60
    rate_limit_exports_per_minute: Annotated[int, Field(ge=1)] = 10
    erasure_log_file: Path | None = Field(
        default=None,
        description="The append-only log of erased customers, kept outside the database and "
        "its backups and replayed after a restore; next to the database file by default, "
        "required in production.",
    )
    audit_checkpoint_file: Path | None = Field(
        default=None,
        description="Where signed checkpoints of the audit chain's head are appended, outside "
        "the database; next to the database file by default.",
    )
    audit_checkpoint_key_file: Path | None = Field(
        default=None,
        description="A file holding the key (at least 32 bytes) that signs audit checkpoints; "
        "by default a key derived from the secret key.",
    )
    audit_checkpoint_interval_seconds: Annotated[float, Field(ge=0, le=86_400)] = 60.0

    @model_validator(mode="after")
    def _production_rules(self) -> Settings:
        if self.env is Environment.production:
            if self.secret_key is None:
                raise ValueError("CUSTOMER_REGISTRY_SECRET_KEY is required in production")
            if self._is_development_secret(self.secret_key.get_secret_value()):
                raise ValueError(
                    "CUSTOMER_REGISTRY_SECRET_KEY is a development secret; production needs "
                    "a new random one"
                )
            if self.is_sqlite:
                raise ValueError("production needs PostgreSQL: set CUSTOMER_REGISTRY_DATABASE_URL")
            if self.database_echo:
                raise ValueError(
                    "CUSTOMER_REGISTRY_DATABASE_ECHO logs result rows, which are personal data; "
                    "it is refused in production"
                )
            if "*" in self.cors_origins:
                raise ValueError(
                    "CUSTOMER_REGISTRY_CORS_ORIGINS may not be * in production; list the origins"
                )
            if self.erasure_log_file is None:
                raise ValueError(
                    "CUSTOMER_REGISTRY_ERASURE_LOG_FILE is required in production: a file on "
                    "storage that database backups and restores do not touch"
                )
        if (
            self.metrics_token is not None
            and len(self.metrics_token.get_secret_value().encode()) < MINIMUM_METRICS_TOKEN_BYTES
        ):
            raise ValueError(
                f"CUSTOMER_REGISTRY_METRICS_TOKEN must be at least {MINIMUM_METRICS_TOKEN_BYTES} "
                "bytes"
            )
        if (
            self.secret_key is not None
            and len(self.secret_key.get_secret_value().encode()) < MINIMUM_SECRET_BYTES
        ):
            raise ValueError(
                f"CUSTOMER_REGISTRY_SECRET_KEY must be at least {MINIMUM_SECRET_BYTES} bytes"
            )
        return self

    def _is_development_secret(self, secret: str) -> bool:
        """Generated into the development secret file, or visibly not random."""
        if len(set(secret)) < MINIMUM_DISTINCT_SECRET_CHARACTERS:
            return True
        generated = self.default_secret_file()
        try:
            return generated.is_file() and generated.read_text(encoding="utf-8").strip() == secret
        except OSError:
            return False

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        """The database file of an SQLite URL, or None for PostgreSQL and in-memory SQLite."""
        if not self.is_sqlite:
            return None
        _, _, path = self.database_url.partition(":///")
        if not path or path.startswith(":memory:"):
            return None
        return Path(path.split("?", 1)[0])

    def default_secret_file(self) -> Path:
        if self.secret_key_file is not None:
            return self.secret_key_file
        database_file = self.sqlite_path
        if database_file is not None:
            return database_file.with_name(database_file.name + ".secret")
        return Path("customer_registry.secret")

    def signing_secret(self) -> str:
        """The secret key: configured, or in development generated once and kept in a file."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return _load_or_create_secret(self.default_secret_file())

    def erasure_log_path(self) -> Path:
        """The erasure log file: configured, or next to the SQLite file, or in the cwd."""
        if self.erasure_log_file is not None:
            return self.erasure_log_file
        database_file = self.sqlite_path
        if database_file is not None:
            return database_file.with_name(database_file.name + ".erasures.jsonl")
        return Path("customer_registry.erasures.jsonl")

    def audit_checkpoint_path(self) -> Path:
        """The file of signed audit checkpoints: configured, or next to the database file."""
        if self.audit_checkpoint_file is not None:
            return self.audit_checkpoint_file
        database_file = self.sqlite_path
        if database_file is not None:
            return database_file.with_name(database_file.name + ".audit-checkpoints.jsonl")
        return Path("customer_registry.audit-checkpoints.jsonl")

    def audit_checkpoint_key(self) -> bytes:
        """The key that signs audit checkpoints: from its file, or derived from the secret."""
        if self.audit_checkpoint_key_file is not None:
            key = self.audit_checkpoint_key_file.read_bytes().strip()
            if len(key) < MINIMUM_SECRET_BYTES:
                raise ConfigurationError(
                    f"the key in {self.audit_checkpoint_key_file} is shorter than 32 bytes"
                )
            return key
        secret = self.signing_secret().encode()
        return hmac.new(secret, b"customer-registry audit checkpoint key", "sha256").digest()


def _load_or_create_secret(path: Path) -> str:
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if len(value.encode()) < MINIMUM_SECRET_BYTES:
            raise ConfigurationError(f"the secret in {path} is shorter than 32 bytes")
        return value
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written to a private file, then linked into place: when several workers start at
    # once, exactly one secret wins and nobody reads a half-written file.
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return _load_or_create_secret(path)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
