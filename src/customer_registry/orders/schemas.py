"""Order bodies: create, read, status changes, and the finance partner's billing view."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from customer_registry.core import examples
from customer_registry.core.validation import Text200
from customer_registry.customers.schemas import Address, Organisation, address_of, organisation_of
from customer_registry.models import (
    Customer,
    InvoiceStatus,
    Order,
    OrderChannel,
    OrderStatus,
    StoredCustomer,
    StoredOrder,
)
from customer_registry.orders.money import from_basis_points, from_cents

# The fields of an order, as named in audit events and (as `order.<name>`) in disclosures.
ORDER_FIELDS = (
    "number",
    "ordered_on",
    "channel",
    "reseller_name",
    "currency",
    "status",
    "lines",
    "totals",
    "invoice",
)
# What the finance partner sees of a customer (R12): no phone, language, legal basis, ...
BILLING_CUSTOMER_FIELDS = ("first_name", "last_name", "organisation", "email", "address")

Money = Annotated[
    Decimal,
    Field(ge=0, le=Decimal("1000000"), max_digits=9, decimal_places=2, examples=["0.99"]),
]
VatRate = Annotated[
    Decimal,
    Field(
        ge=0,
        le=100,
        max_digits=5,
        decimal_places=2,
        description="VAT in percent, e.g. 25.5.",
        examples=["25.5"],
    ),
]
Currency = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    Field(description="ISO 4217 code; amounts have two decimals."),
]
DocumentNumber = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"
    ),
]


class OrderLineCreate(BaseModel):
    """One line of an order; the unit price is net of VAT."""

    model_config = ConfigDict(extra="forbid")

    product_code: DocumentNumber
    product_name: Text200
    quantity: int = Field(ge=1, le=100_000)
    unit_price: Money = Field(description="Net of VAT, at most two decimals.")
    vat_rate: VatRate


class InvoiceCreate(BaseModel):
    """The order's invoice; it starts `open`."""

    model_config = ConfigDict(extra="forbid")

    number: DocumentNumber
    issued_on: dt.date
    due_on: dt.date

    @model_validator(mode="after")
    def _due_after_issue(self) -> Self:
        if self.due_on < self.issued_on:
            raise ValueError("an invoice cannot be due before it is issued")
        return self


class OrderCreate(BaseModel):
    """A new order of a customer; totals are computed by the service."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.ORDER_CREATE]}
    )

    customer_id: uuid.UUID
    number: DocumentNumber = Field(description="The order number; unique.")
    ordered_on: dt.date
    channel: OrderChannel
    reseller_name: Text200 | None = Field(default=None, description="Only for channel reseller.")
    currency: Currency = "EUR"
    lines: list[OrderLineCreate] = Field(min_length=1, max_length=500)
    invoice: InvoiceCreate | None = None

    @model_validator(mode="after")
    def _reseller(self) -> Self:
        if self.channel is OrderChannel.reseller and self.reseller_name is None:
            raise ValueError("an order through a reseller names the reseller")
        if self.channel is not OrderChannel.reseller and self.reseller_name is not None:
            raise ValueError("only an order through a reseller has a reseller name")
        return self


class OrderStatusUpdate(BaseModel):
    """Move an order on: placed -> delivered or cancelled; delivered -> returned."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.ORDER_STATUS_UPDATE]}
    )

    status: OrderStatus


class InvoiceStatusUpdate(BaseModel):
    """Move an invoice on: open -> paid, in_collection or credited; in_collection -> paid or
    credited; paid -> credited."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.INVOICE_STATUS_UPDATE]}
    )

    status: InvoiceStatus


class OrderLineRead(BaseModel):
    position: int
    product_code: str
    product_name: str
    quantity: int
    unit_price: Decimal
    vat_rate: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal


class Totals(BaseModel):
    """Sums of the lines' amounts."""

    net: Decimal
    vat: Decimal
    gross: Decimal


class InvoiceRead(BaseModel):
    number: str
    issued_on: dt.date
    due_on: dt.date
    status: InvoiceStatus
    updated_at: dt.datetime


