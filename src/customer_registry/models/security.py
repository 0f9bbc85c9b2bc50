"""State that protects the API: revoked tokens, failed logins and rate-limit counters."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CHAR, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from customer_registry.models.base import Base, BigIntegerKey, utcnow


class RevokedToken(Base):
    """An access token logged out before its expiry; kept until it would have expired."""

    __tablename__ = "revoked_tokens"

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column()

    __table_args__ = (Index("ix_revoked_tokens_expires_at", "expires_at"),)


class LoginFailure(Base):
    """A failed login, under keyed hashes of the username and the client address (never the
    name or the address itself)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    account_key: Mapped[str] = mapped_column(CHAR(64))
    address_key: Mapped[str | None] = mapped_column(CHAR(64))
    failed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_login_failures_account_key", "account_key", "failed_at"),
        Index("ix_login_failures_address_key", "address_key", "failed_at"),
        Index("ix_login_failures_failed_at", "failed_at"),
    )


class RateLimitCounter(Base):
    """Requests of one subject to one limited operation in one fixed time window."""

    __tablename__ = "rate_limit_counters"

    bucket: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hits: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_rate_limit_counters_window_start", "window_start"),)
