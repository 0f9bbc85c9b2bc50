"""FastAPI dependencies that authenticate the caller and check what it may do."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.accounts.repository import RevokedTokenRepository, UserRepository
from customer_registry.auth.principal import ROLE_PERMISSIONS, Actor, Permission, Principal
from customer_registry.auth.tokens import InvalidToken, TokenClaims, TokenCodec
from customer_registry.core.database import SessionDep
from customer_registry.core.errors import Forbidden, Unauthorized
from customer_registry.models import ActorType, Role

bearer_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

INVALID_CREDENTIALS = "Missing, invalid or expired credentials."


async def get_principal(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(bearer_scheme)],
) -> Principal:
    """The authenticated caller; 401 for anything that is not a usable credential."""
    if token is None:
        raise Unauthorized(INVALID_CREDENTIALS)
    codec: TokenCodec = request.app.state.token_codec
    try:
        claims = codec.verify(token)
        user_id = uuid.UUID(claims.subject)
    except (InvalidToken, ValueError) as error:
        raise Unauthorized(INVALID_CREDENTIALS) from error
    await ensure_not_revoked(session, claims)
    user = await UserRepository(session).get(user_id)
    # A disabled account, or one without its confidentiality commitment (R16), is refused
    # even with a token that was issued before the change.
    if user is None or not user.is_active or user.confidentiality_committed_at is None:
        raise Unauthorized(INVALID_CREDENTIALS)
    role = Role(user.role)
    return Principal(
        kind=ActorType.user, id=str(user.id), role=role, permissions=ROLE_PERMISSIONS[role]
    )


async def ensure_not_revoked(session: AsyncSession, claims: TokenClaims) -> None:
    """401 for a token that was logged out (`POST /api/v1/auth/logout`)."""
    if await RevokedTokenRepository(session).is_revoked(claims.token_id):
        raise Unauthorized(INVALID_CREDENTIALS)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def actor_of(request: Request, principal: Principal | None) -> Actor:
    """The principal in the context of this request, as the audit records it."""
    return Actor(
        principal=principal,
        request_id=getattr(request.state, "request_id", None),
        client_address=client_address(request),
    )


def require(permission: Permission) -> Callable[..., Awaitable[Actor]]:
    """A dependency that admits callers holding `permission` and returns them as an Actor."""

    async def dependency(
        request: Request, principal: Annotated[Principal, Depends(get_principal)]
    ) -> Actor:
        if not principal.can(permission):
            raise Forbidden(f"This action needs the permission {permission.value}.")
        return actor_of(request, principal)

    return dependency


async def get_authenticated_actor(
    request: Request, principal: Annotated[Principal, Depends(get_principal)]
) -> Actor:
    return actor_of(request, principal)


def get_anonymous_actor(request: Request) -> Actor:
    return actor_of(request, None)


AuthenticatedActor = Annotated[Actor, Depends(get_authenticated_actor)]
AnonymousActor = Annotated[Actor, Depends(get_anonymous_actor)]
CustomersReader = Annotated[Actor, Depends(require(Permission.customers_read))]
CustomersWriter = Annotated[Actor, Depends(require(Permission.customers_write))]
UsersManager = Annotated[Actor, Depends(require(Permission.users_manage))]
AuditReader = Annotated[Actor, Depends(require(Permission.audit_read))]
