"""Customer endpoints: create, read, list and search, change with If-Match."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response, status
from starlette.convertors import Convertor, register_url_convertor

from customer_registry.auth.dependencies import (
    CustomerLinksManager,
    CustomersLookup,
    CustomersReader,
    CustomersWriter,
)
from customer_registry.core.concurrency import IfMatch, etag, expected_version, if_match_required
from customer_registry.core.database import READ_SESSION
from customer_registry.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
    UnprocessableEntity,
    error_responses,
)
from customer_registry.core.pagination import CursorQuery, InvalidCursor, LimitQuery, Page
from customer_registry.core.routing import documented_router
from customer_registry.customers.schemas import (
    CustomerCreate,
    CustomerLinkCreate,
    CustomerLinkRead,
    CustomerLookup,
    CustomerRead,
    CustomerUpdate,
)
from customer_registry.customers.service import (
    CUSTOMER_ENTITY,
    CustomerServiceDep,
    fields_with_data,
)
from customer_registry.idempotency.service import (
    IDEMPOTENCY_ERRORS,
    IdempotencyDep,
)
from customer_registry.models import CustomerType
from customer_registry.partners.exceptions import API_KEY_ERRORS, PurposeRequired
from customer_registry.policy import Operation, RestrictedReadPurpose, refusals
from customer_registry.policy.rules import FieldsNotAllowed

router = documented_router(prefix="/api/v1/customers", tags=["customers"])


class _NotLookup(Convertor[str]):
    """A path segment other than `lookup`, which is `POST /api/v1/customers/lookup`'s: so
    that `GET /api/v1/customers/lookup` is a 405 naming POST, not a read of a malformed id.
    Any other segment is the route's to validate (422 for one that is no UUID)."""

    regex = "(?!lookup$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("not_lookup", _NotLookup())
# The id segment of the routes of one customer; documented as `{customer_id}`.
CUSTOMER_ID = "{customer_id:not_lookup}"

_ETAG_HEADER = {"ETag": {"description": "The customer's version.", "schema": {"type": "string"}}}


@router.post(
    "",
    response_model=CustomerRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {"headers": _ETAG_HEADER},
        **error_responses(
            Unauthorized,
            Forbidden,
            *API_KEY_ERRORS,
            *IDEMPOTENCY_ERRORS,
            Conflict,
            UnprocessableEntity,
        ),
    },
)
async def create_customer(
    data: CustomerCreate,
    response: Response,
    service: CustomerServiceDep,
    actor: CustomersWriter,
    idempotency: IdempotencyDep,
) -> CustomerRead | Response:
    """Create a customer.

    With `Idempotency-Key`, a retry returns the first response and creates nothing. Written
    with the web shop's API key, the source is always `web_shop`.
    """
    replay = await idempotency.claim(actor, data)
    if replay is not None:
        return replay
    customer = await service.create(data, actor)
    response.headers["ETag"] = etag(customer.version)
    response.headers["Location"] = f"{router.prefix}/{customer.id}"
    await idempotency.complete(
        status.HTTP_201_CREATED,
        customer,
        response.headers,
        entity=CUSTOMER_ENTITY,
        entity_id=customer.id,
        customer_id=customer.id,
        fields=fields_with_data(customer),
    )
    return customer


@router.post(
    "/lookup",
    response_model=CustomerRead,
    dependencies=[READ_SESSION],
    responses={
        200: {"headers": _ETAG_HEADER},
        **error_responses(
            PurposeRequired, Unauthorized, Forbidden, *API_KEY_ERRORS, NotFound, UnprocessableEntity
        ),
    },
)
async def lookup_customer(
    query: CustomerLookup, response: Response, service: CustomerServiceDep, actor: CustomersLookup
) -> CustomerRead:
    """Find the customer with an e-mail address (any letter case); the read is audited.

    A POST, so that the address never appears in URLs or access logs.
    """
    customer = await service.lookup_by_email(query.email, actor)
    response.headers["ETag"] = etag(customer.version)
    return customer


@router.get(
    "",
    response_model=Page[CustomerRead],
    dependencies=[READ_SESSION],
    responses=error_responses(Unauthorized, Forbidden, UnprocessableEntity, InvalidCursor),
)
async def list_customers(
    service: CustomerServiceDep,
    actor: CustomersReader,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            pattern=r"^[^\x00-\x1f\x7f]+$",
            description="Search in first and last name, e-mail and organisation name.",
        ),
    ] = None,
    type: CustomerType | None = None,
    email: Annotated[
        str | None,
        Query(
            max_length=254,
            pattern=r"^[^\x00-\x1f\x7f]+$",
            description="Exact e-mail, any letter case.",
        ),
    ] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[CustomerRead]:
    """List and search customers; every customer returned is audited as read."""
    return await service.list(
        actor, search=q, customer_type=type, email=email, cursor=cursor, limit=limit
    )


@router.get(
    f"/{CUSTOMER_ID}",
    response_model=CustomerRead,
    dependencies=[READ_SESSION],
    responses={
        200: {"headers": _ETAG_HEADER},
        **error_responses(
            Unauthorized,
            Forbidden,
            NotFound,
            UnprocessableEntity,
            *refusals(Operation.customer_read),
        ),
    },
)
async def read_customer(
    customer_id: uuid.UUID,
    response: Response,
    service: CustomerServiceDep,
    actor: CustomersReader,
    purpose: Annotated[
        RestrictedReadPurpose | None,
        Query(description="Why a restricted customer is read (privacy officer, admin)."),
    ] = None,
) -> CustomerRead:
    """Read a customer; the read is audited.

    A customer whose processing is restricted (R23) is read only by a privacy officer or an
    administrator who states a `purpose`, which the audit records; anyone else gets 403.
    """
    customer = await service.get(customer_id, actor, purpose)
    response.headers["ETag"] = etag(customer.version)
    return customer


@router.patch(
    f"/{CUSTOMER_ID}",
    response_model=CustomerRead,
    responses={
        200: {"headers": _ETAG_HEADER},
        **error_responses(
            Unauthorized,
            Forbidden,
            *API_KEY_ERRORS,
            FieldsNotAllowed,
            NotFound,
            Conflict,
            PreconditionFailed,
            PreconditionRequired,
            UnprocessableEntity,
            *refusals(Operation.customer_rectify),
        ),
    },
    openapi_extra=if_match_required(),
)
async def update_customer(
    customer_id: uuid.UUID,
    patch: CustomerUpdate,
    response: Response,
    service: CustomerServiceDep,
    actor: CustomersWriter,
    if_match: IfMatch = None,
) -> CustomerRead:
    """Change a customer; needs `If-Match` with the version read (412 when stale)."""
    customer = await service.update(customer_id, patch, expected_version(if_match), actor)
    response.headers["ETag"] = etag(customer.version)
    return customer


@router.post(
    f"/{CUSTOMER_ID}/links",
    response_model=CustomerLinkRead,
    responses=error_responses(
        Unauthorized,
        Forbidden,
        NotFound,
        UnprocessableEntity,
        *refusals(Operation.customer_rectify),
    ),
)
async def link_customer(
    customer_id: uuid.UUID,
    data: CustomerLinkCreate,
    service: CustomerServiceDep,
    actor: CustomerLinksManager,
) -> CustomerLinkRead:
    """Let the web shop act on an existing customer (privacy officer, admin); audited.

    The web shop's key reaches only the customers it created and those linked to it here.
    """
    return await service.link(customer_id, data, actor)
