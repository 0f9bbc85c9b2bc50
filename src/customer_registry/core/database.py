"""Engine and session factory; one transaction per request."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import Pool, PoolProxiedConnection, QueuePool
from sqlalchemy.util import greenlet_spawn

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
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The session of one request: its transaction commits when the block ends without an
    error, and rolls back on any error except one marked `commit_transaction`."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    unused = _unused_sessions(factory)
    session = unused.pop() if unused else factory()
    session.info[_RELEASES_STATEMENT_CONNECTION] = True
    try:
        try:
            yield session
        except RegistryError as error:
            # A refusal that must leave a trace (a failed login) keeps its audit event.
            if error.commit_transaction:
                await session.commit()
            raise
        if session.in_transaction() or session.new or session.dirty or session.deleted:
            await session.commit()  # (a session the request never used has nothing to)
    finally:
        await _release_statement_connection(session)
        # Closing rolls back and gives back a transaction still open (after an error); a
        # session without one holds no connection, and has nothing to close.
        if session.in_transaction():
            await session.close()
        _reuse_if_unused(session, unused)


# A request's session that never began a transaction (a read whose statements each commit
# on a statement connection) is as new when the request ends: no objects, no connection,
# no listeners of its own. Such sessions are made again by later requests instead of anew,
# which costs about a twentieth of a single-customer read. At most this many are kept.
UNUSED_SESSIONS_KEPT = 64
_TRANSACTION_BEGUN = "customer_registry.transaction_begun"
_UNUSED: weakref.WeakKeyDictionary[async_sessionmaker[AsyncSession], list[AsyncSession]] = (
    weakref.WeakKeyDictionary()
)


def _unused_sessions(factory: async_sessionmaker[AsyncSession]) -> list[AsyncSession]:
    unused = _UNUSED.get(factory)
    if unused is None:
        unused = _UNUSED[factory] = []
    return unused


def _reuse_if_unused(session: AsyncSession, unused: list[AsyncSession]) -> None:
    if (
        _TRANSACTION_BEGUN in session.info
        or session.in_transaction()
        or session.identity_map
        or len(unused) >= UNUSED_SESSIONS_KEPT
    ):
        return
    session.info.clear()
    unused.append(session)


@event.listens_for(Session, "after_transaction_create")
def _transaction_begun(session: Session, _transaction: SessionTransaction) -> None:
    session.info[_TRANSACTION_BEGUN] = True


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session (`request_session`) as a dependency; `SessionDep` gives it
    `scope="function"`, so that it commits before the response is sent."""
    async with request_session(request) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def commit_each_statement(session: AsyncSession) -> None:
    """On PostgreSQL, run the rest of a request session's work on a `statement_connection`
    where each statement commits by itself; a session already in a transaction keeps it."""
    bind = session.bind
    if (
        bind is None
        or bind.dialect.name != "postgresql"
        or session.in_transaction()
        or _STATEMENT_CONNECTION in session.info
        or not session.info.get(_RELEASES_STATEMENT_CONNECTION)
    ):
        return
    assert isinstance(bind, AsyncEngine)
    # The pool's connection itself, without a SQLAlchemy Connection around it: its
    # statements go to the driver (`customer_registry.core.prepared`), which starts no
    # transaction of its own, so each statement commits by itself.
    kept = _kept_connections(bind)
    pooled = await kept.take() or await bind.raw_connection()
    session.info[_STATEMENT_CONNECTION] = StatementConnection(
        bind, pooled, pooled.driver_connection, kept
    )


@dataclass(frozen=True, slots=True)
class StatementConnection:
    """A pooled connection whose statements each commit, and the driver's connection in it."""

    engine: AsyncEngine
    pooled: PoolProxiedConnection
    driver: Any
    kept: _KeptConnections

    async def release(self) -> None:
        """Give the connection back: kept for the next request's statements, or to the pool."""
        if not self.kept.keep(self.pooled):
            await greenlet_spawn(self.pooled.close)

    async def invalidate(self, error: BaseException) -> None:
        """Take a connection that was lost out of the pool, and the pool's others with it:
        the engine gets a new pool at once, and the old one is closed in the background."""
        self.driver.terminate()  # not closed politely: the network may have gone silent
        await greenlet_spawn(self.pooled.invalidate, error)
        old_pool = await greenlet_spawn(_replace_pool, self.engine.sync_engine)
        disposal = asyncio.create_task(greenlet_spawn(old_pool.dispose))
        _DISPOSALS.add(disposal)
        disposal.add_done_callback(_DISPOSALS.discard)


