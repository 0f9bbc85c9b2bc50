"""Restriction endpoints (R23): restrict a customer's processing, read it, release it."""

from __future__ import annotations

import uuid

from customer_registry.auth.dependencies import RestrictionsManager
from customer_registry.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    UnprocessableEntity,
    error_responses,
)
from customer_registry.core.routing import documented_router
from customer_registry.policy import Operation, refusals
from customer_registry.restrictions.schemas import RestrictionCreate, RestrictionRead
from customer_registry.restrictions.service import RestrictionServiceDep

router = documented_router(
    prefix="/api/v1/customers/{customer_id}/restriction", tags=["restrictions"]
)
_READ = (
    Unauthorized,
    Forbidden,
    NotFound,
    UnprocessableEntity,
    *refusals(Operation.restriction_manage),
)
_READ_ERRORS = error_responses(*_READ)
_CHANGE_ERRORS = error_responses(*_READ, Conflict)


@router.get("", response_model=RestrictionRead, responses=_READ_ERRORS)
async def read_restriction(
    customer_id: uuid.UUID, service: RestrictionServiceDep, actor: RestrictionsManager
) -> RestrictionRead:
    """Whether the customer's processing is restricted; audited."""
    return await service.get(customer_id, actor)


@router.put("", response_model=RestrictionRead, responses=_CHANGE_ERRORS)
async def restrict_customer(
    customer_id: uuid.UUID,
    data: RestrictionCreate,
    service: RestrictionServiceDep,
    actor: RestrictionsManager,
) -> RestrictionRead:
    """Restrict the customer's processing: kept in storage, left out of everything else.

    From now on the customer is missing from every list, search, export, label run and
    statistic, and cannot be changed; a privacy officer reads it only with a stated purpose.
    409 when it is already restricted.
    """
    return await service.restrict(customer_id, data, actor)


@router.delete("", response_model=RestrictionRead, responses=_CHANGE_ERRORS)
async def release_restriction(
    customer_id: uuid.UUID, service: RestrictionServiceDep, actor: RestrictionsManager
) -> RestrictionRead:
    """Lift the restriction; 409 when the customer is not restricted."""
    return await service.release(customer_id, actor)
