"""Queries on orders, their invoice history, and the customers a billing view needs."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Row,
    Table,
    bindparam,
    exists,
    insert,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Bundle, selectinload

from customer_registry.models import (
    Customer,
    CustomerLink,
    InvoiceStatusChange,
    Order,
    OrderLine,
    OrderRecord,
)

_INVOICE_STATUS_CHANGES = cast(Table, InvoiceStatusChange.__table__)

# The checks before an order is created, built once (with and without an invoice number):
# the customer's state as the processing policy reads it, whether the caller's recipient is
# linked to the customer, and whether the order's numbers are taken.
_NUMBER_TAKEN = exists().where(Order.number == bindparam("number"))
_STATE_COLUMNS = (
    Customer.erased_at,
    Customer.restricted_at,
    Customer.erasure_requested_at,
    Customer.relationship_ended_on,
)
_IS_LINKED = exists().where(
    CustomerLink.customer_id == Customer.id,
    CustomerLink.recipient_id == bindparam("recipient_id"),
)
_CREATION_CHECKS = {
    with_invoice: select(
        *_STATE_COLUMNS,
        _IS_LINKED.label("linked"),
        (
            _NUMBER_TAKEN | exists().where(Order.invoice_number == bindparam("invoice_number"))
            if with_invoice
            else _NUMBER_TAKEN
        ).label("number_taken"),
    ).where(Customer.id == bindparam("customer_id"))
    for with_invoice in (False, True)
}
_CUSTOMER_STATE = select(*_STATE_COLUMNS, _IS_LINKED.label("linked")).where(
    Customer.id == bindparam("customer_id")
)


_ORDERS = cast(Table, Order.__table__)
_LINES = cast(Table, OrderLine.__table__)
_FEED_ORDER: Bundle[Any] = Bundle("order", *_ORDERS.columns)
_FEED_CUSTOMER: Bundle[Any] = Bundle("customer", *cast(Table, Customer.__table__).columns)
_INSERT_ORDER = insert(_ORDERS)
_INSERT_LINES = insert(_LINES)
_LINES_OF = select(_LINES).order_by(_LINES.c.order_id, _LINES.c.position)


class OrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, order_id: uuid.UUID) -> Order | None:
        return await self.session.scalar(
            select(Order)
            .options(selectinload(Order.lines))
            .where(Order.id == order_id)
            .execution_options(populate_existing=True)
        )

    async def list(
        self,
        *,
        customer_id: uuid.UUID | None,
        status: str | None,
        invoice_status: str | None,
        invoiced_only: bool = False,
        ordered_from: dt.date | None,
        ordered_to: dt.date | None,
        after: uuid.UUID | None,
        limit: int,
        invoice_statuses: Sequence[str] | None = None,
        customers: ColumnElement[bool] | None = None,
    ) -> Sequence[Order]:
        """Orders oldest first (ids are time-ordered), with their lines in one more query;
        `customers` bounds whose orders they are (a condition on `Customer`)."""
        query = select(Order).options(selectinload(Order.lines)).order_by(Order.id).limit(limit)
        if customers is not None:
            query = query.where(Order.customer_id.in_(select(Customer.id).where(customers)))
        if invoice_statuses is not None:
            query = query.where(Order.invoice_status.in_(invoice_statuses))
        if customer_id is not None:
            query = query.where(Order.customer_id == customer_id)
        if status is not None:
            query = query.where(Order.status == status)
        if invoice_status is not None:
            query = query.where(Order.invoice_status == invoice_status)
        if invoiced_only:
            query = query.where(Order.invoice_status.is_not(None))
        if ordered_from is not None:
            query = query.where(Order.ordered_on >= ordered_from)
        if ordered_to is not None:
            query = query.where(Order.ordered_on <= ordered_to)
        if after is not None:
            query = query.where(Order.id > after)
        return (await self.session.scalars(query)).all()

    async def invoice_feed(
        self,
        *,
        after: tuple[dt.datetime, uuid.UUID] | None,
        until: dt.datetime,
        invoice_status: str | None,
        limit: int,
        disclosed: ColumnElement[bool] | None = None,
    ) -> Sequence[tuple[OrderRecord, Row[Any]]]:
        """Orders with their customers, by the time their invoice was issued or last changed,
        of those `disclosed` allows (a condition on `Order` and `Customer`): one statement
        for the page, served by ix_orders_invoice_updated_at (invoice_updated_at, id), and
        one for its lines; plain rows, no ORM objects."""
        query = (
            select(_FEED_ORDER, _FEED_CUSTOMER)
            .join_from(Order, Customer, Customer.id == Order.customer_id)
            .where(
                Order.invoice_updated_at.is_not(None),
                Order.invoice_updated_at <= until,
                disclosed if disclosed is not None else true(),
            )
            .order_by(Order.invoice_updated_at, Order.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(tuple_(Order.invoice_updated_at, Order.id) > tuple_(*after))
        if invoice_status is not None:
            query = query.where(Order.invoice_status == invoice_status)
        rows = (await self.session.execute(query)).all()
        lines: dict[uuid.UUID, list[Row[Any]]] = {row.order.id: [] for row in rows}
        if lines:
            for line in await self.session.execute(
                _LINES_OF.where(_LINES.c.order_id.in_(list(lines)))
            ):
                lines[line.order_id].append(line)
        return [
            (OrderRecord(row.order._mapping, lines[row.order.id]), row.customer) for row in rows
        ]

    async def creation_checks(
        self,
        customer_id: uuid.UUID,
        number: str,
        invoice_number: str | None,
        recipient_id: uuid.UUID | None,
    ) -> Row[Any] | None:
        """The customer's state columns, `linked` (to `recipient_id`) and `number_taken` (the
        order or invoice number), in one query; None when there is no such customer."""
        row: Any
        row = (
            await self.session.execute(
                _CREATION_CHECKS[invoice_number is not None],
                {
                    "customer_id": customer_id,
                    "number": number,
                    "invoice_number": invoice_number,
                    "recipient_id": recipient_id,
                },
            )
        ).one_or_none()
        return cast("Row[Any] | None", row)

    async def customer_state(
        self, customer_id: uuid.UUID, recipient_id: uuid.UUID | None
    ) -> Row[Any] | None:
        """The customer's state columns and `linked` (to `recipient_id`), or None."""
        row: Any
        row = (
            await self.session.execute(
                _CUSTOMER_STATE, {"customer_id": customer_id, "recipient_id": recipient_id}
            )
        ).one_or_none()
        return cast("Row[Any] | None", row)

    async def customer_has_invoice(
        self, customer_id: uuid.UUID, statuses: Sequence[str] | None = None
    ) -> bool:
        """Whether the customer has an invoice (of one of `statuses`, when given)."""
        query = (
            select(Order.id)
            .where(Order.customer_id == customer_id, Order.invoice_status.is_not(None))
            .limit(1)
        )
        if statuses is not None:
            query = query.where(Order.invoice_status.in_(statuses))
        return await self.session.scalar(query) is not None

    async def insert(self, order: dict[str, Any], lines: Sequence[dict[str, Any]]) -> None:
        """A new order and its lines, as plain INSERTs (no ORM objects); a taken order or
        invoice number raises `IntegrityError`."""
        connection = await self.session.connection()
        await connection.execute(_INSERT_ORDER, order)
        await connection.execute(_INSERT_LINES, list(lines))

    async def update_if_version(
        self, order_id: uuid.UUID, expected_version: int, values: dict[str, Any]
    ) -> bool:
        """Apply `values` and bump the version only if it is still `expected_version`."""
        result = await self.session.execute(
            update(Order)
            .where(Order.id == order_id, Order.version == expected_version)
            .values(**values, version=expected_version + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def add_invoice_change(self, values: dict[str, Any]) -> None:
        # On the table: a plain INSERT, without the ORM's bulk machinery.
        connection = await self.session.connection()
        await connection.execute(insert(_INVOICE_STATUS_CHANGES), values)

    async def invoice_history(self, order_id: uuid.UUID) -> Sequence[InvoiceStatusChange]:
        return (
            await self.session.scalars(
                select(InvoiceStatusChange)
                .where(InvoiceStatusChange.order_id == order_id)
                .order_by(InvoiceStatusChange.id)
            )
        ).all()

    async def customer(self, customer_id: uuid.UUID) -> Customer | None:
        return await self.session.get(Customer, customer_id)
