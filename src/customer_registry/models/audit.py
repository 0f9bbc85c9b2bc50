"""The audit trail: one row for every read and every change of personal data."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import CHAR, JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from customer_registry.models.base import Base, BigIntegerKey, utcnow


class AuditAction(StrEnum):
    read = "read"
    create = "create"
    update = "update"
    export = "export"
    erase = "erase"
    login = "login"
    login_failed = "login_failed"
    restrict = "restrict"
    release = "release"
    login_throttled = "login_throttled"
    logout = "logout"


class ActorType(StrEnum):
    user = "user"
    api_key = "api_key"
    system = "system"


class AuditEvent(Base):
    """Who did what to which record, and which fields; never the values."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[uuid.UUID | None] = mapped_column()
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    request_id: Mapped[str | None] = mapped_column(String(128))
    client_address: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_events_customer_id", "customer_id", "id"),
        Index("ix_audit_events_occurred_at", "occurred_at"),
    )


class AuditChainEntry(Base):
    """One link of the hash chain that seals audit events in order (append-only).

    `hash` is sha256(previous hash || canonical encoding of the event), hex; see
    `customer_registry.audit.chain`.
    """

    __tablename__ = "audit_chain"

    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(BigIntegerKey, ForeignKey("audit_events.id"), unique=True)
    hash: Mapped[str] = mapped_column(CHAR(64))
    sealed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
