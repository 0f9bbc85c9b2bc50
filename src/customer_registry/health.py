"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from customer_registry.core.routing import documented_router
from customer_registry.migrations_runner import current_revision, head_revision

router = documented_router(tags=["health"])


class Health(BaseModel):
    """The state of the service."""

    status: str
    detail: str | None = None


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(request: Request) -> Health | JSONResponse:
    """The database is reachable and its schema is at the newest migration."""
    try:
        revision = await current_revision(request.app.state.engine)
    except Exception:  # any database failure means "not ready"
        return JSONResponse({"status": "unavailable", "detail": "database unreachable"}, 503)
    if revision != head_revision():
        return JSONResponse(
            {"status": "unavailable", "detail": "database schema is not migrated"}, 503
        )
    return Health(status="ok")
