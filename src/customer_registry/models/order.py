"""Orders of customers (R1, R9 "previous orders"), their lines, and the invoice's history.

Money is stored in integer cents and VAT rates in basis points (25.5 % is 2550), so that no
amount ever passes through a float; the services compute with `Decimal`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, TypeAlias

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from customer_registry.models.base import Base, BigIntegerKey, Timestamps, UUIDPrimaryKey, utcnow


class OrderChannel(StrEnum):
    """Where the order was placed (the sources of R10)."""

    shop = "shop"
    web_shop = "web_shop"
    reseller = "reseller"


class OrderStatus(StrEnum):
    placed = "placed"
    delivered = "delivered"
    cancelled = "cancelled"
    returned = "returned"


class InvoiceStatus(StrEnum):
    open = "open"
    paid = "paid"
    in_collection = "in_collection"
    credited = "credited"


class Order(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "orders"

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    number: Mapped[str] = mapped_column(String(64), unique=True)
    ordered_on: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(16))
    reseller_name: Mapped[str | None] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    net_total_cents: Mapped[int] = mapped_column(BigInteger)
    vat_total_cents: Mapped[int] = mapped_column(BigInteger)
    gross_total_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    invoice_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    invoice_issued_on: Mapped[dt.date | None] = mapped_column(Date)
    invoice_due_on: Mapped[dt.date | None] = mapped_column(Date)
    invoice_status: Mapped[str | None] = mapped_column(String(16))
    # When the invoice was issued or last changed status: the position in the finance feed.
    invoice_updated_at: Mapped[dt.datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)

    lines: Mapped[list[OrderLine]] = relationship(
        lazy="raise", order_by="OrderLine.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_orders_customer_id", "customer_id", "id"),
        Index("ix_orders_invoice_updated_at", "invoice_updated_at", "id"),
        Index("ix_orders_ordered_on", "ordered_on"),
    )


class OrderLine(UUIDPrimaryKey, Base):
    __tablename__ = "order_lines"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    product_code: Mapped[str] = mapped_column(String(64))
    product_name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column()
    unit_price_cents: Mapped[int] = mapped_column(BigInteger)
    vat_rate_basis_points: Mapped[int] = mapped_column()
    net_cents: Mapped[int] = mapped_column(BigInteger)
    vat_cents: Mapped[int] = mapped_column(BigInteger)
    gross_cents: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("order_id", "position"),)


class InvoiceStatusChange(Base):
    """One step in an invoice's life: who moved it from which status to which, and when."""

    __tablename__ = "invoice_status_changes"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    request_id: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (Index("ix_invoice_status_changes_order_id", "order_id", "id"),)


class Record:
    """Columns as attributes, from a row's mapping or the values written (no ORM object)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)

    # Declared so that the columns type as Any; Python calls it only for unknown names.
    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


class OrderRecord(Record):
    """An order's columns as attributes, and its `lines` (records or rows)."""

    def __init__(self, values: Mapping[str, Any], lines: Sequence[Any]) -> None:
        super().__init__(values)
        self.lines = lines


# An order as the response models read it: an ORM object, or a record of rows.
StoredOrder: TypeAlias = "Order | OrderRecord"