class OrderRead(BaseModel):
    """An order as stored, with its lines, totals and invoice."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.ORDER_READ]})

    id: uuid.UUID
    customer_id: uuid.UUID
    number: str
    ordered_on: dt.date
    channel: OrderChannel
    reseller_name: str | None
    currency: str
    status: OrderStatus
    lines: list[OrderLineRead]
    totals: Totals
    invoice: InvoiceRead | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_model(cls, order: StoredOrder) -> OrderRead:
        return cls.model_validate(order_values(order))

    def fields_with_data(self) -> list[str]:
        return [name for name in ORDER_FIELDS if getattr(self, name) is not None]


def order_values(order: StoredOrder) -> dict[str, Any]:
    invoice = None
    if (
        order.invoice_number is not None
        and order.invoice_issued_on is not None
        and order.invoice_due_on is not None
        and order.invoice_status is not None
        and order.invoice_updated_at is not None
    ):
        invoice = {
            "number": order.invoice_number,
            "issued_on": order.invoice_issued_on,
            "due_on": order.invoice_due_on,
            "status": order.invoice_status,
            "updated_at": order.invoice_updated_at,
        }
    return {
        "id": order.id,
        "customer_id": order.customer_id,
        "number": order.number,
        "ordered_on": order.ordered_on,
        "channel": order.channel,
        "reseller_name": order.reseller_name,
        "currency": order.currency,
        "status": order.status,
        "lines": [
            {
                "position": line.position,
                "product_code": line.product_code,
                "product_name": line.product_name,
                "quantity": line.quantity,
                "unit_price": from_cents(line.unit_price_cents),
                "vat_rate": from_basis_points(line.vat_rate_basis_points),
                "net": from_cents(line.net_cents),
                "vat": from_cents(line.vat_cents),
                "gross": from_cents(line.gross_cents),
            }
            for line in order.lines
        ],
        "totals": {
            "net": from_cents(order.net_total_cents),
            "vat": from_cents(order.vat_total_cents),
            "gross": from_cents(order.gross_total_cents),
        },
        "invoice": invoice,
        "version": order.version,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


class InvoiceStatusChangeRead(BaseModel):
    """One step of an invoice's history: from which status to which, by whom, when."""

    model_config = ConfigDict(from_attributes=True)

    from_status: InvoiceStatus | None
    to_status: InvoiceStatus
    actor_type: str
    actor_id: str | None
    changed_at: dt.datetime


class BillingCustomer(BaseModel):
    """What a partner receives of a customer (R12): only what the request's purpose needs
    (the processing policy's fields); the fields it does not need are null."""

    id: uuid.UUID
    first_name: str | None
    last_name: str | None
    organisation: Organisation | None
    email: str | None
    address: Address | None

    @classmethod
    def from_model(
        cls, customer: Customer, fields: Collection[str] = BILLING_CUSTOMER_FIELDS
    ) -> BillingCustomer:
        return cls.model_validate(billing_customer_values(customer, fields))

    def fields_with_data(self) -> list[str]:
        return [name for name in BILLING_CUSTOMER_FIELDS if getattr(self, name) is not None]


def billing_customer_values(customer: StoredCustomer, fields: Collection[str]) -> dict[str, Any]:
    """`BillingCustomer`'s values of a customer, each of its fields outside `fields` null."""
    values: dict[str, Any] = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "organisation": organisation_of(customer),
        "email": customer.email,
        "address": address_of(customer),
    }
    return {
        "id": customer.id,
        **{name: value if name in fields else None for name, value in values.items()},
    }


class BillingOrderRead(BaseModel):
    """An invoiced order as a partner receives it: only what the purpose needs (e.g. no order
    lines for a credit decision); the rest is null."""

    id: uuid.UUID
    customer_id: uuid.UUID
    number: str | None
    ordered_on: dt.date | None
    channel: OrderChannel | None
    reseller_name: str | None
    currency: str | None
    status: OrderStatus | None
    lines: list[OrderLineRead] | None
    totals: Totals | None
    invoice: InvoiceRead | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_model(cls, order: Order, fields: Collection[str]) -> BillingOrderRead:
        return cls.model_validate(billing_order_values(order, fields))

    def fields_with_data(self) -> list[str]:
        return [name for name in ORDER_FIELDS if getattr(self, name) is not None]


def billing_order_values(order: StoredOrder, fields: Collection[str]) -> dict[str, Any]:
    """The values of an order, each of `ORDER_FIELDS` outside `fields` null."""
    values = order_values(order)
    for name in ORDER_FIELDS:
        if name not in fields:
            values[name] = None
    return values


class BillingOrder(BillingOrderRead):
    """An invoiced order with what its purpose needs of its customer."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.BILLING_ORDER]})

    customer: BillingCustomer

    @classmethod
    def of(
        cls,
        order: StoredOrder,
        customer: StoredCustomer,
        order_fields: Collection[str],
        customer_fields: Collection[str],
    ) -> BillingOrder:
        return cls.model_validate(
            {
                **billing_order_values(order, order_fields),
                "customer": billing_customer_values(customer, customer_fields),
            },
        )


class InvoiceFeedPage(BaseModel):
    """Invoices issued or changed since the cursor, oldest change first.

    `next_cursor` is never null: keep it and ask again later for the changes after it.
    `has_more` says whether more changes are waiting now.
    """

    items: list[BillingOrder]
    next_cursor: str
    has_more: bool
