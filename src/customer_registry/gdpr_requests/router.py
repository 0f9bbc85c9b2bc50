"""Data-subject request endpoints."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from customer_registry.auth.dependencies import GdprRequestHandler, GdprRequestSubmitter
from customer_registry.auth.rate_limit import per_principal
from customer_registry.core.errors import (
    Conflict,
    Forbidden,
    Gone,
    NotFound,
    TooManyRequests,
    Unauthorized,
    UnprocessableEntity,
    error_responses,
)
from customer_registry.core.pagination import CursorQuery, InvalidCursor, LimitQuery, Page
from customer_registry.core.routing import documented_router
from customer_registry.erasure_log.recorder import ErasureLogUnavailable
from customer_registry.gdpr_requests import metrics as _metrics  # noqa: F401 - registers gauges
from customer_registry.gdpr_requests.reports import stream_access_report
from customer_registry.gdpr_requests.schemas import (
    Completion,
    Extension,
    GdprRequestCreate,
    GdprRequestRead,
    Refusal,
    Verification,
)
from customer_registry.gdpr_requests.service import GdprRequestServiceDep
from customer_registry.models import RequestStatus, RequestType
from customer_registry.partners.exceptions import API_KEY_ERRORS
from customer_registry.policy import Operation, refusals

router = documented_router(prefix="/api/v1/gdpr-requests", tags=["gdpr-requests"])

_CHANGE = (Unauthorized, Forbidden, NotFound, Conflict, UnprocessableEntity)
_CHANGE_ERRORS = error_responses(*_CHANGE)
_REPORT = (Unauthorized, Forbidden, NotFound, Conflict, Gone, UnprocessableEntity, TooManyRequests)
# Reports and archives are expensive: a few a minute per principal.
_EXPORT_RATE_LIMIT = Depends(
    per_principal("exports", "rate_limit_exports_per_minute", staff_only=True), scope="function"
)


@router.post(
    "",
    response_model=GdprRequestRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(
        Unauthorized,
        Forbidden,
        *API_KEY_ERRORS,
        NotFound,
        UnprocessableEntity,
        *refusals(Operation.request_submit),
    ),
)
async def submit_request(
    data: GdprRequestCreate, service: GdprRequestServiceDep, actor: GdprRequestSubmitter
) -> GdprRequestRead:
    """Register a data-subject request; its deadline is one month after receipt."""
    return await service.submit(data, actor)


@router.get(
    "",
    response_model=Page[GdprRequestRead],
    responses=error_responses(Unauthorized, Forbidden, UnprocessableEntity, InvalidCursor),
)
async def list_requests(
    service: GdprRequestServiceDep,
    actor: GdprRequestHandler,
    status: RequestStatus | None = None,
    type: RequestType | None = None,
    customer_id: uuid.UUID | None = None,
    open: Annotated[bool, Query(description="Only requests not yet answered.")] = False,
    overdue: Annotated[bool, Query(description="Only open requests past their deadline.")] = False,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[GdprRequestRead]:
    """List requests by deadline, the most urgent first, with what is overdue."""
    return await service.list_requests(
        actor,
        status=status,
        request_type=type,
        customer_id=customer_id,
        open_only=open,
        overdue_only=overdue,
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/{request_id}",
    response_model=GdprRequestRead,
    responses=error_responses(Unauthorized, Forbidden, NotFound, UnprocessableEntity),
)
async def read_request(
    request_id: uuid.UUID, service: GdprRequestServiceDep, actor: GdprRequestHandler
) -> GdprRequestRead:
    """Read a request."""
    return await service.get(request_id, actor)


@router.post("/{request_id}/verify", response_model=GdprRequestRead, responses=_CHANGE_ERRORS)
async def verify_request(
    request_id: uuid.UUID,
    verification: Verification,
    service: GdprRequestServiceDep,
    actor: GdprRequestHandler,
) -> GdprRequestRead:
    """Record how the requester's identity was verified (privacy officer)."""
    return await service.verify(request_id, verification, actor)


@router.post("/{request_id}/extend", response_model=GdprRequestRead, responses=_CHANGE_ERRORS)
async def extend_deadline(
    request_id: uuid.UUID,
    extension: Extension,
    service: GdprRequestServiceDep,
    actor: GdprRequestHandler,
) -> GdprRequestRead:
    """Extend the deadline by one or two months, before the first one passes (privacy officer)."""
    return await service.extend(request_id, extension, actor)


@router.post(
    "/{request_id}/complete",
    response_model=GdprRequestRead,
    responses=error_responses(*_CHANGE, ErasureLogUnavailable),
)
async def complete_request(
    request_id: uuid.UUID,
    completion: Completion,
    service: GdprRequestServiceDep,
    actor: GdprRequestHandler,
) -> GdprRequestRead:
    """Carry out a verified request and record the outcome (privacy officer)."""
    return await service.complete(request_id, completion, actor)


@router.post("/{request_id}/refuse", response_model=GdprRequestRead, responses=_CHANGE_ERRORS)
async def refuse_request(
    request_id: uuid.UUID,
    refusal: Refusal,
    service: GdprRequestServiceDep,
    actor: GdprRequestHandler,
) -> GdprRequestRead:
    """Refuse a request with written reasons and the supervisory authority's contact."""
    return await service.refuse(request_id, refusal, actor)


@router.get(
    "/{request_id}/access-report",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The access report (R19): JSON or an HTML document for the person.",
            "content": {"application/json": {}, "text/html": {}},
        },
        **error_responses(*_REPORT, *refusals(Operation.access_report)),
    },
    dependencies=[_EXPORT_RATE_LIMIT],
)
async def access_report(
    request_id: uuid.UUID,
    request: Request,
    service: GdprRequestServiceDep,
    actor: GdprRequestHandler,
    format: Literal["json", "html"] = "json",
    lang: Literal["fi", "en"] | None = None,
) -> StreamingResponse:
    """Everything the register holds about the person of a verified access request."""
    customer, language = await service.person_for_report(request_id, RequestType.access, actor)
    return StreamingResponse(
        stream_access_report(
            request.app.state.session_factory,
            request.app.state.settings,
            customer.id,
            lang or language,
            format,
        ),
        media_type="text/html; charset=utf-8" if format == "html" else "application/json",
    )


@router.get(
    "/{request_id}/portability-archive",
    response_class=Response,
    responses={
        200: {
            "description": "A zip of data.json and one CSV per table (R21).",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        },
        **error_responses(*_REPORT, *refusals(Operation.portability)),
    },
    dependencies=[_EXPORT_RATE_LIMIT],
)
async def portability_archive(
    request_id: uuid.UUID, service: GdprRequestServiceDep, actor: GdprRequestHandler
) -> Response:
    """The data the person provided, machine-readable, for a verified portability request."""
    archive = await service.portability_archive(request_id, actor)
    return Response(
        archive,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="personal-data-{request_id}.zip"'},
    )
