"""Notices to recipients of a rectification or erasure of data they hold (GDPR Art. 19)."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from customer_registry.models.base import Base, BigIntegerKey, utcnow


class NoticeKind(StrEnum):
    rectified = "rectified"
    erased = "erased"


class RecipientNotice(Base):
    """One recipient to be told that one customer's data was rectified or erased."""

    __tablename__ = "recipient_notices"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recipients.id"))
    customer_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(16))
    fields: Mapped[list[str]] = mapped_column(JSON)
    gdpr_request_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column()
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_recipient_notices_recipient_id", "recipient_id", "id"),)
