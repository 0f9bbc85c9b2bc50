"""Login and account management rules."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.accounts.repository import UserRepository
from customer_registry.accounts.schemas import TokenResponse, UserCreate, UserRead
from customer_registry.audit.service import AuditTrail
from customer_registry.auth.passwords import hash_password, verify_password
from customer_registry.auth.principal import Actor, Principal
from customer_registry.auth.tokens import TokenCodec
from customer_registry.core.database import SessionDep
from customer_registry.core.errors import Conflict, NotFound, Unauthorized
from customer_registry.core.logs import log_event
from customer_registry.core.pagination import Page, decode_uuid_cursor, encode_cursor
from customer_registry.models import ActorType, AuditAction, Role, User
from customer_registry.models.base import utcnow

LOGIN_FAILED = "Incorrect username or password."
USER_ENTITY = "user"


class LoginFailed(Unauthorized):
    """Wrong credentials; the transaction still commits so that the failure is audited."""

    code = "login-failed"
    commit_transaction = True


class LoginService:
    """Checks credentials and issues access tokens."""

    def __init__(self, session: AsyncSession, token_codec: TokenCodec) -> None:
        self.users = UserRepository(session)
        self.audit = AuditTrail(session)
        self.token_codec = token_codec

    async def login(self, username: str, password: str, actor: Actor) -> TokenResponse:
        """A token for a usable account with the right password; one answer for every failure."""
        user = await self.users.get_by_username(username.strip().lower())
        password_ok = await verify_password(password, user.password_hash if user else None)
        usable = (
            user is not None and user.is_active and user.confidentiality_committed_at is not None
        )
        if user is None or not password_ok or not usable:
            failed = dataclasses.replace(
                actor,
                principal=_user_principal(user) if user is not None else None,
            )
            await self.audit.record(
                failed, AuditAction.login_failed, USER_ENTITY, user.id if user else None
            )
            # The id of a known account only: the typed username may be a person's name.
            log_event("login_failed", user_id=str(user.id) if user is not None else None)
            raise LoginFailed(LOGIN_FAILED)
        token, claims = self.token_codec.issue(str(user.id))
        await self.audit.record(
            dataclasses.replace(actor, principal=_user_principal(user)),
            AuditAction.login,
            USER_ENTITY,
            user.id,
        )
        return TokenResponse(
            access_token=token,
            expires_in=int((claims.expires_at - claims.issued_at).total_seconds()),
        )


class AccountService:
    """Managing staff accounts."""

    def __init__(self, session: AsyncSession) -> None:
        self.users = UserRepository(session)
        self.audit = AuditTrail(session)

    async def create_user(self, data: UserCreate, actor: Actor) -> UserRead:
        if await self.users.get_by_username(data.username) is not None:
            raise Conflict("An account with this username exists.")
        user = User(
            username=data.username,
            full_name=data.full_name,
            role=data.role.value,
            password_hash=await hash_password(data.password),
            is_active=True,
            confidentiality_committed_at=utcnow() if data.confidentiality_committed else None,
        )
        try:
            await self.users.add(user)
        except IntegrityError as error:
            raise Conflict("An account with this username exists.") from error
        await self.audit.record(
            actor,
            AuditAction.create,
            USER_ENTITY,
            user.id,
            fields=["username", "full_name", "role", "password", "confidentiality_committed_at"],
        )
        return UserRead.model_validate(user)

    async def get_user(self, user_id: uuid.UUID) -> UserRead:
        return UserRead.model_validate(await self._get(user_id))

    async def list_users(self, cursor: str | None, limit: int) -> Page[UserRead]:
        after = decode_uuid_cursor(cursor) if cursor else None
        users = await self.users.list(after=after, limit=limit + 1)
        page = users[:limit]
        return Page[UserRead](
            items=[UserRead.model_validate(user) for user in page],
            next_cursor=encode_cursor(page[-1].id) if len(users) > limit else None,
        )

    async def set_active(self, user_id: uuid.UUID, active: bool, actor: Actor) -> UserRead:
        user = await self._get(user_id)
        if user.is_active != active:
            user.is_active = active
            user.updated_at = utcnow()
            await self.audit.record(
                actor, AuditAction.update, USER_ENTITY, user.id, fields=["is_active"]
            )
        return UserRead.model_validate(user)

    async def record_commitment(self, user_id: uuid.UUID, actor: Actor) -> UserRead:
        user = await self._get(user_id)
        if user.confidentiality_committed_at is None:
            user.confidentiality_committed_at = utcnow()
            user.updated_at = utcnow()
            await self.audit.record(
                actor,
                AuditAction.update,
                USER_ENTITY,
                user.id,
                fields=["confidentiality_committed_at"],
            )
        return UserRead.model_validate(user)

    async def _get(self, user_id: uuid.UUID) -> User:
        user = await self.users.get(user_id)
        if user is None:
            raise NotFound("No such account.")
        return user


def _user_principal(user: User) -> Principal:
    return Principal(
        kind=ActorType.user, id=str(user.id), role=Role(user.role), permissions=frozenset()
    )


def get_login_service(request: Request, session: SessionDep) -> LoginService:
    return LoginService(session, request.app.state.token_codec)


def get_account_service(session: SessionDep) -> AccountService:
    return AccountService(session)


LoginServiceDep = Annotated[LoginService, Depends(get_login_service)]
AccountServiceDep = Annotated[AccountService, Depends(get_account_service)]
