"""Per-principal rate limits for expensive endpoints, counted in the database.

Fixed windows: each (limit, subject, window) has one counter row, incremented with an
atomic upsert, so the limit holds across any number of processes. A request over the limit
gets 429 with `Retry-After` (the seconds until the window ends).

A request that is then refused with a client error other than 429 (401, 403, 404, 422, ...)
gives its count back when the refusal passes through the dependency: the limit counts the
work it protects, so that nobody's mistakes use up another's quota.

Use it on a route with `dependencies=[Depends(per_principal(NAME, SETTING), scope="function")]`,
where SETTING is the `Settings` attribute that holds the requests allowed per minute; for
example an export or report endpoint:

    EXPORT_LIMIT = Depends(
        per_principal("exports", "rate_limit_exports_per_minute"), scope="function"
    )

    @router.get("/exports", dependencies=[EXPORT_LIMIT], responses=error_responses(TooManyRequests))
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from customer_registry.auth.dependencies import (
    client_address,
    get_principal,
    get_staff_principal,
)
from customer_registry.auth.principal import Principal
from customer_registry.core.database import SessionDep
from customer_registry.core.errors import RegistryError, TooManyRequests
from customer_registry.models import RateLimitCounter

WINDOW_SECONDS = 60


class RateLimitRepository:
    """The counters; on PostgreSQL in a short transaction of their own."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def hit(self, bucket: str, window_start: int) -> int:
        """Count one request in the window; the count including it."""
        if self.session.get_bind().dialect.name == "postgresql":
            # Its own transaction: the counter row is not locked for the whole request.
            engine = self.session.bind
            assert isinstance(engine, AsyncEngine)
            async with engine.connect() as connection:
                hits = await self._upsert(connection, postgresql.insert, bucket, window_start)
                await connection.commit()
                return hits
        # SQLite serialises writers anyway: count inside the request's own transaction.
        connection = await self.session.connection()
        return await self._upsert(connection, sqlite.insert, bucket, window_start)

    async def give_back(self, bucket: str, window_start: int) -> None:
        """Take one request out of the window's count again."""
        statement = (
            update(RateLimitCounter)
            .where(
                RateLimitCounter.bucket == bucket,
                RateLimitCounter.window_start == window_start,
                RateLimitCounter.hits > 0,
            )
            .values(hits=RateLimitCounter.hits - 1)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            engine = self.session.bind
            assert isinstance(engine, AsyncEngine)
            async with engine.connect() as connection:
                await connection.execute(statement)
                await connection.commit()
            return
        await (await self.session.connection()).execute(statement)

    @staticmethod
    async def _upsert(
        connection: AsyncConnection, insert: Any, bucket: str, window_start: int
    ) -> int:
        statement = insert(RateLimitCounter).values(
            bucket=bucket, window_start=window_start, hits=1
        )
        statement = statement.on_conflict_do_update(
            index_elements=["bucket", "window_start"],
            set_={"hits": RateLimitCounter.hits + 1},
        ).returning(RateLimitCounter.hits)
        hits = int((await connection.execute(statement)).scalar_one())
        if hits == 1:
            # The first request of a window clears the windows that have ended.
            await connection.execute(
                delete(RateLimitCounter).where(RateLimitCounter.window_start < window_start)
            )
        return hits


async def enforce(
    session: AsyncSession, name: str, subject: str, per_minute: int
) -> tuple[str, int]:
    """429 when `subject` has made more than `per_minute` requests to `name` this minute;
    otherwise the counter (bucket, window) that counted this request."""
    now = time.time()
    window_start = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
    # Hashed, so that no principal id or address is stored as such.
    bucket = f"{name}:{hashlib.sha256(subject.encode()).hexdigest()}"
    hits = await RateLimitRepository(session).hit(bucket, window_start)
    if hits > per_minute:
        raise TooManyRequests(max(1, math.ceil(window_start + WINDOW_SECONDS - now)))
    return bucket, window_start


def is_refusal(error: BaseException) -> bool:
    """A client error other than 429: the request was refused before doing the limited work."""
    if isinstance(error, RequestValidationError):
        return True
    status = getattr(error, "status_code", None)
    if not isinstance(error, RegistryError | HTTPException) or not isinstance(status, int):
        return False
    return 400 <= status < 500 and status != 429


@asynccontextmanager
async def counted_unless_refused(
    session: AsyncSession, name: str, subject: str, per_minute: int
) -> AsyncIterator[None]:
    """Count the request, and give the count back if the request is then refused."""
    bucket, window_start = await enforce(session, name, subject, per_minute)
    try:
        yield
    except BaseException as error:
        if is_refusal(error):
            await RateLimitRepository(session).give_back(bucket, window_start)
        raise


def _per_minute(request: Request, setting: str) -> int:
    value = getattr(request.app.state.settings, setting)
    assert isinstance(value, int)
    return value


def per_principal(
    name: str, setting: str, *, staff_only: bool = False
) -> Callable[..., AsyncIterator[None]]:
    """A dependency limiting each authenticated principal (after authentication: 401 first).

    `staff_only` for routes that take bearer tokens only, so that the route still documents
    (and accepts) no API key.
    """

    async def any_principal(
        request: Request,
        session: SessionDep,
        principal: Annotated[Principal, Depends(get_principal)],
    ) -> AsyncIterator[None]:
        per_minute = _per_minute(request, setting)
        async with counted_unless_refused(session, name, _subject(principal), per_minute):
            yield

    async def staff_principal(
        request: Request,
        session: SessionDep,
        principal: Annotated[Principal, Depends(get_staff_principal)],
    ) -> AsyncIterator[None]:
        per_minute = _per_minute(request, setting)
        async with counted_unless_refused(session, name, _subject(principal), per_minute):
            yield

    return staff_principal if staff_only else any_principal


def _subject(principal: Principal) -> str:
    return f"{principal.kind.value}:{principal.id}"


def principal_quota(
    session: AsyncSession, name: str, principal: Principal, per_minute: int
) -> AbstractAsyncContextManager[None]:
    """`counted_unless_refused` for a principal, counted as `per_principal` counts it."""
    return counted_unless_refused(session, name, _subject(principal), per_minute)


def per_client_address(name: str, setting: str) -> Callable[..., Awaitable[None]]:
    """A dependency limiting each client address, for endpoints used before authentication."""

    async def dependency(request: Request, session: SessionDep) -> None:
        subject = client_address(request) or "unknown"
        await enforce(session, name, subject, _per_minute(request, setting))

    return dependency