def _replace_pool(sync_engine: Engine) -> Pool:
    """Give the engine a new pool, drop its kept connections; the old pool, to close."""
    old_pool = sync_engine.pool
    sync_engine.pool = old_pool.recreate()
    kept = _KEPT.get(sync_engine)
    for pooled, _since in kept.idle if kept is not None else ():
        driver: Any = pooled.driver_connection
        driver.terminate()
    _close_kept_connections(sync_engine)
    return old_pool


_DISPOSALS: set[asyncio.Task[None]] = set()


@dataclass(slots=True)
class _KeptConnections:
    """Statement connections kept out of the pool between requests (up to `limit`), pinged
    when idle longer than `PING_AFTER_IDLE_SECONDS`, closed by the engine's `dispose`."""

    limit: int
    idle: list[tuple[PoolProxiedConnection, float]] = field(default_factory=list)

    async def take(self) -> PoolProxiedConnection | None:
        """A kept connection, ready for statements; None when there is none."""
        while self.idle:
            pooled, since = self.idle.pop()
            if time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
                return pooled
            driver: Any = pooled.driver_connection
            try:
                await driver.execute("SELECT 1")
            except Exception as error:
                await greenlet_spawn(pooled.invalidate, error)
                continue
            except BaseException as error:
                # Cancelled during the ping: the connection's state is unknown.
                await greenlet_spawn(pooled.invalidate, error)
                raise
            return pooled
        return None

    def keep(self, pooled: PoolProxiedConnection) -> bool:
        """Keep `pooled` for a later request; False when it goes back to the pool."""
        driver: Any = pooled.driver_connection
        if (
            len(self.idle) >= self.limit
            or not pooled.is_valid
            or driver.is_closed()
            or driver.is_in_transaction()
        ):
            return False
        self.idle.append((pooled, time.monotonic()))
        return True


_KEPT: weakref.WeakKeyDictionary[Engine, _KeptConnections] = weakref.WeakKeyDictionary()


def _kept_connections(engine: AsyncEngine) -> _KeptConnections:
    """The engine's kept statement connections (an engine, as its pool, serves one event
    loop)."""
    sync_engine = engine.sync_engine
    kept = _KEPT.get(sync_engine)
    if kept is None:
        event.listen(sync_engine, "engine_disposed", _close_kept_connections)
        pool = sync_engine.pool
        # Only a pool that keeps connections itself; one that does not is meant not to.
        limit = pool.size() if isinstance(pool, QueuePool) else 0
        kept = _KEPT[sync_engine] = _KeptConnections(limit)
    return kept


def kept_connections(engine: AsyncEngine) -> _KeptConnections:
    """The statement connections kept between requests on `engine` (PostgreSQL)."""
    return _kept_connections(engine)


def _close_kept_connections(sync_engine: Engine) -> None:
    """Close the engine's kept connections with the pool's (the engine's dispose runs this
    in a greenlet, where closing can wait for the driver)."""
    kept = _KEPT.get(sync_engine)
    if kept is not None:
        idle, kept.idle = kept.idle, []
        for pooled, _since in idle:
            pooled.invalidate()


_STATEMENT_CONNECTION = "customer_registry.statement_connection"
# Set on the sessions of `get_session`, which give the connection back (others keep their
# transactions).
_RELEASES_STATEMENT_CONNECTION = "customer_registry.releases_statement_connection"


def statement_connection(session: AsyncSession) -> StatementConnection | None:
    """The connection `commit_each_statement` gave this session's work, if any."""
    found: StatementConnection | None = session.info.get(_STATEMENT_CONNECTION)
    return found


async def _release_statement_connection(session: AsyncSession) -> None:
    found: StatementConnection | None = session.info.pop(_STATEMENT_CONNECTION, None)
    if found is not None:
        await found.release()
