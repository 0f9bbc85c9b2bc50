"""Creating notices when data changes, and the recipients' feed of them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.audit.service import AuditTrail
from customer_registry.auth.principal import Actor
from customer_registry.core.database import SessionDep
from customer_registry.core.errors import NotFound
from customer_registry.core.pagination import Page, decode_int_cursor, encode_cursor
from customer_registry.models import AuditAction, NoticeKind, RecipientNotice
from customer_registry.models.base import utcnow
from customer_registry.notices.repository import NoticeRepository
from customer_registry.notices.schemas import NoticeRead, NotifiedParty

NOTICE_ENTITY = "recipient_notice"


class NoticeService:
    def __init__(self, session: AsyncSession) -> None:
        self.notices = NoticeRepository(session)
        self.audit = AuditTrail(session)

    async def notify_recipients(
        self,
        customer_id: uuid.UUID,
        kind: NoticeKind,
        fields: Iterable[str],
        gdpr_request_id: uuid.UUID | None,
    ) -> list[NotifiedParty]:
        """A notice for every recipient the customer's data was disclosed to (Art. 19)."""
        recipients = await self.notices.recipients_of(customer_id)
        notices = [
            RecipientNotice(
                recipient_id=recipient.id,
                customer_id=customer_id,
                kind=kind.value,
                fields=sorted(fields),
                gdpr_request_id=gdpr_request_id,
                created_at=utcnow(),
            )
            for recipient in recipients
        ]
        await self.notices.add_all(notices)
        return [
            NotifiedParty(
                party="recipient",
                recipient_id=recipient.id,
                name=recipient.name,
                notice_id=notice.id,
            )
            for recipient, notice in zip(recipients, notices, strict=True)
        ]

    async def feed(
        self, actor: Actor, *, pending_only: bool, cursor: str | None, limit: int
    ) -> Page[NoticeRead]:
        recipient_id = _recipient_of(actor)
        after = decode_int_cursor(cursor) if cursor is not None else None
        rows = await self.notices.list_for(
            recipient_id, pending_only=pending_only, after=after, limit=limit + 1
        )
        page = rows[:limit]
        await self.audit.record_many(
            [
                AuditTrail.event(
                    actor,
                    AuditAction.read,
                    NOTICE_ENTITY,
                    notice.id,
                    customer_id=notice.customer_id,
                    fields=["kind", "fields"],
                )
                for notice in page
            ]
        )
        return Page[NoticeRead](
            items=[NoticeRead.model_validate(notice) for notice in page],
            next_cursor=encode_cursor(page[-1].id) if len(rows) > limit else None,
        )

    async def acknowledge(self, notice_id: int, actor: Actor) -> NoticeRead:
        """The recipient has applied the rectification or erasure."""
        notice = await self.notices.get_for(_recipient_of(actor), notice_id)
        if notice is None:
            raise NotFound("No such notice.")
        if notice.acknowledged_at is None:
            notice.acknowledged_at = utcnow()
            notice.acknowledged_by = actor.actor_id
            await self.audit.record(
                actor,
                AuditAction.update,
                NOTICE_ENTITY,
                notice.id,
                customer_id=notice.customer_id,
                fields=["acknowledged_at"],
            )
        return NoticeRead.model_validate(notice)


def _recipient_of(actor: Actor) -> uuid.UUID:
    principal = actor.principal
    assert principal is not None
    assert principal.recipient_id is not None
    return principal.recipient_id


async def get_notice_service(session: SessionDep) -> NoticeService:
    return NoticeService(session)


NoticeServiceDep = Annotated[NoticeService, Depends(get_notice_service)]
