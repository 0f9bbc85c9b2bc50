"""Queries on data-subject requests."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.models import GdprRequest, RequestStatus

OPEN_STATUSES = (RequestStatus.received.value, RequestStatus.verified.value)


class GdprRequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, request: GdprRequest) -> GdprRequest:
        self.session.add(request)
        await self.session.flush()
        return request

    async def get(self, request_id: uuid.UUID, *, for_update: bool = False) -> GdprRequest | None:
        query = select(GdprRequest).where(GdprRequest.id == request_id)
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def list(
        self,
        *,
        status: str | None,
        request_type: str | None,
        customer_id: uuid.UUID | None,
        open_only: bool,
        overdue_on: dt.date | None,
        after: tuple[dt.date, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[GdprRequest]:
        """Requests by deadline, the most urgent first."""
        query = select(GdprRequest).order_by(GdprRequest.deadline_on, GdprRequest.id).limit(limit)
        if status is not None:
            query = query.where(GdprRequest.status == status)
        if request_type is not None:
            query = query.where(GdprRequest.type == request_type)
        if customer_id is not None:
            query = query.where(GdprRequest.customer_id == customer_id)
        if open_only or overdue_on is not None:
            query = query.where(GdprRequest.status.in_(OPEN_STATUSES))
        if overdue_on is not None:
            query = query.where(GdprRequest.deadline_on < overdue_on)
        if after is not None:
            query = query.where(tuple_(GdprRequest.deadline_on, GdprRequest.id) > after)
        return (await self.session.scalars(query)).all()
