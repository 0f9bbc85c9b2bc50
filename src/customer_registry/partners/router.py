"""Recipients and their API keys (admin), and the disclosure log (privacy officer, admin)."""

from __future__ import annotations

import uuid

from fastapi import Response, status

from customer_registry.auth.dependencies import AuditReader, RecipientsManager
from customer_registry.core.concurrency import IfMatch, etag, expected_version, if_match_required
from customer_registry.core.errors import (
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
from customer_registry.partners.exceptions import KeyNotUsable, SafeguardRequired
from customer_registry.partners.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    ApiKeyRotate,
    DisclosureRead,
    RecipientCreate,
    RecipientRead,
    RecipientUpdate,
)
from customer_registry.partners.service import DisclosureReportServiceDep, RecipientServiceDep

router = documented_router(prefix="/api/v1/recipients", tags=["recipients"])
disclosures_router = documented_router(prefix="/api/v1/disclosures", tags=["recipients"])

_ETAG_HEADER = {"ETag": {"description": "The recipient's version.", "schema": {"type": "string"}}}


@router.post(
    "",
    response_model=RecipientRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {"headers": _ETAG_HEADER},
        **error_responses(Unauthorized, Forbidden, UnprocessableEntity),
    },
)
async def create_recipient(
    data: RecipientCreate,
    response: Response,
    service: RecipientServiceDep,
    actor: RecipientsManager,
) -> RecipientRead:
    """Record an organisation that receives personal data (admin)."""
    recipient = await service.create(data, actor)
    response.headers["ETag"] = etag(recipient.version)
    response.headers["Location"] = f"{router.prefix}/{recipient.id}"
    return recipient


@router.get(
    "",
    response_model=Page[RecipientRead],
    responses=error_responses(Unauthorized, Forbidden, UnprocessableEntity, InvalidCursor),
)
async def list_recipients(
    service: RecipientServiceDep,
    _actor: RecipientsManager,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[RecipientRead]:
    """List recipients (admin)."""
    return await service.list_recipients(cursor, limit)


@router.get(
    "/{recipient_id}",
    response_model=RecipientRead,
    responses={
        200: {"headers": _ETAG_HEADER},
        **error_responses(Unauthorized, Forbidden, NotFound, UnprocessableEntity),
    },
)
async def read_recipient(
    recipient_id: uuid.UUID,
    response: Response,
    service: RecipientServiceDep,
    _actor: RecipientsManager,
) -> RecipientRead:
    """Read a recipient (admin)."""
    recipient = await service.get(recipient_id)
    response.headers["ETag"] = etag(recipient.version)
    return recipient


@router.patch(
    "/{recipient_id}",
    response_model=RecipientRead,
    responses={
        200: {"headers": _ETAG_HEADER},
        **error_responses(
            Unauthorized,
            Forbidden,
            NotFound,
            PreconditionFailed,
            PreconditionRequired,
            UnprocessableEntity,
        ),
    },
    openapi_extra=if_match_required(),
)
async def update_recipient(
    recipient_id: uuid.UUID,
    patch: RecipientUpdate,
    response: Response,
    service: RecipientServiceDep,
    actor: RecipientsManager,
    if_match: IfMatch = None,
) -> RecipientRead:
    """Change a recipient, e.g. record its safeguard; needs `If-Match` (admin)."""
    recipient = await service.update(recipient_id, patch, expected_version(if_match), actor)
    response.headers["ETag"] = etag(recipient.version)
    return recipient


@router.post(
    "/{recipient_id}/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(
        Unauthorized, Forbidden, NotFound, SafeguardRequired, UnprocessableEntity
    ),
)
async def create_api_key(
    recipient_id: uuid.UUID,
    data: ApiKeyCreate,
    service: RecipientServiceDep,
    actor: RecipientsManager,
) -> ApiKeyCreated:
    """Make an API key for a recipient; the key is in this response only (admin).

    409 when the recipient is outside the EU/EEA without a recorded safeguard (R13); 422 when
    the scopes do not fit the recipient's role or a disclosing key has no purpose (R12).
    """
    return await service.create_key(recipient_id, data, actor)


@router.get(
    "/{recipient_id}/api-keys",
    response_model=Page[ApiKeyRead],
    responses=error_responses(
        Unauthorized, Forbidden, NotFound, UnprocessableEntity, InvalidCursor
    ),
)
async def list_api_keys(
    recipient_id: uuid.UUID,
    service: RecipientServiceDep,
    _actor: RecipientsManager,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[ApiKeyRead]:
    """List a recipient's API keys, without the keys themselves (admin)."""
    return await service.list_keys(recipient_id, cursor, limit)


@router.post(
    "/{recipient_id}/api-keys/{key_id}/revoke",
    response_model=ApiKeyRead,
    responses=error_responses(Unauthorized, Forbidden, NotFound, UnprocessableEntity),
)
async def revoke_api_key(
    recipient_id: uuid.UUID,
    key_id: uuid.UUID,
    service: RecipientServiceDep,
    actor: RecipientsManager,
) -> ApiKeyRead:
    """Revoke an API key at once (admin)."""
    return await service.revoke_key(recipient_id, key_id, actor)


@router.post(
    "/{recipient_id}/api-keys/{key_id}/rotate",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(
        Unauthorized, Forbidden, NotFound, KeyNotUsable, SafeguardRequired, UnprocessableEntity
    ),
)
async def rotate_api_key(
    recipient_id: uuid.UUID,
    key_id: uuid.UUID,
    service: RecipientServiceDep,
    actor: RecipientsManager,
    data: ApiKeyRotate | None = None,
) -> ApiKeyCreated:
    """Replace an API key: a new key now, the old one working until the chosen end (admin).

    The old key keeps working for `old_key_valid_for_hours` (default 24, at most 168).
    """
    return await service.rotate_key(recipient_id, key_id, data or ApiKeyRotate(), actor)


@disclosures_router.get(
    "",
    response_model=Page[DisclosureRead],
    responses=error_responses(Unauthorized, Forbidden, UnprocessableEntity, InvalidCursor),
)
async def list_disclosures(
    service: DisclosureReportServiceDep,
    actor: AuditReader,
    customer_id: uuid.UUID | None = None,
    recipient_id: uuid.UUID | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[DisclosureRead]:
    """List disclosures to recipients, oldest first: who received which fields of whom, and why."""
    return await service.list_disclosures(
        actor, customer_id=customer_id, recipient_id=recipient_id, cursor=cursor, limit=limit
    )
