"""Recipients of personal data (R4, R8, R13), their API keys, and every disclosure to them (R12)."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from customer_registry.models.base import Base, BigIntegerKey, Timestamps, UUIDPrimaryKey, utcnow


class RecipientRole(StrEnum):
    """What the organisation does with the data it receives."""

    web_shop_operator = "web_shop_operator"
    finance_partner = "finance_partner"
    debt_collection = "debt_collection"
    processor = "processor"


class DisclosurePurpose(StrEnum):
    """The only reasons data may leave the company (R12)."""

    invoicing = "invoicing"
    credit_decision = "credit_decision"
    debt_collection = "debt_collection"
    legal_obligation = "legal_obligation"


class ProcessorPurpose(StrEnum):
    """The purpose of a hand-over to a processor acting for the company (R4, Art. 28)."""

    web_shop_service = "web_shop_service"


class Recipient(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "recipients"

    name: Mapped[str] = mapped_column(String(200))
    business_id: Mapped[str | None] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(2))
    role: Mapped[str] = mapped_column(String(32))
    # R13: the safeguard (e.g. standard contractual clauses) for a country outside the EU/EEA.
    safeguard: Mapped[str | None] = mapped_column(String(2000))
    version: Mapped[int] = mapped_column(default=1)


class ApiKey(UUIDPrimaryKey, Base):
    """A machine client's key; only its keyed hash is stored, the key itself never."""

    __tablename__ = "api_keys"

    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recipients.id"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    purposes: Mapped[list[str]] = mapped_column(JSON)
    # CIDR networks the key may be used from (R17); empty means from anywhere.
    allowed_networks: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    last_used_at: Mapped[dt.datetime | None] = mapped_column()
    # The key this one replaced when it was made by a rotation.
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id"))

    __table_args__ = (Index("ix_api_keys_recipient_id", "recipient_id", "id"),)


class Disclosure(Base):
    """One data subject's data handed to a recipient in one response: who got what, and why."""

    __tablename__ = "disclosures"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recipients.id"))
    api_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_keys.id"))
    customer_id: Mapped[uuid.UUID] = mapped_column()
    # One of DisclosurePurpose (R12), or of ProcessorPurpose for a processor (R4).
    purpose: Mapped[str | None] = mapped_column(String(32))
    fields: Mapped[list[str]] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (
        Index("ix_disclosures_customer_id", "customer_id", "id"),
        Index("ix_disclosures_recipient_id", "recipient_id", "id"),
    )
