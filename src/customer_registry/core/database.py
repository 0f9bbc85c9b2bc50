"""Engines, and a request's session: a write session (one transaction) or a read session
(each statement commits by itself)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from customer_registry.config import Settings
from customer_registry.core.errors import RegistryError


def create_engine(
    settings: Settings, *, job: bool = False, pool_size: int | None = None
) -> AsyncEngine:
    """An engine for the configured database, with the statement and lock time limits of a
    request (or, with `job`, of a background job) from the settings."""
    statement_timeout = (
        settings.job_statement_timeout_seconds
        if job
        else settings.database_statement_timeout_seconds
    )
    lock_timeout = (
        settings.job_lock_timeout_seconds if job else settings.database_lock_timeout_seconds
    )
    size = pool_size or settings.database_pool_size
    overflow = 0 if pool_size else size
    if settings.is_sqlite:
        pool_options: dict[str, Any] = {}
        if settings.sqlite_path is not None:  # an in-memory database has a single connection
            pool_options = {
                "pool_size": size,
                "max_overflow": overflow,
                "pool_timeout": settings.database_pool_timeout_seconds,
            }
        # A busy timeout of 0 would fail at once; a job without a limit waits a day.
        sqlite_lock_timeout = lock_timeout or 86_400
        engine = create_async_engine(
            settings.database_url,
            echo=settings.database_echo,
            hide_parameters=True,  # statement parameters are personal data
            connect_args={"timeout": sqlite_lock_timeout},
            **pool_options,
        )
        _configure_sqlite(engine, busy_timeout_ms=max(1, round(sqlite_lock_timeout * 1000)))
        return engine
    engine = create_async_engine(
        settings.database_url,
        echo=settings.database_echo,
        hide_parameters=True,
        pool_size=size,
        max_overflow=overflow,
        pool_timeout=settings.database_pool_timeout_seconds,
        connect_args={
            "timeout": settings.database_connect_timeout_seconds,
            "command_timeout": statement_timeout + 1 if statement_timeout else None,
            "server_settings": {
                "statement_timeout": _milliseconds(statement_timeout),
                "lock_timeout": _milliseconds(lock_timeout),
            },
        },
    )
    _ping_after_idle(engine, PING_AFTER_IDLE_SECONDS)
    _unanswered_is_lost(engine)
    return engine


@asynccontextmanager
async def scoped_engine(settings: Settings, *, job: bool) -> AsyncIterator[AsyncEngine]:
    """An engine (`create_engine`) for work outside requests, disposed when the block ends."""
    engine = create_engine(settings, job=job)
    try:
        yield engine
    finally:
        await engine.dispose()


def _unanswered_is_lost(engine: AsyncEngine) -> None:
    """A connection whose server did not answer in time, or whose socket failed, is
    terminated at once, neither rolled back nor closed politely."""

    @event.listens_for(engine.sync_engine, "handle_error")
    def _handle_error(context: Any) -> None:
        if not isinstance(context.original_exception, OSError):  # TimeoutError included
            return
        context.is_disconnect = True
        try:
            driver = context.connection.connection.driver_connection
        except Exception:  # no connection, or it is already gone
            return
        if driver is not None:
            driver.terminate()


# The driver's errors of a connection that is closed or lost its protocol state.
DRIVER_CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.InternalClientError,
)
# Every error a statement can end with: SQLAlchemy's, the driver's, the socket's.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    exc.SQLAlchemyError,
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)


def _milliseconds(seconds: float) -> str:
    """A PostgreSQL duration setting; 0 is no limit."""
    return str(round(seconds * 1000))


# A pooled connection unused for this long is tested before use, so that one the server
# closed in the meantime (a restart, an idle timeout) is replaced instead of failing the
# request. A connection in steady use is not pinged: a ping costs as many round trips as
# the request's own work.
PING_AFTER_IDLE_SECONDS = 2.0


def _ping_after_idle(engine: AsyncEngine, seconds: float) -> None:
    """Pessimistic disconnect handling for idle connections only (a pool checkout event)."""
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None or time.monotonic() - checked_in_at < seconds:
            return  # new, or in steady use
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool discards this connection and checks out another (or a new one).
            raise exc.DisconnectionError from error


def _configure_sqlite(engine: AsyncEngine, *, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself so that transactions and savepoints behave
        # as they do on PostgreSQL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock at BEGIN, so that two writers queue on the busy
        # timeout instead of failing on a lock upgrade in the middle of a transaction.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose work is one transaction (a write session)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


class ReadSession(AsyncSession):
    """A session on PostgreSQL whose statements each commit by themselves (autocommit): a
    read and its audit rows, without BEGIN and COMMIT around them."""


def create_read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for reads: `ReadSession`s on PostgreSQL; on SQLite, write sessions."""
    if engine.dialect.name != "postgresql":
        return create_session_factory(engine)
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    return async_sessionmaker(
        autocommit,
        class_=ReadSession,
        expire_on_commit=False,
        autoflush=False,
    )


@asynccontextmanager
async def request_session(request: Request, *, read: bool = False) -> AsyncIterator[AsyncSession]:
    """A session of one request (`read`: a read session): it commits when the block ends
    without an error, and rolls back on any error except one marked `commit_transaction`."""
    state = request.app.state
    factory: async_sessionmaker[AsyncSession] = (
        state.read_session_factory if read else state.session_factory
    )
    async with factory() as session:
        try:
            yield session
        except RegistryError as error:
            # A refusal that must leave a trace (a failed login) keeps its audit event.
            if error.commit_transaction:
                await session.commit()
            raise
        if not isinstance(session, ReadSession) or session.new or session.dirty or session.deleted:
            # (a read session's statements have committed; it has only objects to flush)
            await session.commit()


async def open_read_session(request: Request) -> AsyncIterator[None]:
    """Give the request a read session, which `get_session` then returns."""
    async with request_session(request, read=True) as session:
        request.state.read_session = session
        yield


# A route's dependency (`dependencies=[READ_SESSION]`): the route's work runs in a read
# session. Without it, a route's session is a write session.
READ_SESSION = Depends(open_read_session, scope="function")


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session: the read session of a route that asked for one, else a write
    session (one transaction); it commits before the response is sent."""
    session: AsyncSession | None = getattr(request.state, "read_session", None)
    if session is not None:
        yield session
        return
    async with request_session(request) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
