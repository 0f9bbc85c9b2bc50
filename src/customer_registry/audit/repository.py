"""Queries on the append-only audit table."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.core.grouped import GroupedInsert
from customer_registry.core.metrics import AUDIT_EVENTS_WRITTEN
from customer_registry.models import AuditEvent

AUDIT_TABLE = cast(Table, AuditEvent.__table__)
# The events of reads, written together across requests: the hottest statement of all.
_GROUPED = GroupedInsert(AUDIT_TABLE)


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def append(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert events in one statement; never updates or deletes."""
        if not rows:
            return
        await _GROUPED.execute(self.session, rows)
        self.written(len(rows))

    @staticmethod
    def written(count: int) -> None:
        """Count events written, here or by a statement that writes one with other rows."""
        AUDIT_EVENTS_WRITTEN.inc(count)

    async def list(
        self,
        *,
        customer_id: uuid.UUID | None,
        actor_id: str | None,
        action: str | None,
        occurred_from: dt.datetime | None,
        occurred_to: dt.datetime | None,
        after_id: int | None,
        limit: int,
    ) -> Sequence[AuditEvent]:
        query = select(AuditEvent).order_by(AuditEvent.id).limit(limit)
        if customer_id is not None:
            query = query.where(AuditEvent.customer_id == customer_id)
        if actor_id is not None:
            query = query.where(AuditEvent.actor_id == actor_id)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        if occurred_from is not None:
            query = query.where(AuditEvent.occurred_at >= occurred_from)
        if occurred_to is not None:
            query = query.where(AuditEvent.occurred_at < occurred_to)
        if after_id is not None:
            query = query.where(AuditEvent.id > after_id)
        return (await self.session.scalars(query)).all()
