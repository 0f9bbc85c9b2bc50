"""FastAPI dependencies that authenticate the caller and check what it may do.

Staff send a bearer token, machine clients an `X-API-Key`. Routes whose permission an API
key can hold accept either (and document both schemes); staff-only routes accept only a
bearer token, so that no key ever reaches them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.accounts.repository import UserRepository
from customer_registry.auth.api_keys import ApiKeyHasher, prefix_of
from customer_registry.auth.cache import AccountStates, VerifiedTokens
from customer_registry.auth.principal import (
    API_KEY_PERMISSIONS,
    ROLE_PERMISSIONS,
    Actor,
    Permission,
    Principal,
)
from customer_registry.auth.revocation import INVALID_CREDENTIALS, ensure_not_revoked
from customer_registry.auth.tokens import InvalidToken
from customer_registry.core.database import SessionDep
from customer_registry.core.errors import Forbidden, Unauthorized
from customer_registry.models import ActorType, DataSource, RecipientRole, Role
from customer_registry.models.base import utcnow
from customer_registry.partners.exceptions import TransferNotAllowed
from customer_registry.partners.regions import may_receive_data
from customer_registry.partners.repository import ApiKeyRepository
from customer_registry.partners.rules import PURPOSE_HEADER, address_allowed, request_purpose

bearer_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(
    name="X-API-Key",
    scheme_name="APIKeyHeader",
    auto_error=False,
    description="A machine client's key (`crk_...`), made by an admin for a recipient. "
    f"A key with several disclosure purposes names one per request in `{PURPOSE_HEADER}`.",
)

# How often `last_used_at` of a key is written at most.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


async def _principal_from_token(request: Request, session: AsyncSession, token: str) -> Principal:
    """The staff user a bearer token belongs to; 401 for anything that is not usable.

    Whether the token was logged out is asked on every request, never remembered, so that
    a logout takes effect at once.
    """
    tokens: VerifiedTokens = request.app.state.verified_tokens
    try:
        claims = tokens.verify(token)
        user_id = uuid.UUID(claims.subject)
    except (InvalidToken, ValueError) as error:
        raise Unauthorized(INVALID_CREDENTIALS) from error
    await ensure_not_revoked(session, claims.token_id)
    accounts: AccountStates = request.app.state.account_states
    known, principal = accounts.get(user_id)
    if not known:
        principal = await _usable_account(session, user_id)
        accounts.put(user_id, principal)
    if principal is None:
        raise Unauthorized(INVALID_CREDENTIALS)
    return principal


async def _usable_account(session: AsyncSession, user_id: uuid.UUID) -> Principal | None:
    """The account as a principal, or None when it may not act."""
    user = await UserRepository(session).get(user_id)
    # A disabled account, or one without its confidentiality commitment (R16), is refused
    # even with a token that was issued before the change.
    if user is None or not user.is_active or user.confidentiality_committed_at is None:
        return None
    role = Role(user.role)
    return Principal(
        kind=ActorType.user, id=str(user.id), role=role, permissions=ROLE_PERMISSIONS[role]
    )


async def _principal_from_api_key(
    request: Request, session: AsyncSession, api_key: str, *, purpose_bound: bool = True
) -> Principal:
    """The recipient's key; unknown, expired, revoked and out-of-network keys all get one 401.

    Off `purpose_bound` routes (no disclosure) the key acts with no purpose and `X-Purpose`
    is not read.
    """
    hasher: ApiKeyHasher = request.app.state.api_key_hasher
    prefix = prefix_of(api_key)
    keys = ApiKeyRepository(session)
    found = await keys.get_with_recipient(prefix) if prefix is not None else None
    if found is None:
        raise Unauthorized(INVALID_CREDENTIALS)
    key, recipient = found
    now = utcnow()
    if (
        not hasher.matches(api_key, key.key_hash)
        or key.revoked_at is not None
        or key.expires_at <= now
        or not address_allowed(key.allowed_networks, client_address(request))
    ):
        raise Unauthorized(INVALID_CREDENTIALS)
    # R13: the safeguard may have been removed, or the country changed, after the key was made.
    if not may_receive_data(recipient.country, recipient.safeguard):
        raise TransferNotAllowed(
            "The recipient is outside the EU/EEA and has no recorded safeguard."
        )
    purpose = (
        request_purpose(key.purposes, request.headers.get(PURPOSE_HEADER))
        if purpose_bound
        else None
    )
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_RESOLUTION:
        await keys.touch(key.id, now, stale_before=now - LAST_USED_RESOLUTION)
    is_web_shop = recipient.role == RecipientRole.web_shop_operator
    return Principal(
        kind=ActorType.api_key,
        id=str(key.id),
        permissions=frozenset(
            Permission(scope) for scope in key.scopes if scope in API_KEY_PERMISSIONS
        ),
        scopes=frozenset(key.scopes),
        recipient_id=recipient.id,
        purpose=purpose,
        data_source=DataSource.web_shop if is_web_shop else None,
    )


async def get_principal(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """The authenticated caller, staff or machine client; 401 for anything else."""
    return await _principal(request, session, token, api_key)


async def _principal(
    request: Request,
    session: AsyncSession,
    token: str | None,
    api_key: str | None,
    *,
    purpose_bound: bool = True,
) -> Principal:
    if token is not None and api_key is not None:
        raise Unauthorized("Send either a bearer token or an API key, not both.")
    if token is not None:
        return await _principal_from_token(request, session, token)
    if api_key is not None:
        return await _principal_from_api_key(request, session, api_key, purpose_bound=purpose_bound)
    raise Unauthorized(INVALID_CREDENTIALS)


async def caller_actor(
    request: Request,
    session: AsyncSession,
    token: str | None,
    api_key: str | None,
    permission: Permission,
) -> Actor:
    """The caller, staff or machine client, if it holds `permission`, as an Actor."""
    principal = await _principal(request, session, token, api_key)
    return _checked(request, principal, permission)


async def get_staff_principal(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(bearer_scheme)],
) -> Principal:
    """A staff user with a bearer token; API keys are not looked at, so they get 401."""
    if token is None:
        raise Unauthorized(INVALID_CREDENTIALS)
    return await _principal_from_token(request, session, token)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def actor_of(request: Request, principal: Principal | None) -> Actor:
    """The principal in the context of this request, as the audit records it."""
    if principal is not None:
        # For the request log line, so that it names the caller without authenticating again.
        request.state.principal_kind = principal.kind.value
        request.state.principal_id = principal.id
    return Actor(
        principal=principal,
        request_id=getattr(request.state, "request_id", None),
        client_address=client_address(request),
    )


def _checked(request: Request, principal: Principal, permission: Permission) -> Actor:
    if not principal.can(permission):
        raise Forbidden(f"This action needs the permission {permission.value}.")
    return actor_of(request, principal)


async def staff_actor(
    request: Request,
    session: AsyncSession,
    token: str | None,
    permission: Permission,
) -> Actor:
    """The staff user of a bearer token, if it holds `permission`, as an Actor."""
    if token is None:
        raise Unauthorized(INVALID_CREDENTIALS)
    principal = await _principal_from_token(request, session, token)
    return _checked(request, principal, permission)


def require(permission: Permission) -> Callable[..., Awaitable[Actor]]:
    """A dependency that admits callers holding `permission` and returns them as an Actor.

    Permissions no API key can hold are checked on staff credentials only (`staff_actor`).
    """

    # Each resolves the caller itself rather than through a principal dependency: one
    # level less for FastAPI to solve on every request.
    async def staff_or_api_key(
        request: Request,
        session: SessionDep,
        token: Annotated[str | None, Depends(bearer_scheme)],
        api_key: Annotated[str | None, Depends(api_key_scheme)],
    ) -> Actor:
        return await caller_actor(request, session, token, api_key, permission)

    async def staff_only(
        request: Request,
        session: SessionDep,
        token: Annotated[str | None, Depends(bearer_scheme)],
    ) -> Actor:
        return await staff_actor(request, session, token, permission)

    if permission in API_KEY_PERMISSIONS:
        return staff_or_api_key
    return staff_only


async def get_recipient_actor(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Actor:
    """A recipient's API key (any scope): it may read what concerns its own recipient.

    What the recipient is told about its own copies (Art. 19) is no disclosure, so no
    purpose is named or recorded, even for a key holding several.
    """
    principal = await _principal(request, session, token, api_key, purpose_bound=False)
    if principal.kind is not ActorType.api_key or principal.recipient_id is None:
        raise Forbidden("This is for recipients' API keys.")
    return actor_of(request, principal)


async def get_authenticated_actor(
    request: Request, principal: Annotated[Principal, Depends(get_staff_principal)]
) -> Actor:
    """Any logged-in staff account."""
    return actor_of(request, principal)


async def get_anonymous_actor(request: Request) -> Actor:
    return actor_of(request, None)


AuthenticatedActor = Annotated[Actor, Depends(get_authenticated_actor)]
RecipientActor = Annotated[Actor, Depends(get_recipient_actor)]
AnonymousActor = Annotated[Actor, Depends(get_anonymous_actor)]
CustomersReader = Annotated[Actor, Depends(require(Permission.customers_read))]
CustomersWriter = Annotated[Actor, Depends(require(Permission.customers_write))]
CustomersLookup = Annotated[Actor, Depends(require(Permission.customers_lookup))]
OrdersReader = Annotated[Actor, Depends(require(Permission.orders_read))]
OrdersWriter = Annotated[Actor, Depends(require(Permission.orders_write))]
InvoicesWriter = Annotated[Actor, Depends(require(Permission.invoices_write))]
BillingReader = Annotated[Actor, Depends(require(Permission.billing_read))]
UsersManager = Annotated[Actor, Depends(require(Permission.users_manage))]
AuditReader = Annotated[Actor, Depends(require(Permission.audit_read))]
GdprRequestSubmitter = Annotated[Actor, Depends(require(Permission.gdpr_requests_submit))]
GdprRequestHandler = Annotated[Actor, Depends(require(Permission.gdpr_requests_handle))]
RetentionRunner = Annotated[Actor, Depends(require(Permission.retention_run))]
RecipientsManager = Annotated[Actor, Depends(require(Permission.recipients_manage))]
StatisticsReader = Annotated[Actor, Depends(require(Permission.statistics_read))]
CustomerLinksManager = Annotated[Actor, Depends(require(Permission.customer_links_manage))]
RestrictionsManager = Annotated[Actor, Depends(require(Permission.restrictions_manage))]
LabelsExporter = Annotated[Actor, Depends(require(Permission.exports_labels))]
AddressUpdatesImporter = Annotated[Actor, Depends(require(Permission.address_updates_import))]
