"""Order endpoints (staff and the web shop) and the billing view (the finance partner)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response, status

from customer_registry.auth.dependencies import (
    BillingReader,
    InvoicesWriter,
    OrdersReader,
    OrdersWriter,
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
from customer_registry.core.validation import IsoDate
from customer_registry.idempotency.service import IDEMPOTENCY_ERRORS, IdempotencyDep
from customer_registry.models import InvoiceStatus, OrderStatus
from customer_registry.orders.schemas import (
    BillingCustomer,
    BillingOrder,
    BillingOrderRead,
    InvoiceFeedPage,
    InvoiceStatusChangeRead,
    InvoiceStatusUpdate,
    OrderCreate,
    OrderRead,
    OrderStatusUpdate,
)
from customer_registry.orders.service import ORDER_ENTITY, BillingServiceDep, OrderServiceDep
from customer_registry.partners.exceptions import API_KEY_ERRORS, PurposeRequired
from customer_registry.policy import Operation, RestrictedReadPurpose, refusals

router = documented_router(prefix="/api/v1/orders", tags=["orders"])
# Both routers only read (each read audited): their routes run in read sessions.
customer_orders_router = documented_router(
    prefix="/api/v1/customers", tags=["orders"], dependencies=[READ_SESSION]
)
billing_router = documented_router(
    prefix="/api/v1/billing", tags=["billing"], dependencies=[READ_SESSION]
)

_ETAG_HEADER = {"ETag": {"description": "The order's version.", "schema": {"type": "string"}}}
RestrictedPurposeQuery = Annotated[
    RestrictedReadPurpose | None,
    Query(description="Why a restricted customer's orders are read (privacy officer, admin)."),
]
_READ = (Unauthorized, Forbidden, NotFound, UnprocessableEntity, *refusals(Operation.order_read))
_READ_ERRORS = error_responses(*_READ)
_LIST_ERRORS = error_responses(*_READ, InvalidCursor)


@router.post(
    "",
    response_model=OrderRead,
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
            *refusals(Operation.order_create),
        ),
    },
)
async def create_order(
    data: OrderCreate,
    response: Response,
    service: OrderServiceDep,
    actor: OrdersWriter,
    idempotency: IdempotencyDep,
) -> OrderRead | Response:
    """Record an order of a customer; net, VAT and gross are computed here.

    Per line: net = quantity x unit price (net of VAT); VAT = net x rate / 100 rounded half up
    to the cent; gross = net + VAT. The order's totals are the sums of its lines. With
    `Idempotency-Key`, a retry returns the first response and records nothing new.
    """
    replay = await idempotency.claim(actor, data)
    if replay is not None:
        return replay
    order = await service.create(data, actor)
    response.headers["ETag"] = etag(order.version)
    response.headers["Location"] = f"{router.prefix}/{order.id}"
    await idempotency.complete(
        status.HTTP_201_CREATED,
        order,
        response.headers,
        entity=ORDER_ENTITY,
        entity_id=order.id,
        customer_id=order.customer_id,
        fields=order.fields_with_data(),
    )
    return order


@router.get("", response_model=Page[OrderRead], responses=_LIST_ERRORS, dependencies=[READ_SESSION])
async def list_orders(
    service: OrderServiceDep,
    actor: OrdersReader,
    customer_id: uuid.UUID | None = None,
    status: OrderStatus | None = None,
    invoice_status: InvoiceStatus | None = None,
    ordered_from: Annotated[IsoDate | None, Query(description="First order date included.")] = None,
    ordered_to: Annotated[IsoDate | None, Query(description="Last order date included.")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    purpose: RestrictedPurposeQuery = None,
) -> Page[OrderRead]:
    """List orders, oldest first; every order returned is audited as read.

    Without `customer_id`, orders of restricted customers (R23) are left out; with it, a
    restricted customer's orders need a privacy officer's stated `purpose` (403 otherwise).
    """
    return await service.list_orders(
        actor,
        customer_id=customer_id,
        status=status,
        invoice_status=invoice_status,
        ordered_from=ordered_from,
        ordered_to=ordered_to,
        cursor=cursor,
        limit=limit,
        purpose=purpose,
    )


@router.get(
    "/{order_id}",
    dependencies=[READ_SESSION],
    response_model=OrderRead,
    responses={200: {"headers": _ETAG_HEADER}, **_READ_ERRORS},
)
async def read_order(
    order_id: uuid.UUID,
    response: Response,
    service: OrderServiceDep,
    actor: OrdersReader,
    purpose: RestrictedPurposeQuery = None,
) -> OrderRead:
    """Read an order; the read is audited.

    An order of a restricted customer (R23) is read only by a privacy officer or an
    administrator who states a `purpose`, which the audit records (403 otherwise).
    """
    order = await service.get(order_id, actor, purpose)
    response.headers["ETag"] = etag(order.version)
    return order


@router.post(
    "/{order_id}/status",
    response_model=OrderRead,
    responses={
        200: {"headers": _ETAG_HEADER},
        **error_responses(
            Unauthorized,
            Forbidden,
            *API_KEY_ERRORS,
            NotFound,
            Conflict,
            PreconditionFailed,
            PreconditionRequired,
            UnprocessableEntity,
            *refusals(Operation.order_change),
        ),
    },
    openapi_extra=if_match_required(),
)
async def change_order_status(
    order_id: uuid.UUID,
    change: OrderStatusUpdate,
    response: Response,
    service: OrderServiceDep,
    actor: OrdersWriter,
    if_match: IfMatch = None,
) -> OrderRead:
    """Move an order on; needs If-Match.

    placed -> delivered or cancelled; delivered -> returned.
    """
    order = await service.change_status(order_id, change.status, expected_version(if_match), actor)
    response.headers["ETag"] = etag(order.version)
    return order


@router.post(
    "/{order_id}/invoice-status",
    response_model=OrderRead,
    responses={
        200: {"headers": _ETAG_HEADER},
        **error_responses(
            PurposeRequired,
            Unauthorized,
            Forbidden,
            *API_KEY_ERRORS,
            NotFound,
            Conflict,
            PreconditionFailed,
            PreconditionRequired,
            UnprocessableEntity,
            *refusals(Operation.invoice_change),
        ),
    },
    openapi_extra=if_match_required(),
)
async def change_invoice_status(
    order_id: uuid.UUID,
    change: InvoiceStatusUpdate,
    response: Response,
    service: OrderServiceDep,
    actor: InvoicesWriter,
    if_match: IfMatch = None,
) -> OrderRead:
    """Change an invoice's status; the step is kept in its history; needs If-Match.

    open -> paid, in_collection or credited; in_collection -> paid or credited; paid ->
    credited. The finance partner may set paid and in_collection only.
    """
    order = await service.change_invoice_status(
        order_id, change.status, expected_version(if_match), actor
    )
    response.headers["ETag"] = etag(order.version)
    return order


@router.get(
    "/{order_id}/invoice-history",
    dependencies=[READ_SESSION],
    response_model=list[InvoiceStatusChangeRead],
    responses=_READ_ERRORS,
)
async def read_invoice_history(
    order_id: uuid.UUID,
    service: OrderServiceDep,
    actor: OrdersReader,
    purpose: RestrictedPurposeQuery = None,
) -> list[InvoiceStatusChangeRead]:
    """The invoice's status history, oldest first: who changed it from what to what, and when."""
    return await service.invoice_history(order_id, actor, purpose)


