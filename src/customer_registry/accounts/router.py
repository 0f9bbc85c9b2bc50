"""Login and staff account management."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from customer_registry.accounts.schemas import TokenResponse, UserCreate, UserRead
from customer_registry.accounts.service import (
    AccountServiceDep,
    ConfidentialityCommitmentMissing,
    LoginFailed,
    LoginServiceDep,
    LoginThrottled,
)
from customer_registry.auth.dependencies import (
    AnonymousActor,
    AuthenticatedActor,
    UsersManager,
    bearer_scheme,
)
from customer_registry.auth.rate_limit import per_client_address
from customer_registry.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    UnprocessableEntity,
    error_responses,
)
from customer_registry.core.pagination import CursorQuery, InvalidCursor, LimitQuery, Page
from customer_registry.core.routing import documented_router

auth_router = documented_router(prefix="/api/v1/auth", tags=["auth"])
users_router = documented_router(prefix="/api/v1/users", tags=["users"])
_USER_ERRORS = error_responses(Unauthorized, Forbidden, NotFound, UnprocessableEntity)


@auth_router.post(
    "/token",
    response_model=TokenResponse,
    responses=error_responses(
        LoginFailed,
        ConfidentialityCommitmentMissing,
        UnprocessableEntity,
        LoginThrottled,
        TooManyRequests,
    ),
    dependencies=[Depends(per_client_address("login", "rate_limit_login_per_minute"))],
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "example": {
                        "grant_type": "password",
                        "username": "admin",
                        "password": "change-this-password",
                    }
                }
            }
        }
    },
)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    service: LoginServiceDep,
    actor: AnonymousActor,
) -> TokenResponse:
    """Log in with username and password (OAuth2 password flow).

    After 5 failed attempts for one account (known or not) from one client address within
    15 minutes, or 50 from one address for any accounts, that address is refused with 429
    and `Retry-After` until enough failures are 15 minutes old; other addresses are not.
    An account failing from many addresses is answered more slowly (up to 3 seconds), the
    right password too, but never refused. A password longer than 128 characters is a
    wrong password.
    The right password of an account whose confidentiality commitment is not yet recorded
    gets 403.
    """
    return await service.login(form.username, form.password, actor)


@auth_router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(Unauthorized),
)
async def logout(
    service: LoginServiceDep,
    actor: AuthenticatedActor,
    token: Annotated[str | None, Depends(bearer_scheme)],
) -> Response:
    """Log out: the bearer token of this request stops working at once."""
    assert token is not None  # authentication has already required it
    await service.logout(token, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@users_router.get("/me", response_model=UserRead, responses=error_responses(Unauthorized))
async def read_own_account(service: AccountServiceDep, actor: AuthenticatedActor) -> UserRead:
    """The account of the logged-in user."""
    assert actor.actor_id is not None
    return await service.get_user(uuid.UUID(actor.actor_id))


@users_router.post(
    "",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(Unauthorized, Forbidden, Conflict, UnprocessableEntity),
)
async def create_user(
    data: UserCreate, service: AccountServiceDep, actor: UsersManager
) -> UserRead:
    """Create a personal staff account (admin)."""
    return await service.create_user(data, actor)


@users_router.get(
    "",
    response_model=Page[UserRead],
    responses=error_responses(Unauthorized, Forbidden, UnprocessableEntity, InvalidCursor),
)
async def list_users(
    service: AccountServiceDep,
    _actor: UsersManager,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[UserRead]:
    """List staff accounts (admin)."""
    return await service.list_users(cursor, limit)


@users_router.get("/{user_id}", response_model=UserRead, responses=_USER_ERRORS)
async def read_user(
    user_id: uuid.UUID, service: AccountServiceDep, _actor: UsersManager
) -> UserRead:
    """Read a staff account (admin)."""
    return await service.get_user(user_id)


@users_router.post("/{user_id}/disable", response_model=UserRead, responses=_USER_ERRORS)
async def disable_user(
    user_id: uuid.UUID, service: AccountServiceDep, actor: UsersManager
) -> UserRead:
    """Disable an account: it can no longer log in, and its tokens stop working (admin)."""
    return await service.set_active(user_id, False, actor)


@users_router.post("/{user_id}/enable", response_model=UserRead, responses=_USER_ERRORS)
async def enable_user(
    user_id: uuid.UUID, service: AccountServiceDep, actor: UsersManager
) -> UserRead:
    """Enable a disabled account again (admin)."""
    return await service.set_active(user_id, True, actor)


@users_router.post(
    "/{user_id}/confidentiality-commitment",
    response_model=UserRead,
    responses=_USER_ERRORS,
)
async def record_confidentiality_commitment(
    user_id: uuid.UUID, service: AccountServiceDep, actor: UsersManager
) -> UserRead:
    """Record that the person has signed the confidentiality commitment (R16, admin)."""
    return await service.record_commitment(user_id, actor)
