"""Queries that set and lift a restriction."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.models import Customer


class RestrictionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, customer_id: uuid.UUID) -> Customer | None:
        return await self.session.get(Customer, customer_id)

    async def set(
        self,
        customer: Customer,
        *,
        restricted_at: dt.datetime | None,
        reason: str | None,
        restricted_by: str | None,
        ground: str | None = None,
    ) -> bool:
        """Change the restriction only if it is still as read: True when it changed."""
        currently = (
            Customer.restricted_at.is_(None)
            if customer.restricted_at is None
            else Customer.restricted_at.is_not(None)
        )
        result = await self.session.execute(
            update(Customer)
            .where(Customer.id == customer.id, currently)
            .values(
                restricted_at=restricted_at,
                restriction_reason=reason,
                restricted_by=restricted_by,
                restriction_ground=ground,
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            return False
        await self.session.refresh(customer)
        return True
