"""Engine and session factory; one transaction per request."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

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


def create_engine(settings: Settings) -> AsyncEngine:
    """An engine for the configured database; SQLite gets WAL mode and foreign keys."""
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url,
            echo=settings.database_echo,
            hide_parameters=True,  # statement parameters are personal data
            connect_args={"timeout": 30},
        )
        _configure_sqlite(engine)
        return engine
    engine = create_async_engine(
        settings.database_url,
        echo=settings.database_echo,
        hide_parameters=True,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
    )
    _ping_after_idle(engine, PING_AFTER_IDLE_SECONDS)
    return engine


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


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself so that transactions and savepoints behave
        # as they do on PostgreSQL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock at BEGIN, so that two writers queue on the busy
        # timeout instead of failing on a lock upgrade in the middle of a transaction.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits when the endpoint returns, before the response.

    Used with `scope="function"`, so that the commit happens before the response is sent:
    the data, its audit events and the response stand or fall together. Any error rolls
    the transaction back, except one marked `commit_transaction`.
    """
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with factory() as session:
        try:
            yield session
        except RegistryError as error:
            # A refusal that must leave a trace (a failed login) keeps its audit event.
            if error.commit_transaction:
                await session.commit()
            raise
        await session.commit()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def commit_each_statement(session: AsyncSession) -> None:
    """Let each statement of the session's work be a transaction of its own, on PostgreSQL.

    For work whose statements need no common transaction: a read, and the audit row that
    must be on disk before the answer is sent (with `synchronous_commit`, an INSERT that
    returns is durable). It saves the BEGIN and COMMIT round trips. A session that is
    already in a transaction keeps it; SQLite, in the same process, has no round trips to
    save and keeps its transactions.
    """
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql" and not session.in_transaction():
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
