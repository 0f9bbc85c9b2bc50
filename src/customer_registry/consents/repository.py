"""Queries on the append-only consent ledger."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, ScalarSelect, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.models import ConsentDecision, ConsentEvent, Customer, Purpose


class ConsentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def append(self, event: ConsentEvent) -> ConsentEvent:
        """Insert one event; the ledger is never updated or deleted from."""
        self.session.add(event)
        await self.session.flush()
        return event

    async def history(
        self, customer_id: uuid.UUID, *, before_id: int | None, limit: int
    ) -> Sequence[ConsentEvent]:
        """A customer's events, newest first."""
        query = (
            select(ConsentEvent)
            .where(ConsentEvent.customer_id == customer_id)
            .order_by(ConsentEvent.id.desc())
            .limit(limit)
        )
        if before_id is not None:
            query = query.where(ConsentEvent.id < before_id)
        return (await self.session.scalars(query)).all()

    async def latest(self, customer_ids: Sequence[uuid.UUID]) -> Sequence[ConsentEvent]:
        """The latest event of each customer and purpose, for many customers in one query."""
        if not customer_ids:
            return []
        latest_ids = (
            select(func.max(ConsentEvent.id))
            .where(ConsentEvent.customer_id.in_(customer_ids))
            .group_by(ConsentEvent.customer_id, ConsentEvent.purpose)
        )
        query = select(ConsentEvent).where(ConsentEvent.id.in_(latest_ids))
        return (await self.session.scalars(query)).all()


def latest_decision(purpose: Purpose) -> ScalarSelect[str]:
    """A column of a query on `Customer`: the customer's latest decision on `purpose`
    (NULL when there is none), one probe of the (customer, purpose, id) index."""
    return (
        select(ConsentEvent.decision)
        .where(ConsentEvent.customer_id == Customer.id, ConsentEvent.purpose == purpose.value)
        .order_by(ConsentEvent.id.desc())
        .limit(1)
        .correlate(Customer)
        .scalar_subquery()
    )


def allows(purpose: Purpose, default: ConsentDecision) -> ColumnElement[bool]:
    """A condition on `Customer`: the customer's current state of `purpose` is granted."""
    # Written as "not forbidden" (the same for two decisions): the planner estimates `<>`
    # as nearly always true and `=` as rare, and a rare estimate makes a label batch look
    # like a scan of the whole table (on PostgreSQL enough to switch JIT compilation on).
    return (
        func.coalesce(latest_decision(purpose), literal(default.value))
        != ConsentDecision.forbidden.value
    )