@customer_orders_router.get(
    "/{customer_id}/orders",
    response_model=Page[OrderRead],
    responses=_LIST_ERRORS,
)
async def list_customer_orders(
    customer_id: uuid.UUID,
    service: OrderServiceDep,
    actor: OrdersReader,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    purpose: RestrictedPurposeQuery = None,
) -> Page[OrderRead]:
    """A customer's orders, oldest first (R9 "previous orders"); each is audited as read.

    A restricted customer's orders need a privacy officer's stated `purpose` (403 otherwise).
    """
    return await service.list_for_customer(
        customer_id, actor, cursor=cursor, limit=limit, purpose=purpose
    )


_BILLING_ERRORS = (
    PurposeRequired,
    Unauthorized,
    Forbidden,
    *API_KEY_ERRORS,
    UnprocessableEntity,
    *refusals(Operation.billing_disclose),
)


@billing_router.get(
    "/invoices",
    response_model=InvoiceFeedPage,
    responses=error_responses(*_BILLING_ERRORS, InvalidCursor),
)
async def invoice_feed(
    service: BillingServiceDep,
    actor: BillingReader,
    invoice_status: InvoiceStatus | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> InvoiceFeedPage:
    """Invoices issued or changed since the cursor, with the billing view of their customers.

    Start without a cursor, then always pass the last `next_cursor` (never null) to get what
    changed since. Every response is a logged disclosure under the request's purpose.
    """
    return await service.invoice_feed(
        actor, cursor=cursor, invoice_status=invoice_status, limit=limit
    )


@billing_router.get(
    "/customers/{customer_id}",
    response_model=BillingCustomer,
    responses=error_responses(*_BILLING_ERRORS, NotFound),
)
async def read_billing_customer(
    customer_id: uuid.UUID, service: BillingServiceDep, actor: BillingReader
) -> BillingCustomer:
    """A customer with an invoice, as billing needs it: name, organisation, address, e-mail."""
    return await service.customer(customer_id, actor)


@billing_router.get(
    "/customers/{customer_id}/orders",
    response_model=Page[BillingOrderRead],
    responses=error_responses(*_BILLING_ERRORS, InvalidCursor),
)
async def list_billing_customer_orders(
    customer_id: uuid.UUID,
    service: BillingServiceDep,
    actor: BillingReader,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[BillingOrderRead]:
    """A customer's invoiced orders that the purpose may receive, oldest first; fields the
    purpose does not need (e.g. order lines for a credit decision) are null."""
    return await service.customer_orders(customer_id, actor, cursor=cursor, limit=limit)


@billing_router.get(
    "/orders/{order_id}",
    response_model=BillingOrder,
    responses={200: {"headers": _ETAG_HEADER}, **error_responses(*_BILLING_ERRORS, NotFound)},
)
async def read_billing_order(
    order_id: uuid.UUID, response: Response, service: BillingServiceDep, actor: BillingReader
) -> BillingOrder:
    """An invoiced order with its customer's billing view; its ETag changes the invoice status."""
    order = await service.order(order_id, actor)
    response.headers["ETag"] = etag(order.version)
    return order
