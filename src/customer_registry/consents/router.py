"""Consent endpoints: the current state and ledger of a customer, and recording a decision."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, status

from customer_registry.auth.dependencies import CustomersReader, CustomersWriter
from customer_registry.consents.schemas import ConsentEventCreate, ConsentEventRead, ConsentsRead
from customer_registry.consents.service import ConsentServiceDep
from customer_registry.core.database import READ_SESSION
from customer_registry.core.errors import (
    Forbidden,
    NotFound,
    Unauthorized,
    UnprocessableEntity,
    error_responses,
)
from customer_registry.core.pagination import CursorQuery, InvalidCursor, LimitQuery
from customer_registry.core.routing import documented_router
from customer_registry.partners.exceptions import API_KEY_ERRORS
from customer_registry.policy import Operation, RestrictedReadPurpose, refusals

router = documented_router(prefix="/api/v1/customers/{customer_id}/consents", tags=["consents"])

RestrictedPurposeQuery = Annotated[
    RestrictedReadPurpose | None,
    Query(description="Why a restricted customer is processed (privacy officer, admin)."),
]


@router.get(
    "",
    response_model=ConsentsRead,
    dependencies=[READ_SESSION],
    responses=error_responses(
        Unauthorized,
        Forbidden,
        NotFound,
        UnprocessableEntity,
        InvalidCursor,
        *refusals(Operation.consent_read),
    ),
)
async def read_consents(
    customer_id: uuid.UUID,
    service: ConsentServiceDep,
    actor: CustomersReader,
    purpose: RestrictedPurposeQuery = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> ConsentsRead:
    """The current state of every purpose and the consent ledger, newest first; audited."""
    return await service.get(customer_id, actor, purpose=purpose, cursor=cursor, limit=limit)


@router.post(
    "",
    response_model=ConsentEventRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(
        Unauthorized,
        Forbidden,
        *API_KEY_ERRORS,
        NotFound,
        UnprocessableEntity,
        *refusals(Operation.consent_record),
    ),
)
async def record_consent(
    customer_id: uuid.UUID,
    data: ConsentEventCreate,
    service: ConsentServiceDep,
    actor: CustomersWriter,
    purpose: RestrictedPurposeQuery = None,
) -> ConsentEventRead:
    """Record a customer's decision (grant or forbid) about one purpose; effective at once."""
    return await service.record(customer_id, data, actor, purpose=purpose)
