"""Queries on the audit hash chain: its head, unsealed events, appending and walking it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import exists, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.models import AuditChainEntry, AuditEvent

# Any constant works: it only has to be the same in every process that seals.
SEALER_LOCK_KEY = 0x435241554449540A

_event_table = AuditEvent.__table__
_chain_table = AuditChainEntry.__table__
EVENT_COLUMNS = tuple(_event_table.columns)


def _not_sealed(after_id: int | None = None) -> Any:
    """Events with no chain entry. With `after_id` (the caller's own lower bound on event
    ids), the chain is only looked at above it too: without that bound PostgreSQL plans an
    anti-join that reads the whole chain (half a second at two million entries), with it a
    merge over the two index ranges (milliseconds)."""
    in_chain = AuditChainEntry.event_id == AuditEvent.id
    if after_id is not None:
        in_chain = in_chain & (AuditChainEntry.event_id > after_id)
    return ~exists().where(in_chain)


_EVENT_COLUMN_LIST = ", ".join(f"e.{column.name}" for column in EVENT_COLUMNS)
_WALK_SQL = (
    f"SELECT c.position, c.event_id AS chain_event_id, c.hash, {_EVENT_COLUMN_LIST}"  # noqa: S608
    " FROM audit_chain c LEFT OUTER JOIN audit_events e ON e.id = c.event_id"
    " WHERE c.position > $1 ORDER BY c.position LIMIT $2"
)

_UNSEALED_SQL = (
    f"SELECT {_EVENT_COLUMN_LIST} FROM audit_events e"  # noqa: S608
    " WHERE e.id > $1"
    " AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.id AND c.event_id > $1)"
    " ORDER BY e.id LIMIT $2"
)


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

    async def unsealed_events(self, *, after_id: int, limit: int) -> Sequence[Mapping[Any, Any]]:
        """Committed events not in the chain yet, with id above `after_id`, in id order.

        On PostgreSQL straight from the driver, as `walk` reads them: sealing keeps up with
        every request's audit row, so its cost per row counts.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            connection = await self.session.connection()
            raw = await connection.get_raw_connection()
            records: Sequence[Mapping[Any, Any]] = await raw.driver_connection.fetch(  # type: ignore[union-attr]
                _UNSEALED_SQL, after_id, limit
            )
            return records
        query = (
            select(*EVENT_COLUMNS)
            .where(AuditEvent.id > after_id, _not_sealed(after_id))
            .order_by(AuditEvent.id)
            .limit(limit)
        )
        return [row._mapping for row in await self.session.execute(query)]

    async def append(
        self,
        first_position: int,
        event_ids: Sequence[int],
        hashes: Sequence[str],
        sealed_at: dt.datetime,
    ) -> None:
        """Append entries at consecutive positions from `first_position`."""
        if not event_ids:
            return
        positions = list(range(first_position, first_position + len(event_ids)))
        if self.session.get_bind().dialect.name == "postgresql":
            # One statement with arrays: far cheaper than a row-by-row executemany.
            await self.session.execute(
                text(
                    "INSERT INTO audit_chain (position, event_id, hash, sealed_at) "
                    "SELECT position, event_id, hash, :sealed_at "
                    "FROM unnest(CAST(:positions AS bigint[]), CAST(:event_ids AS bigint[]), "
                    "CAST(:hashes AS text[])) AS entry(position, event_id, hash)"
                ),
                {
                    "positions": positions,
                    "event_ids": list(event_ids),
                    "hashes": list(hashes),
                    "sealed_at": sealed_at,
                },
            )
            return
        await self.session.execute(
            insert(AuditChainEntry),
            [
                {"position": position, "event_id": event_id, "hash": digest, "sealed_at": sealed_at}
                for position, event_id, digest in zip(positions, event_ids, hashes, strict=True)
            ],
        )

    async def length(self) -> int:
        return int(await self.session.scalar(select(func.max(AuditChainEntry.position))) or 0)

    async def walk(self, *, after_position: int, limit: int) -> Sequence[Any]:
        """Chain entries after a position, with their events (None columns when gone).

        Each row has `position`, `chain_event_id`, `hash` and the event's columns by name.
        On PostgreSQL the rows come straight from the driver: verifying a long chain is
        bound by the cost per row.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            connection = await self.session.connection()
            raw = await connection.get_raw_connection()
            # The driver connection decodes JSON as SQLAlchemy set it up to.
            records: Sequence[Any] = await raw.driver_connection.fetch(  # type: ignore[union-attr]
                _WALK_SQL, after_position, limit
            )
            return records
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
        return [row._mapping for row in await self.session.execute(query)]

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
