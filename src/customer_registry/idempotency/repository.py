"""Queries on idempotency keys."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.models import IdempotencyKey

# Writes go to the table on the session's connection (in its transaction): plain
# statements, without the ORM's bulk machinery, as no key row is held as an object then.
_TABLE = cast(Table, IdempotencyKey.__table__)


class IdempotencyKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, values: dict[str, Any]) -> int | None:
        """Insert the key unless it exists; the new row's id, or None when it was taken.

        `INSERT ... ON CONFLICT DO NOTHING` is atomic across processes: of two concurrent
        claims exactly one inserts. On PostgreSQL the other waits for the first transaction
        and then sees its committed row.
        """
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(_TABLE)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["principal", "key"])
            .returning(_TABLE.c.id)
        )
        claimed: int | None = (await self._execute(statement)).scalar_one_or_none()
        return claimed

    async def get(self, principal: str, key: str) -> IdempotencyKey | None:
        return await self.session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.principal == principal, IdempotencyKey.key == key
            )
        )

    async def complete(self, row_id: int, values: dict[str, Any]) -> None:
        await self._execute(update(_TABLE).where(_TABLE.c.id == row_id).values(**values))

    async def delete_created_before(
        self, cutoff: dt.datetime, *, principal: str | None = None, key: str | None = None
    ) -> int:
        """Forget keys older than `cutoff` (one caller's key, or all of them)."""
        statement = delete(_TABLE).where(_TABLE.c.created_at < cutoff)
        if principal is not None:
            statement = statement.where(_TABLE.c.principal == principal)
        if key is not None:
            statement = statement.where(_TABLE.c.key == key)
        return int((await self._execute(statement)).rowcount or 0)

    async def _execute(self, statement: Executable) -> CursorResult[Any]:
        connection = await self.session.connection()
        return await connection.execute(statement)
