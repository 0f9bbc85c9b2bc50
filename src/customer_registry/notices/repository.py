"""Queries on recipient notices and on who received a customer's data."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.models import Disclosure, Recipient, RecipientNotice


class NoticeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def recipients_of(self, customer_id: uuid.UUID) -> Sequence[Recipient]:
        """Every recipient the customer's data was ever disclosed to."""
        received = select(Disclosure.recipient_id).where(Disclosure.customer_id == customer_id)
        return (
            await self.session.scalars(
                select(Recipient).where(Recipient.id.in_(received)).order_by(Recipient.name)
            )
        ).all()

    async def add_all(self, notices: Sequence[RecipientNotice]) -> None:
        self.session.add_all(notices)
        await self.session.flush()

    async def list_for(
        self, recipient_id: uuid.UUID, *, pending_only: bool, after: int | None, limit: int
    ) -> Sequence[RecipientNotice]:
        query = (
            select(RecipientNotice)
            .where(RecipientNotice.recipient_id == recipient_id)
            .order_by(RecipientNotice.id)
            .limit(limit)
        )
        if pending_only:
            query = query.where(RecipientNotice.acknowledged_at.is_(None))
        if after is not None:
            query = query.where(RecipientNotice.id > after)
        return (await self.session.scalars(query)).all()

    async def get_for(self, recipient_id: uuid.UUID, notice_id: int) -> RecipientNotice | None:
        return await self.session.scalar(
            select(RecipientNotice).where(
                RecipientNotice.id == notice_id, RecipientNotice.recipient_id == recipient_id
            )
        )
