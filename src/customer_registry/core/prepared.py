"""The hottest statements, run on a statement connection as the driver's own prepared
statements (inserts grouped across requests), and through SQLAlchemy anywhere else."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from sqlalchemy import Insert, Row, Select, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from customer_registry.core.database import StatementConnection, statement_connection
from customer_registry.core.errors import DatabaseTimeout, DatabaseUnavailable


class DriverRow:
    """A driver's record with a SQLAlchemy row's attribute and `_mapping` access."""

    def __init__(self, record: Mapping[str, Any]) -> None:
        self.__dict__.update(record.items())
        self._mapping = record

    # Declared so that a row's columns type as Any, as a SQLAlchemy row's do; Python calls
    # it only for names that are not columns.
    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    # For each positional parameter: its name and the type's conversion, if any.
    parameters: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    # Values the statement itself carries (literals in conditions).
    constants: Mapping[str, Any]


class DriverStatement:
    """A Core statement with named parameters, for `fetch_one`, `fetch_all` and `execute`."""

    def __init__(
        self, statement: Select[Any] | Insert, column_keys: Sequence[str] | None = None
    ) -> None:
        self.statement = statement
        # For an INSERT: the columns whose values are given (as SQLAlchemy compiles it).
        self.column_keys = list(column_keys) if column_keys is not None else None
        self._keys = set(column_keys or ())
        self._compiled: dict[str, _Compiled] = {}
        self._queues: weakref.WeakKeyDictionary[AsyncEngine, _WriteQueue] = (
            weakref.WeakKeyDictionary()
        )

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            sql = self.statement.compile(dialect=dialect, column_keys=self.column_keys)
            # Per parameter (a tuple only for tuple-valued ones, which these don't have).
            processors = cast(Mapping[str, Callable[[Any], Any]], sql._bind_processors)
            names = tuple(sql.positiontup or ())
            compiled = _Compiled(
                str(sql),
                tuple((name, processors.get(name)) for name in names),
                sql.construct_params(_check=False),
            )
            self._compiled[dialect.name] = compiled
        return compiled

    def _arguments(self, compiled: _Compiled, parameters: Mapping[str, Any]) -> list[Any]:
        arguments = []
        for name, process in compiled.parameters:
            value = parameters[name] if name in parameters else compiled.constants[name]
            arguments.append(process(value) if process is not None else value)
        return arguments

    async def fetch_one(
        self, session: AsyncSession, parameters: Mapping[str, Any]
    ) -> Row[Any] | DriverRow | None:
        """The first row, or None."""
        found = statement_connection(session)
        if found is None:
            connection = await session.connection()
            row: Row[Any] | None = (await connection.execute(self.statement, parameters)).first()
            return row
        compiled = self._compile(found.engine.dialect)
        arguments = self._arguments(compiled, parameters)
        async with _connection_loss_handled(found):
            record = await found.driver.fetchrow(compiled.sql, *arguments)
        return DriverRow(record) if record is not None else None

    async def fetch_all(
        self, session: AsyncSession, parameters: Mapping[str, Any]
    ) -> Sequence[Row[Any] | DriverRow]:
        """Every row."""
        found = statement_connection(session)
        if found is None:
            connection = await session.connection()
            return (await connection.execute(self.statement, parameters)).all()
        compiled = self._compile(found.engine.dialect)
        arguments = self._arguments(compiled, parameters)
        async with _connection_loss_handled(found):
            records = await found.driver.fetch(compiled.sql, *arguments)
        return [DriverRow(record) for record in records]

    async def execute(self, session: AsyncSession, parameters: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement once per parameter set (exactly its `column_keys`, when it has
        them); returns once the rows are on disk, or raises."""
        if self.column_keys is not None and any(
            values.keys() != self._keys for values in parameters
        ):
            raise ValueError(f"parameters other than the statement's {sorted(self._keys)}")
        found = statement_connection(session)
        if found is None:
            connection = await session.connection()
            if len(parameters) == 1:
                await connection.execute(self.statement, parameters[0])
            else:
                await connection.execute(self.statement, list(parameters))
            return
        compiled = self._compile(found.engine.dialect)
        rows = _Rows([self._arguments(compiled, values) for values in parameters])
        queue = self._queue(found.engine)
        queue.waiting.append(rows)
        # One write at a time per process: rows that arrive meanwhile wait, and the first
        # of them to get the turn writes them all, on its own connection. Under load each
        # write carries the rows of many requests (one round trip and one commit); alone,
        # a request writes its rows at once.
        async with queue.turn:
            if not rows.written:
                await self._write_waiting(found, compiled.sql, queue, rows)

    def _queue(self, engine: AsyncEngine) -> _WriteQueue:
        loop = asyncio.get_running_loop()
        queue = self._queues.get(engine)
        if queue is None or queue.loop is not loop:
            queue = self._queues[engine] = _WriteQueue(loop)
        return queue

    @staticmethod
    async def _write_waiting(
        found: StatementConnection, sql: str, queue: _WriteQueue, own: _Rows
    ) -> None:
        batch, queue.waiting = queue.waiting, []
        try:
            await _write(found, sql, batch)
        except Exception as error:
            if len(batch) == 1:
                raise
            # Nothing of the batch was written. The other requests' rows wait again, and
            # each of those requests writes them itself when its turn comes, with its own
            # outcome; this request writes its own rows alone, so that a row that fails
            # fails only the request it belongs to. A lost connection fails this request
            # (503); the others try on their own connections.
            queue.waiting[:0] = [rows for rows in batch if rows is not own]
            if isinstance(error, DatabaseUnavailable):
                raise
            await _write(found, sql, [own])
        except BaseException:
            queue.waiting[:0] = [rows for rows in batch if rows is not own]
            raise


async def _write(found: StatementConnection, sql: str, batch: list[_Rows]) -> None:
    """The batch's rows in one statement and one transaction: all of them, or none."""
    arguments = [values for rows in batch for values in rows.arguments]
    async with _connection_loss_handled(found):
        if len(arguments) == 1:
            await found.driver.execute(sql, *arguments[0])
        else:
            # asyncpg runs the sets as one implicit transaction.
            await found.driver.executemany(sql, arguments)
    for rows in batch:
        rows.written = True


@dataclass(slots=True)
class _Rows:
    """One request's parameter sets for a statement, and whether they are on disk."""

    arguments: list[list[Any]]
    written: bool = False


class _WriteQueue:
    """Rows of concurrent requests in this process for one statement, and whose turn it is."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.turn = asyncio.Lock()
        self.waiting: list[_Rows] = []


@asynccontextmanager
async def _connection_loss_handled(found: StatementConnection) -> AsyncIterator[None]:
    """A lost connection is taken out of the pool and answered 503 (504 when the server did
    not answer in time), as through SQLAlchemy."""
    try:
        yield
    except (
        OSError,
        asyncpg.InterfaceError,
        asyncpg.PostgresConnectionError,
        asyncpg.InternalClientError,  # the protocol lost its state: the connection is unusable
    ) as error:
        lost = isinstance(error, OSError | asyncpg.InternalClientError)
        if not lost and not found.driver.is_closed():
            raise
        await found.invalidate(error)
        if isinstance(error, TimeoutError):  # the server did not answer in time
            raise DatabaseTimeout from error
        raise DatabaseUnavailable from error


def insert_row(table: Table) -> DriverStatement:
    """An INSERT into `table` of a value for every column but its generated primary key."""
    return DriverStatement(
        insert(table),
        column_keys=[column.key for column in table.columns if not column.primary_key],
    )
