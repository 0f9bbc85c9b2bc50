"""Data-subject requests (GDPR Art. 15-21) and their handling within the law's deadlines."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from customer_registry.models.base import Base, Timestamps, UUIDPrimaryKey


class RequestType(StrEnum):
    access = "access"
    portability = "portability"
    rectification = "rectification"
    erasure = "erasure"
    restriction = "restriction"
    objection = "objection"


class RequestChannel(StrEnum):
    letter = "letter"
    email = "email"
    web_shop = "web_shop"
    in_person = "in_person"
    phone = "phone"


class RequestLanguage(StrEnum):
    """The languages a request may be made and answered in (R19)."""

    fi = "fi"
    en = "en"


class RequestStatus(StrEnum):
    received = "received"
    verified = "verified"
    completed = "completed"
    refused = "refused"


class VerificationMethod(StrEnum):
    """How the requester's identity was established."""

    signed_letter = "signed_letter"
    strong_electronic_identification = "strong_electronic_identification"
    identity_document_in_person = "identity_document_in_person"
    registered_email_address = "registered_email_address"
    web_shop_account = "web_shop_account"


class GdprRequest(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "gdpr_requests"

    type: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT")
    )
    # When the person is not (yet) found in the register: the details they gave.
    requester_name: Mapped[str | None] = mapped_column(String(200))
    requester_email: Mapped[str | None] = mapped_column(String(254))
    requester_address: Mapped[str | None] = mapped_column(String(400))
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(2))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[dt.datetime] = mapped_column()
    # The deadline of Art. 12(3): one month after receipt...
    due_on: Mapped[dt.date] = mapped_column(Date)
    # ...and the deadline in force: later than due_on once extended.
    deadline_on: Mapped[dt.date] = mapped_column(Date)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extended_at: Mapped[dt.datetime | None] = mapped_column()
    signed: Mapped[bool] = mapped_column(default=False)
    verification_method: Mapped[str | None] = mapped_column(String(64))
    verified_by: Mapped[str | None] = mapped_column(String(64))
    verified_at: Mapped[dt.datetime | None] = mapped_column()
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    submitted_by_type: Mapped[str] = mapped_column(String(16))
    submitted_by_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_gdpr_requests_deadline_on", "deadline_on", "id"),
        Index("ix_gdpr_requests_customer_id", "customer_id"),
    )
