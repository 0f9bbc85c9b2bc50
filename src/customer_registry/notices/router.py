"""The recipients' feed of rectified and erased customers (API keys)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from customer_registry.auth.dependencies import RecipientActor
from customer_registry.core.errors import (
    Forbidden,
    NotFound,
    Unauthorized,
    UnprocessableEntity,
    error_responses,
)
from customer_registry.core.pagination import CursorQuery, InvalidCursor, LimitQuery, Page
from customer_registry.core.routing import documented_router
from customer_registry.notices.schemas import NoticeRead
from customer_registry.notices.service import NoticeServiceDep
from customer_registry.partners.exceptions import TransferNotAllowed

router = documented_router(prefix="/api/v1/recipient-notices", tags=["recipients"])


@router.get(
    "",
    response_model=Page[NoticeRead],
    responses=error_responses(
        Unauthorized, Forbidden, TransferNotAllowed, UnprocessableEntity, InvalidCursor
    ),
)
async def list_notices(
    service: NoticeServiceDep,
    actor: RecipientActor,
    pending: Annotated[bool, Query(description="Only notices not yet acknowledged.")] = True,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[NoticeRead]:
    """Customers whose data this recipient holds and that were rectified or erased (Art. 19)."""
    return await service.feed(actor, pending_only=pending, cursor=cursor, limit=limit)


@router.post(
    "/{notice_id}/acknowledge",
    response_model=NoticeRead,
    responses=error_responses(
        Unauthorized, Forbidden, TransferNotAllowed, NotFound, UnprocessableEntity
    ),
)
async def acknowledge_notice(
    notice_id: Annotated[int, Path(ge=1, le=2**62)],
    service: NoticeServiceDep,
    actor: RecipientActor,
) -> NoticeRead:
    """Confirm that the rectification or erasure has been applied; audited."""
    return await service.acknowledge(notice_id, actor)
