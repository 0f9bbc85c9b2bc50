"""Console sign-in: the API's accounts, tokens and revocation, carried in a session cookie.

A signed-in person holds an access token issued by the login service, exactly as the API's
password flow issues it; the cookie carries it (HttpOnly, SameSite=Strict, Secure outside
development). A `console_sessions` row names the token and records the last activity and
the chosen language: a session unused for `console_idle_minutes` ends on the server, its
token revoked, and a token that is not a console session's is not accepted in the cookie.
The CSRF token of every form is bound to the session's id. `/api/v1` never reads the
cookie: its dependencies look at `Authorization` and `X-API-Key` only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.accounts.repository import RevokedTokenRepository
from customer_registry.accounts.service import LoginService
from customer_registry.auth.cache import VerifiedTokens
from customer_registry.auth.dependencies import actor_of, get_staff_principal
from customer_registry.auth.principal import Actor, Permission, Principal
from customer_registry.auth.tokens import InvalidToken, TokenCodec
from customer_registry.config import Environment, Settings
from customer_registry.core.database import SessionDep
from customer_registry.core.errors import Forbidden, RegistryError, Unauthorized
from customer_registry.models import ConsoleSession
from customer_registry.models.base import utcnow

SESSION_COOKIE = "console_session"
SIGN_IN_COOKIE = "console_sign_in"
CSRF_FIELD = "csrf_token"
LANGUAGES = ("fi", "en")
# A token with less than this part of its lifetime left is replaced by a new one.
RENEW_AT_FRACTION = 0.5


class SignInRequired(RegistryError):
    """No usable console session: the person is sent to the sign-in page.

    Committed, so that a session ended here for being idle stays ended."""

    status_code = 401
    code = "sign-in-required"
    title = "Sign-in required"
    commit_transaction = True


class CsrfRefused(Forbidden):
    code = "csrf-refused"
    title = "Form refused"


@dataclasses.dataclass(frozen=True, slots=True)
class Signed:
    """The person of a console request: who, as the audit sees them, and their session."""

    actor: Actor
    principal: Principal
    session_id: str
    language: str
    csrf_token: str

    def can(self, permission: Permission) -> bool:
        return self.principal.can(permission)


def cookie_is_secure(settings: Settings) -> bool:
    return settings.env is not Environment.development


def csrf_token_for(settings: Settings, session_id: str) -> str:
    """The CSRF token of a session: a keyed hash of its id, never stored."""
    key = settings.signing_secret().encode()
    return hmac.new(key, b"console-csrf:" + session_id.encode(), hashlib.sha256).hexdigest()


def new_sign_in_nonce() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


async def open_session(
    session: AsyncSession, settings: Settings, codec: TokenCodec, token: str, language: str
) -> None:
    """Record a console session for a token just issued by the login service."""
    claims = codec.verify(token)
    now = utcnow()
    await _purge_idle(session, settings, now)
    session.add(
        ConsoleSession(
            id=secrets.token_urlsafe(32),
            user_id=uuid.UUID(claims.subject),
            token_id=claims.token_id,
            language=language if language in LANGUAGES else "fi",
            created_at=now,
            last_seen_at=now,
        )
    )
    await session.flush()


async def close_session(
    session: AsyncSession, codec: TokenCodec, token: str, signed: Signed
) -> None:
    """Sign out: the token is revoked (as the API's logout does) and the session removed."""
    await LoginService(session, codec).logout(token, signed.actor)
    await session.execute(delete(ConsoleSession).where(ConsoleSession.id == signed.session_id))


async def set_language(session: AsyncSession, signed: Signed, language: str) -> None:
    if language in LANGUAGES:
        await session.execute(
            update(ConsoleSession)
            .where(ConsoleSession.id == signed.session_id)
            .values(language=language)
        )


async def _purge_idle(session: AsyncSession, settings: Settings, now: dt.datetime) -> None:
    idle_before = now - dt.timedelta(minutes=settings.console_idle_minutes)
    await session.execute(delete(ConsoleSession).where(ConsoleSession.last_seen_at < idle_before))


async def _signed(request: Request, session: AsyncSession) -> Signed:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired()
    settings: Settings = request.app.state.settings
    tokens: VerifiedTokens = request.app.state.verified_tokens
    try:
        claims = tokens.verify(token)
        # The API's own check: the token not logged out, the account active and committed.
        principal = await get_staff_principal(request, session, token)
    except (InvalidToken, Unauthorized) as error:
        raise SignInRequired() from error
    row = (
        await session.execute(
            select(ConsoleSession).where(ConsoleSession.token_id == claims.token_id)
        )
    ).scalar_one_or_none()
    if row is None:
        raise SignInRequired()
    now = utcnow()
    if row.last_seen_at < now - dt.timedelta(minutes=settings.console_idle_minutes):
        await RevokedTokenRepository(session).revoke(claims.token_id, claims.expires_at)
        await session.execute(delete(ConsoleSession).where(ConsoleSession.id == row.id))
        raise SignInRequired()
    row.last_seen_at = now
    codec: TokenCodec = request.app.state.token_codec
    if (claims.expires_at - now) < codec.lifetime * RENEW_AT_FRACTION:
        renewed, renewed_claims = codec.issue(claims.subject)
        await RevokedTokenRepository(session).revoke(claims.token_id, claims.expires_at)
        row.token_id = renewed_claims.token_id
        request.state.console_renewed_token = renewed
    await session.flush()
    return Signed(
        actor=actor_of(request, principal),
        principal=principal,
        session_id=row.id,
        language=row.language,
        csrf_token=csrf_token_for(settings, row.id),
    )


async def _person(
    request: Request, session: AsyncSession, permission: Permission | None, form: bool
) -> Signed:
    signed = await _signed(request, session)
    request.state.console_signed = signed
    if form:
        fields = await request.form()
        given = fields.get(CSRF_FIELD)
        if not tokens_match(signed.csrf_token, given if isinstance(given, str) else None):
            raise CsrfRefused(
                "The form was not sent from this session; open the page and send it again."
            )
    if permission is not None and not signed.can(permission):
        raise Forbidden(f"This action needs the permission {permission.value}.")
    return signed


def person(permission: Permission | None = None, *, form: bool = False) -> Any:
    """A dependency: the signed-in person (else sent to sign in); with `form`, a
    state-changing form whose CSRF token is the session's; with `permission`, only a role
    that holds it (403 otherwise, as the API answers)."""

    async def dependency(request: Request, session: SessionDep) -> Signed:
        return await _person(request, session, permission, form)

    return Depends(dependency)


SignedIn = Annotated[Signed, person()]
SignedForm = Annotated[Signed, person(form=True)]
