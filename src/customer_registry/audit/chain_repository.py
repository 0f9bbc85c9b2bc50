"""Queries on the audit hash chain: its head, unsealed events, appending and walking it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, exists, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.models import AuditChainEntry, AuditEvent

# Any constant works: it only has to be the same in every process that seals.
SEALER_LOCK_KEY = 0x435241554449540A

_event_table = AuditEvent.__table__
_chain_table = AuditChainEntry.__table__
EVENT_COLUMNS = tuple(_event_table.columns)


def _not_sealed() -> Any:
    return ~exists().where(AuditChainEntry.event_id == AuditEvent.id)


class AuditChainRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def try_lock_sealer(self) -> bool:
        """Whether this transaction may seal; on SQLite the write lock already serialises."""
        if self.session.get_bind().dialect.name != "postgresql":
            return True
        locked = await self.session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SEALER_LOCK_KEY}
        )
        return bool(locked)

    async def head(self) -> tuple[int, str] | None:
        """The last position and its hash, or None for an empty chain."""
        row = (
            await self.session.execute(
                select(AuditChainEntry.position, AuditChainEntry.hash)
                .order_by(AuditChainEntry.position.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else (int(row[0]), str(row[1]))

    async def newest_sealed_event_id(self) -> int:
        return int(await self.session.scalar(select(func.max(AuditChainEntry.event_id))) or 0)

    async def unsealed_events(self, *, after_id: int, limit: int) -> Sequence[Row[Any]]:
        """Committed events not in the chain yet, with id above `after_id`, in id order."""
        query = (
            select(*EVENT_COLUMNS)
            .where(AuditEvent.id > after_id, _not_sealed())
            .order_by(AuditEvent.id)
            .limit(limit)
        )
        return (await self.session.execute(query)).all()

    async def append(self, entries: Sequence[dict[str, Any]]) -> None:
        if entries:
            await self.session.execute(insert(AuditChainEntry), list(entries))

    async def length(self) -> int:
        return int(await self.session.scalar(select(func.max(AuditChainEntry.position))) or 0)

    async def walk(self, *, after_position: int, limit: int) -> Sequence[Row[Any]]:
        """Chain entries after a position, with their events (None columns when gone)."""
        query = (
            select(
                _chain_table.c.position,
                _chain_table.c.event_id.label("chain_event_id"),
                _chain_table.c.hash,
                *EVENT_COLUMNS,
            )
            .select_from(_chain_table.outerjoin(_event_table))
            .where(_chain_table.c.position > after_position)
            .order_by(_chain_table.c.position)
            .limit(limit)
        )
        return (await self.session.execute(query)).all()

    async def old_unsealed_event_ids(
        self, *, occurred_before: dt.datetime, limit: int
    ) -> tuple[int, list[int]]:
        """How many events older than a moment are not sealed, and the first of them."""
        condition = (_not_sealed(), AuditEvent.occurred_at < occurred_before)
        count = await self.session.scalar(
            select(func.count()).select_from(AuditEvent).where(*condition)
        )
        ids = await self.session.scalars(
            select(AuditEvent.id).where(*condition).order_by(AuditEvent.id).limit(limit)
        )
        return int(count or 0), [int(value) for value in ids]
