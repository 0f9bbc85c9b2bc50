"""Queries on orders, their invoice history, and the customers a billing view needs."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from customer_registry.models import Customer, InvoiceStatusChange, Order

_INVOICE_STATUS_CHANGES = cast(Table, InvoiceStatusChange.__table__)

# The checks before an order is created, built once (with and without an invoice number):
# whether the customer exists, and whether the order's numbers are taken.
_CUSTOMER_EXISTS = exists().where(Customer.id == bindparam("customer_id"))
_NUMBER_TAKEN = exists().where(Order.number == bindparam("number"))
_CREATION_CHECKS = {
    False: select(_CUSTOMER_EXISTS, _NUMBER_TAKEN),
    True: select(
        _CUSTOMER_EXISTS,
        _NUMBER_TAKEN | exists().where(Order.invoice_number == bindparam("invoice_number")),
    ),
}


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
    ) -> Sequence[Order]:
        """Orders oldest first (ids are time-ordered), with their lines in one more query."""
        query = select(Order).options(selectinload(Order.lines)).order_by(Order.id).limit(limit)
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
    ) -> Sequence[Order]:
        """Orders by the time their invoice was issued or last changed; served by
        ix_orders_invoice_updated_at (invoice_updated_at, id)."""
        query = (
            select(Order)
            .options(selectinload(Order.lines))
            .where(Order.invoice_updated_at.is_not(None), Order.invoice_updated_at <= until)
            .order_by(Order.invoice_updated_at, Order.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(tuple_(Order.invoice_updated_at, Order.id) > tuple_(*after))
        if invoice_status is not None:
            query = query.where(Order.invoice_status == invoice_status)
        return (await self.session.scalars(query)).all()

    async def creation_checks(
        self, customer_id: uuid.UUID, number: str, invoice_number: str | None
    ) -> tuple[bool, bool]:
        """Whether the customer exists, and whether the order or invoice number is taken
        already, in one query."""
        row = (
            await self.session.execute(
                _CREATION_CHECKS[invoice_number is not None],
                {"customer_id": customer_id, "number": number, "invoice_number": invoice_number},
            )
        ).one()
        return bool(row[0]), bool(row[1])

    async def customer_has_invoice(self, customer_id: uuid.UUID) -> bool:
        query = (
            select(Order.id)
            .where(Order.customer_id == customer_id, Order.invoice_status.is_not(None))
            .limit(1)
        )
        return await self.session.scalar(query) is not None

    async def add(self, order: Order) -> Order:
        self.session.add(order)
        await self.session.flush()
        return order

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

    async def customers(self, customer_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Customer]:
        """The customers with these ids, in one query."""
        ids = set(customer_ids)
        if not ids:
            return {}
        rows = await self.session.scalars(select(Customer).where(Customer.id.in_(ids)))
        return {customer.id: customer for customer in rows}
