"""Which clients act on which customers: the web shop on those it created or was linked to."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from customer_registry.models.base import Base, BigIntegerKey, utcnow


class CustomerLink(Base):
    """A recipient (the web shop) may act on this customer: it created it, or staff linked it."""

    __tablename__ = "customer_links"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recipients.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("recipient_id", "customer_id"),)
