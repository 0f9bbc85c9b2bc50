"""The consent ledger (R2, R5, R6, R20): an append-only record of each decision per purpose."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from customer_registry.models.base import Base, BigIntegerKey, utcnow


class Purpose(StrEnum):
    """Processing purposes beyond the contract that a customer can forbid (R2, R5, R20)."""

    direct_advertising = "direct_advertising"
    distance_selling = "distance_selling"
    direct_marketing = "direct_marketing"
    market_research = "market_research"
    opinion_research = "opinion_research"
    listing = "listing"
    targeted_content = "targeted_content"


class ConsentDecision(StrEnum):
    granted = "granted"
    forbidden = "forbidden"


class ConsentChannel(StrEnum):
    """How the customer told the company (R5)."""

    customer_service = "customer_service"
    email = "email"
    contact_person = "contact_person"
    web_shop = "web_shop"
    letter = "letter"


class ConsentEvent(Base):
    """One decision of a customer about one purpose; rows are never changed or deleted."""

    __tablename__ = "consent_events"

    # Insertion order: the latest row per customer and purpose is the current state.
    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    purpose: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_by_type: Mapped[str] = mapped_column(String(16))
    recorded_by_id: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))
    evidence: Mapped[str | None] = mapped_column(String(2000))
    privacy_notice_version: Mapped[str] = mapped_column(String(32))

    __table_args__ = (Index("ix_consent_events_customer_purpose", "customer_id", "purpose", "id"),)
