"""Rows that concurrent read sessions insert into one table, written together."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy import Insert, Table, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from customer_registry.core.database import ReadSession
from customer_registry.core.errors import database_failure


class GroupedInsert:
    """An INSERT into `table` that read sessions of this process share: while one request
    writes, the rows of others wait, and the next to get the turn writes them all in one
    statement on its own connection (one round trip and one commit for many requests)."""

    def __init__(self, table: Table) -> None:
        self.statement: Insert = insert(table)
        self._returning = self.statement.returning(*table.primary_key.columns)
        self._queues: weakref.WeakKeyDictionary[AsyncEngine, _Queue] = weakref.WeakKeyDictionary()

    async def execute(self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert `rows`: in a read session, grouped, returning once they are committed; in
        a write session, in its transaction."""
        if not rows:
            return
        if not isinstance(session, ReadSession):
            await session.execute(self.statement, rows)
            return
        own = _Rows(rows)
        queue = self._queue(session)
        queue.waiting.append(own)
        async with queue.turn:
            if not own.written:
                await self._write_waiting(session, queue, own)

    def _queue(self, session: AsyncSession) -> _Queue:
        bind = session.bind
        assert isinstance(bind, AsyncEngine)
        loop = asyncio.get_running_loop()
        queue = self._queues.get(bind)
        if queue is None or queue.loop is not loop:
            queue = self._queues[bind] = _Queue(loop)
        return queue

    async def _write_waiting(self, session: AsyncSession, queue: _Queue, own: _Rows) -> None:
        batch, queue.waiting = queue.waiting, []
        try:
            await self._write(session, batch)
        except DBAPIError as error:
            # Nothing of the batch was written. The others' rows wait again and each of
            # their requests writes them when its turn comes; this request writes its own
            # alone, so that a row that fails fails only its own request. A failure of the
            # database itself (503) fails this request; the others try on their own.
            queue.waiting[:0] = [rows for rows in batch if rows is not own]
            if len(batch) == 1 or database_failure(error) is not None:
                raise
            await self._write(session, [own])
        except BaseException:
            queue.waiting[:0] = [rows for rows in batch if rows is not own]
            raise

    async def _write(self, session: AsyncSession, batch: list[_Rows]) -> None:
        """The batch's rows in one statement (SQLAlchemy's "insertmanyvalues" sends an INSERT
        with RETURNING as one multi-row INSERT), so all of them or none; shielded from the
        cancellation of the request that writes them, whose statement may already have
        reached the database, so that no row is written twice."""
        rows = [row for rows in batch for row in rows.rows]
        with anyio.CancelScope(shield=True):
            connection = await session.connection()
            await connection.execute(self._returning, rows)
        for rows_of_request in batch:
            rows_of_request.written = True


@dataclass(slots=True)
class _Rows:
    """One request's rows, and whether they are committed."""

    rows: Sequence[Mapping[str, Any]]
    written: bool = False


class _Queue:
    """The rows waiting for the statement in this process, and whose turn it is."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.turn = asyncio.Lock()
        self.waiting: list[_Rows] = []
