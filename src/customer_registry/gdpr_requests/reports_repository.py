"""Queries for the access report and the portability archive of one person."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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
    ) -> AsyncIterator[list[tuple[Order, list[OrderLine]]]]:
        """The person's orders with their lines in position order, oldest first."""
        after: uuid.UUID | None = None
        while True:
            query = (
                select(Order).where(Order.customer_id == customer_id).order_by(Order.id)
            ).limit(BATCH)
            if after is not None:
                query = query.where(Order.id > after)
            orders = (await self.session.scalars(query)).all()
            if not orders:
                return
            lines: dict[uuid.UUID, list[OrderLine]] = {order.id: [] for order in orders}
            for line in await self.session.scalars(
                select(OrderLine)
                .where(OrderLine.order_id.in_(lines))
                .order_by(OrderLine.order_id, OrderLine.position)
            ):
                lines[line.order_id].append(line)
            yield [(order, lines[order.id]) for order in orders]
            after = orders[-1].id

    async def disclosure_batches(
        self, customer_id: uuid.UUID
    ) -> AsyncIterator[list[tuple[Disclosure, str]]]:
        """Every disclosure of the person's data with its recipient's name, oldest first."""
        after = 0
        while True:
            rows = (
                await self.session.execute(
                    select(Disclosure, Recipient.name)
                    .join(Recipient, Recipient.id == Disclosure.recipient_id)
                    .where(Disclosure.customer_id == customer_id, Disclosure.id > after)
                    .order_by(Disclosure.id)
                    .limit(BATCH)
                )
            ).all()
            if not rows:
                return
            yield [(disclosure, name) for disclosure, name in rows]
            after = rows[-1][0].id

    async def audit_event_batches(self, customer_id: uuid.UUID) -> AsyncIterator[list[AuditEvent]]:
        """The audit events about the person, oldest first."""
        after = 0
        while True:
            events = list(
                (
                    await self.session.scalars(
                        select(AuditEvent)
                        .where(AuditEvent.customer_id == customer_id, AuditEvent.id > after)
                        .order_by(AuditEvent.id)
                        .limit(BATCH)
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
