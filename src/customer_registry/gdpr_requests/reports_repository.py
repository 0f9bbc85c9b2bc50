"""Queries for the access report and the portability archive of one person."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Bundle

from customer_registry.models import (
    AuditEvent,
    ConsentEvent,
    Customer,
    Disclosure,
    Order,
    OrderLine,
    Recipient,
    User,
)

BATCH = 1_000

# What grows with a person's history is read as rows (no ORM objects), in keyset batches.
_ORDERS = cast(Table, Order.__table__)
_LINES = cast(Table, OrderLine.__table__)
_DISCLOSURES = cast(Table, Disclosure.__table__)
_EVENTS = cast(Table, AuditEvent.__table__)
_ORDERS_OF = select(_ORDERS).order_by(_ORDERS.c.id)
_LINES_OF = select(_LINES).order_by(_LINES.c.order_id, _LINES.c.position)
_DISCLOSURE: Bundle[Any] = Bundle("disclosure", *_DISCLOSURES.columns)
_DISCLOSURES_OF = (
    select(_DISCLOSURE, Recipient.name)
    .join_from(Disclosure, Recipient, Recipient.id == Disclosure.recipient_id)
    .order_by(Disclosure.id)
)
_EVENTS_OF = select(_EVENTS).order_by(_EVENTS.c.id)


class PersonDataRepository:
    """What the register holds about one person; what grows with its history, in batches."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def customer(self, customer_id: uuid.UUID) -> Customer | None:
        return await self.session.get(Customer, customer_id)

    async def consent_events(self, customer_id: uuid.UUID) -> Sequence[ConsentEvent]:
        """The person's consent events, oldest first."""
        return (
            await self.session.scalars(
                select(ConsentEvent)
                .where(ConsentEvent.customer_id == customer_id)
                .order_by(ConsentEvent.id)
            )
        ).all()

    async def recipients(self, customer_id: uuid.UUID) -> Sequence[Recipient]:
        """The recipients the person's data was disclosed to, by name."""
        received = select(Disclosure.recipient_id).where(Disclosure.customer_id == customer_id)
        return (
            await self.session.scalars(
                select(Recipient).where(Recipient.id.in_(received)).order_by(Recipient.name)
            )
        ).all()

    async def order_batches(
        self, customer_id: uuid.UUID
    ) -> AsyncIterator[list[tuple[Row[Any], list[Row[Any]]]]]:
        """The person's orders with their lines in position order, oldest first (rows)."""
        after: uuid.UUID | None = None
        while True:
            query = _ORDERS_OF.where(_ORDERS.c.customer_id == customer_id).limit(BATCH)
            if after is not None:
                query = query.where(_ORDERS.c.id > after)
            orders = (await self.session.execute(query)).all()
            if not orders:
                return
            lines: dict[uuid.UUID, list[Row[Any]]] = {order.id: [] for order in orders}
            for line in await self.session.execute(
                _LINES_OF.where(_LINES.c.order_id.in_(list(lines)))
            ):
                lines[line.order_id].append(line)
            yield [(order, lines[order.id]) for order in orders]
            after = orders[-1].id

    async def disclosure_batches(
        self, customer_id: uuid.UUID
    ) -> AsyncIterator[list[tuple[Row[Any], str]]]:
        """Every disclosure of the person's data with its recipient's name, oldest first."""
        after = 0
        while True:
            rows = (
                await self.session.execute(
                    _DISCLOSURES_OF.where(
                        _DISCLOSURES.c.customer_id == customer_id, _DISCLOSURES.c.id > after
                    ).limit(BATCH)
                )
            ).all()
            if not rows:
                return
            yield [(row.disclosure, row.name) for row in rows]
            after = rows[-1].disclosure.id

    async def audit_event_batches(self, customer_id: uuid.UUID) -> AsyncIterator[list[Row[Any]]]:
        """The audit events about the person, oldest first (rows)."""
        after = 0
        while True:
            events = list(
                (
                    await self.session.execute(
                        _EVENTS_OF.where(
                            _EVENTS.c.customer_id == customer_id, _EVENTS.c.id > after
                        ).limit(BATCH)
                    )
                ).all()
            )
            if not events:
                return
            yield events
            after = events[-1].id

    async def staff_names(self, user_ids: set[uuid.UUID]) -> dict[str, str]:
        """The full names of these staff accounts, by their id as text."""
        rows = await self.session.execute(
            select(User.id, User.full_name).where(User.id.in_(user_ids))
        )
        return {str(user_id): full_name for user_id, full_name in rows}
