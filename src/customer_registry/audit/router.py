"""Reading the audit log (admin and privacy officer)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query

from customer_registry.audit.schemas import AuditEventRead
from customer_registry.audit.service import AuditLogServiceDep
from customer_registry.auth.dependencies import AuditReader
from customer_registry.auth.rate_limit import per_principal
from customer_registry.core.errors import (
    Forbidden,
    TooManyRequests,
    Unauthorized,
    UnprocessableEntity,
    error_responses,
)
from customer_registry.core.pagination import CursorQuery, InvalidCursor, LimitQuery, Page
from customer_registry.core.routing import documented_router
from customer_registry.core.validation import IsoAwareDateTime
from customer_registry.models import AuditAction

router = documented_router(prefix="/api/v1/audit-events", tags=["audit"])


@router.get(
    "",
    response_model=Page[AuditEventRead],
    responses=error_responses(
        Unauthorized, Forbidden, UnprocessableEntity, InvalidCursor, TooManyRequests
    ),
    dependencies=[
        Depends(
            per_principal("audit-events", "rate_limit_audit_events_per_minute", staff_only=True),
            scope="function",
        )
    ],
)
async def list_audit_events(
    service: AuditLogServiceDep,
    actor: AuditReader,
    customer_id: uuid.UUID | None = None,
    actor_id: Annotated[str | None, Query(max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")] = None,
    action: AuditAction | None = None,
    occurred_from: Annotated[IsoAwareDateTime | None, Query(alias="from")] = None,
    occurred_to: Annotated[IsoAwareDateTime | None, Query(alias="to")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[AuditEventRead]:
    """List audit events, oldest first, filtered by customer, actor, action and time."""
    return await service.list_events(
        actor,
        customer_id=customer_id,
        actor_id=actor_id,
        action=action,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        cursor=cursor,
        limit=limit,
    )
