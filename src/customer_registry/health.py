"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from customer_registry.config import Settings
from customer_registry.core.routing import documented_router
from customer_registry.migrations_runner import head_revision

router = documented_router(tags=["health"])

UNREACHABLE = "database unreachable"
POOL_EXHAUSTED = "database pool exhausted"
NOT_MIGRATED = "database schema is not migrated"
_REVISION = "SELECT version_num FROM alembic_version"


class Health(BaseModel):
    """The state of the service."""

    status: str
    detail: str | None = None


class _NotMigrated(Exception):
    """The database answers, but its schema is not at the newest migration."""


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(request: Request) -> Health | JSONResponse:
    """A trivial query succeeds now, on a connection a request could get, and the schema is
    at the newest migration; answered within the readiness timeout."""
    engine: AsyncEngine = request.app.state.engine
    try:
        async with asyncio.timeout(request.app.state.settings.readiness_timeout_seconds):
            revision = await _revision(engine)
    except _NotMigrated:
        return _unavailable(NOT_MIGRATED)
    except Exception:  # any database failure, or the deadline, means "not ready"
        exhausted = pool_exhausted(engine, request.app.state.settings)
        return _unavailable(POOL_EXHAUSTED if exhausted else UNREACHABLE)
    if revision != head_revision():
        return _unavailable(NOT_MIGRATED)
    return Health(status="ok")


def _unavailable(detail: str) -> JSONResponse:
    return JSONResponse({"status": "unavailable", "detail": detail}, 503)


async def _revision(engine: AsyncEngine) -> str | None:
    """The schema's revision, read on a connection from the pool (as a request gets one)."""
    async with engine.connect() as connection:
        try:
            value = await connection.scalar(text(_REVISION))
        except DBAPIError as error:
            if _is_missing_table(error):
                raise _NotMigrated from error
            raise
        return str(value) if value is not None else None


def _is_missing_table(error: DBAPIError) -> bool:
    message = str(error.orig).lower()
    return "alembic_version" in message and (
        "no such table" in message or "does not exist" in message
    )


def pool_exhausted(engine: AsyncEngine, settings: Settings) -> bool:
    """Every connection the pool may open (its size, and as many again as overflow) is in
    use by a request."""
    pool = engine.sync_engine.pool
    if not isinstance(pool, QueuePool):
        return False
    return pool.checkedout() >= 2 * settings.database_pool_size
