"""Queries of the erasure log table, and the request an erasure belongs to."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.models import ErasureLogEntry, GdprRequest, RequestStatus, RequestType


class ErasureLogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, entry: ErasureLogEntry) -> None:
        self.session.add(entry)
        await self.session.flush()

    async def has(self, entry_id: uuid.UUID) -> bool:
        found = await self.session.scalar(
            select(ErasureLogEntry.id).where(ErasureLogEntry.id == entry_id)
        )
        return found is not None

    async def erasure_request_being_completed(self, customer_id: uuid.UUID) -> uuid.UUID | None:
        """The customer's verified erasure request: completing it is what erases them."""
        return await self.session.scalar(
            select(GdprRequest.id)
            .where(
                GdprRequest.customer_id == customer_id,
                GdprRequest.type == RequestType.erasure.value,
                GdprRequest.status == RequestStatus.verified.value,
            )
            .order_by(GdprRequest.id.desc())
            .limit(1)
        )
