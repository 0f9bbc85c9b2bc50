"""Running retention from the API (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from customer_registry.auth.dependencies import RetentionRunner
from customer_registry.core.database import SessionDep
from customer_registry.core.errors import (
    Forbidden,
    Unauthorized,
    UnprocessableEntity,
    error_responses,
)
from customer_registry.core.routing import documented_router
from customer_registry.erasure_log.recorder import ErasureLogUnavailable
from customer_registry.retention.service import RetentionReport, run_in_session

router = documented_router(prefix="/api/v1/retention", tags=["retention"])


@router.post(
    "/runs",
    response_model=RetentionReport,
    responses=error_responses(Unauthorized, Forbidden, UnprocessableEntity, ErasureLogUnavailable),
)
async def run_retention(
    request: Request,
    session: SessionDep,
    actor: RetentionRunner,
    dry_run: Annotated[bool, Query(description="Report without erasing anything.")] = True,
    limit: Annotated[int, Query(ge=1, le=1000, description="Customers in this run.")] = 200,
) -> RetentionReport:
    """Erase customers whose relationship ended longer ago than the retention period (admin)."""
    return await run_in_session(
        session, request.app.state.settings, actor, dry_run=dry_run, limit=limit
    )
