"""Login and account management rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import math
import uuid
from typing import Annotated

import anyio
from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.accounts.repository import (
    LoginFailureRepository,
    RevokedTokenRepository,
    UserRepository,
)
from customer_registry.accounts.schemas import TokenResponse, UserCreate, UserRead
from customer_registry.audit.service import AuditTrail
from customer_registry.auth.cache import AccountStates
from customer_registry.auth.passwords import (
    MAXIMUM_PASSWORD_LENGTH,
    hash_password,
    verify_password,
)
from customer_registry.auth.principal import Actor, Principal
from customer_registry.auth.tokens import InvalidToken, TokenCodec
from customer_registry.core.database import SessionDep
from customer_registry.core.errors import (
    Conflict,
    NotFound,
    RegistryError,
    Unauthorized,
    UnprocessableEntity,
)
from customer_registry.core.logs import log_event
from customer_registry.core.pagination import Page, decode_uuid_cursor, encode_cursor
from customer_registry.core.validation import reject_control_characters
from customer_registry.models import ActorType, AuditAction, Role, User
from customer_registry.models.base import utcnow

LOGIN_FAILED = "Incorrect username or password."
COMMITMENT_MISSING = (
    "The password is correct, but the account cannot be used until an administrator records "
    "its signed confidentiality commitment (R16)."
)
LOGIN_THROTTLED = "Too many failed logins from this client; try again later."
USER_ENTITY = "user"
# OWASP Authentication Cheat Sheet: slow the attacker, never lock the account's owner out.
# Failures count within the window, per (account, client address) and per client address;
# past a limit that client is refused until the oldest counted failure leaves the window.
LOGIN_FAILURE_WINDOW = dt.timedelta(minutes=15)
LOGIN_FAILURE_LIMIT = 5  # per account from one client address
LOGIN_ADDRESS_FAILURE_LIMIT = 50  # per client address, whichever accounts it tries
# An account failing from many addresses is not refused: every attempt for it, the right
# password's too, waits a little longer than the last (a cost, not a lock).
LOGIN_DELAY_AFTER = 10  # failures of the account within the window, from anywhere
LOGIN_DELAY_STEP_SECONDS = 0.25
LOGIN_MAXIMUM_DELAY_SECONDS = 3.0


def login_delay(account_failures: int) -> float:
    """The seconds every attempt for an account waits after so many recent failures."""
    if account_failures < LOGIN_DELAY_AFTER:
        return 0.0
    steps = account_failures - LOGIN_DELAY_AFTER + 1
    return min(LOGIN_MAXIMUM_DELAY_SECONDS, LOGIN_DELAY_STEP_SECONDS * steps)


class LoginFailed(Unauthorized):
    """Wrong credentials; the transaction still commits so that the failure is audited."""

    code = "login-failed"
    description = "Incorrect username or password"
    commit_transaction = True


class ConfidentialityCommitmentMissing(RegistryError):
    """The right password for an active account without its confidentiality commitment (R16).

    Committed, as a failure is, so that the refusal is audited.
    """

    status_code = 403
    code = "confidentiality-commitment-missing"
    title = "Confidentiality commitment not recorded"
    commit_transaction = True


class LoginThrottled(RegistryError):
    """Too many recent failures for the account; committed so that the refusal is audited."""

    status_code = 429
    code = "login-throttled"
    title = "Too many requests"
    description = "Too many failed sign-ins to the account; see Retry-After"
    commit_transaction = True

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(LOGIN_THROTTLED, headers={"Retry-After": str(retry_after_seconds)})


def _usable_login_text(username: str, password: str) -> None:
    try:
        reject_control_characters(username)
        reject_control_characters(password)
    except ValueError as error:
        raise UnprocessableEntity(
            "The username and password must not contain control characters.", loc=("body",)
        ) from error


class LoginService:
    """Checks credentials and issues access tokens."""

    def __init__(self, session: AsyncSession, token_codec: TokenCodec) -> None:
        self.session = session
        self.users = UserRepository(session)
        self.failures = LoginFailureRepository(session)
        self.revoked = RevokedTokenRepository(session)
        self.audit = AuditTrail(session)
        self.token_codec = token_codec

    def _keyed(self, purpose: str, value: str) -> str:
        message = f"{purpose}:{value}".encode()
        return hmac.new(self.token_codec.secret.encode(), message, hashlib.sha256).hexdigest()

    def account_key(self, username: str) -> str:
        """A keyed hash of the username: throttles unknown names too, without storing them."""
        return self._keyed("login-throttle", username)

    def address_key(self, address: str | None) -> str:
        """A keyed hash of the client address, so that no address is stored as such."""
        return self._keyed("login-address", address or "unknown")

    async def login(self, username: str, password: str, actor: Actor) -> TokenResponse:
        """A token for a usable account with the right password; one answer for every failure
        except the right password of an account without its confidentiality commitment."""
        _usable_login_text(username, password)
        username = username.strip().lower()
        account_key = self.account_key(username)
        address_key = self.address_key(actor.client_address)
        now = utcnow()
        since = now - LOGIN_FAILURE_WINDOW
        delay = login_delay(await self.failures.count_for_account(account_key, since))
        if delay:
            log_event("login_delayed", seconds=delay)
            # Wait holding no database connection, so that waiting attempts cost the pool
            # nothing (what the request has written so far, a rate-limit count, is kept).
            await self.session.commit()
            await anyio.sleep(delay)
            now = utcnow()
            since = now - LOGIN_FAILURE_WINDOW
        # One attempt at a time per client address: concurrent ones, for one account or for
        # many, cannot slip past either limit.
        await self.failures.lock(address_key)
        retry_after = max(
            _retry_after(
                await self.failures.for_account_from(account_key, address_key, since),
                LOGIN_FAILURE_LIMIT,
                now,
            ),
            _retry_after(
                await self.failures.from_address(address_key, since),
                LOGIN_ADDRESS_FAILURE_LIMIT,
                now,
            ),
        )
        user = await self.users.get_by_username(username) if len(username) <= 64 else None
        if retry_after:
            await self._record_refusal(actor, user, AuditAction.login_throttled)
            raise LoginThrottled(retry_after)
        # No password is longer than an account may have: one that is gets the answer of any
        # wrong password, after the same work (the hashing library refuses very long input).
        if len(password) > MAXIMUM_PASSWORD_LENGTH:
            password_ok = await verify_password(password[:MAXIMUM_PASSWORD_LENGTH], None)
        else:
            password_ok = await verify_password(password, user.password_hash if user else None)
        usable = (
            user is not None and user.is_active and user.confidentiality_committed_at is not None
        )
        if user is None or not password_ok or not usable:
            await self.failures.purge_before(since)
            await self.failures.add(account_key, address_key, now)
            await self._record_refusal(actor, user, AuditAction.login_failed)
            # The id of a known account only: the typed username may be a person's name.
            log_event("login_failed", user_id=str(user.id) if user is not None else None)
            if user is not None and password_ok and user.is_active:
                # Only the password's holder learns this, so it reveals nothing to a guesser.
                raise ConfidentialityCommitmentMissing(COMMITMENT_MISSING)
            raise LoginFailed(LOGIN_FAILED)
        await self.failures.clear(account_key, address_key)
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

    async def _record_refusal(self, actor: Actor, user: User | None, action: AuditAction) -> None:
        refused = dataclasses.replace(
            actor, principal=_user_principal(user) if user is not None else None
        )
        await self.audit.record(refused, action, USER_ENTITY, user.id if user else None)

    async def logout(self, token: str, actor: Actor) -> None:
        """Revoke the token until it expires; expired revocations are purged meanwhile."""
        try:
            claims = self.token_codec.verify(token)
        except InvalidToken as error:  # already checked by authentication; kept for safety
            raise Unauthorized(LOGIN_FAILED) from error
        await self.revoked.purge_expired(utcnow())
        await self.revoked.revoke(claims.token_id, claims.expires_at)
        await self.audit.record(actor, AuditAction.logout, USER_ENTITY, actor.actor_id)


class AccountService:
    """Managing staff accounts."""

    def __init__(self, session: AsyncSession, account_states: AccountStates | None = None) -> None:
        self.session = session
        self.users = UserRepository(session)
        self.audit = AuditTrail(session)
        # This process's memory of account states: forgotten when one changes here.
        self.account_states = account_states

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
            self._forget(user.id)
            user.is_active = active
            user.updated_at = utcnow()
            await self.audit.record(
                actor, AuditAction.update, USER_ENTITY, user.id, fields=["is_active"]
            )
        return UserRead.model_validate(user)

    async def record_commitment(self, user_id: uuid.UUID, actor: Actor) -> UserRead:
        user = await self._get(user_id)
        if user.confidentiality_committed_at is None:
            self._forget(user.id)
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

    def _forget(self, user_id: uuid.UUID) -> None:
        """Drop this process's memory of the account now and again once the change commits,
        so that a concurrent request cannot keep the state read before the commit."""
        states = self.account_states
        if states is None:
            return
        states.forget(user_id)
        event.listen(
            self.session.sync_session,
            "after_commit",
            lambda _session: states.forget(user_id),
            once=True,
        )

    async def _get(self, user_id: uuid.UUID) -> User:
        user = await self.users.get(user_id)
        if user is None:
            raise NotFound("No such account.")
        return user


def _retry_after(failures: list[dt.datetime], limit: int, now: dt.datetime) -> int:
    """Seconds until fewer than `limit` of these failures (oldest first) remain in the window;
    0 when that is already so."""
    if len(failures) < limit:
        return 0
    leaves_window = failures[len(failures) - limit] + LOGIN_FAILURE_WINDOW
    return max(1, math.ceil((leaves_window - now).total_seconds()))


def _user_principal(user: User) -> Principal:
    return Principal(
        kind=ActorType.user, id=str(user.id), role=Role(user.role), permissions=frozenset()
    )


async def get_login_service(request: Request, session: SessionDep) -> LoginService:
    return LoginService(session, request.app.state.token_codec)


async def get_account_service(request: Request, session: SessionDep) -> AccountService:
    return AccountService(session, request.app.state.account_states)


LoginServiceDep = Annotated[LoginService, Depends(get_login_service)]
AccountServiceDep = Annotated[AccountService, Depends(get_account_service)]
