"""Queries on idempotency keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, Table, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.models import IdempotencyKey

# Writes go to the table on the session's connection (in its transaction): plain
# statements, without the ORM's bulk machinery, as no key row is held as an object then.
_TABLE = cast(Table, IdempotencyKey.__table__)

# Built once: a statement made on every request costs more to build than to run. The
# values of a claim and a completion are the execution's parameters.
_CLAIM = {
    name: insert(_TABLE)
    .on_conflict_do_nothing(index_elements=["principal", "key"])
    .returning(_TABLE.c.id)
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}
_COMPLETE = update(_TABLE).where(_TABLE.c.id == bindparam("row_id"))
_EXPIRED = _TABLE.c.created_at < bindparam("cutoff")
_DELETE_EXPIRED = delete(_TABLE).where(_EXPIRED)
_DELETE_EXPIRED_KEY = delete(_TABLE).where(
    _EXPIRED, _TABLE.c.principal == bindparam("principal"), _TABLE.c.key == bindparam("key")
)


class IdempotencyKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, values: dict[str, Any]) -> int | None:
        """Insert the key unless it exists; the new row's id, or None when it was taken.

        `INSERT ... ON CONFLICT DO NOTHING` is atomic across processes: of two concurrent
        claims exactly one inserts. On PostgreSQL the other waits for the first transaction
        and then sees its committed row.
        """
        statement = _CLAIM[self.session.get_bind().dialect.name]
        claimed: int | None = (await self._execute(statement, values)).scalar_one_or_none()
        return claimed

    async def get(self, principal: str, key: str) -> IdempotencyKey | None:
        return await self.session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.principal == principal, IdempotencyKey.key == key
            )
        )

    async def complete(self, row_id: int, values: dict[str, Any]) -> None:
        await self._execute(_COMPLETE, {**values, "row_id": row_id})

    async def delete_created_before(self, cutoff: dt.datetime) -> int:
        """Forget every key older than `cutoff`; the number forgotten."""
        return int((await self._execute(_DELETE_EXPIRED, {"cutoff": cutoff})).rowcount or 0)

    async def delete_if_created_before(self, cutoff: dt.datetime, principal: str, key: str) -> None:
        """Forget one caller's key if it is older than `cutoff`."""
        await self._execute(
            _DELETE_EXPIRED_KEY, {"cutoff": cutoff, "principal": principal, "key": key}
        )

    async def _execute(
        self, statement: Executable, parameters: Mapping[str, Any]
    ) -> CursorResult[Any]:
        connection = await self.session.connection()
        return await connection.execute(statement, parameters)
