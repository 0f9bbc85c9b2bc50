"""Writing audit events: in the caller's transaction, so that data and trail stand together."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.audit.repository import AuditRepository
from customer_registry.audit.schemas import AuditEventRead
from customer_registry.auth.principal import Actor
from customer_registry.core.database import SessionDep
from customer_registry.core.pagination import Page, decode_int_cursor, encode_cursor
from customer_registry.models import AuditAction
from customer_registry.models.base import utcnow

# Reading the audit log is itself an audited read of this entity.
AUDIT_ENTITY = "audit_events"


class AuditTrail:
    """Records what an actor did, in the same transaction as the work itself."""

    def __init__(self, session: AsyncSession) -> None:
        self.repository = AuditRepository(session)

    @staticmethod
    def event(
        actor: Actor,
        action: AuditAction,
        entity: str,
        entity_id: Any = None,
        *,
        customer_id: uuid.UUID | None = None,
        fields: Iterable[str] = (),
        purpose: str | None = None,
    ) -> dict[str, Any]:
        return {
            "occurred_at": utcnow(),
            "action": action.value,
            "actor_type": actor.actor_type.value,
            "actor_id": actor.actor_id,
            "actor_role": actor.actor_role,
            "entity": entity,
            "entity_id": None if entity_id is None else str(entity_id),
            "customer_id": customer_id,
            "fields": sorted(fields),
            "request_id": actor.request_id,
            "client_address": actor.client_address,
            "purpose": purpose if purpose is not None else actor.purpose,
        }

    async def record(
        self,
        actor: Actor,
        action: AuditAction,
        entity: str,
        entity_id: Any = None,
        *,
        customer_id: uuid.UUID | None = None,
        fields: Iterable[str] = (),
        purpose: str | None = None,
    ) -> None:
        await self.repository.append(
            [
                self.event(
                    actor,
                    action,
                    entity,
                    entity_id,
                    customer_id=customer_id,
                    fields=fields,
                    purpose=purpose,
                )
            ]
        )

    async def record_many(self, events: Sequence[dict[str, Any]]) -> None:
        await self.repository.append(events)


async def get_audit_trail(session: SessionDep) -> AuditTrail:
    return AuditTrail(session)


AuditTrailDep = Annotated[AuditTrail, Depends(get_audit_trail)]


class AuditLogService:
    """Reading the audit log, which is itself audited."""

    def __init__(self, session: AsyncSession) -> None:
        self.trail = AuditTrail(session)

    async def list_events(
        self,
        actor: Actor,
        *,
        customer_id: uuid.UUID | None,
        actor_id: str | None,
        action: AuditAction | None,
        occurred_from: dt.datetime | None,
        occurred_to: dt.datetime | None,
        cursor: str | None,
        limit: int,
    ) -> Page[AuditEventRead]:
        after_id = decode_int_cursor(cursor) if cursor is not None else None
        events = await self.trail.repository.list(
            customer_id=customer_id,
            actor_id=actor_id,
            action=action.value if action else None,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            after_id=after_id,
            limit=limit + 1,
        )
        page = events[:limit]
        filters = {
            "customer_id": customer_id,
            "actor_id": actor_id,
            "action": action,
            "occurred_from": occurred_from,
            "occurred_to": occurred_to,
        }
        await self.trail.record(
            actor,
            AuditAction.read,
            AUDIT_ENTITY,
            customer_id=customer_id,
            fields=[name for name, value in filters.items() if value is not None],
        )
        return Page[AuditEventRead](
            items=[AuditEventRead.model_validate(event) for event in page],
            next_cursor=encode_cursor(page[-1].id) if len(events) > limit else None,
        )


async def get_audit_log_service(session: SessionDep) -> AuditLogService:
    return AuditLogService(session)


AuditLogServiceDep = Annotated[AuditLogService, Depends(get_audit_log_service)]
