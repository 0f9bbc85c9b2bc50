"""Whether a bearer token was logged out: asked of the database on every request.

The authentication dependency asks with a query of its own. A hot route may instead fold
the question into its own first query (`token_revoked` as one more column) and confirm the
answer with `confirm_not_revoked`; until it does, its actor carries `unchecked_token_id`,
and the audit trail refuses to record anything for such an actor (fail closed).
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import ColumnElement, exists
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.accounts.repository import RevokedTokenRepository
from customer_registry.auth.principal import Actor
from customer_registry.core.errors import Unauthorized
from customer_registry.models import RevokedToken

INVALID_CREDENTIALS = "Missing, invalid or expired credentials."


def token_revoked(token_id: str | ColumnElement[str]) -> ColumnElement[bool]:
    """A column: the token with this id (a value or a bound parameter) was logged out."""
    return exists().where(RevokedToken.token_id == token_id)


async def ensure_not_revoked(session: AsyncSession, token_id: str) -> None:
    """401 for a token that was logged out (`POST /api/v1/auth/logout`)."""
    if await RevokedTokenRepository(session).is_revoked(token_id):
        raise Unauthorized(INVALID_CREDENTIALS)


def confirm_not_revoked(actor: Actor, revoked: bool) -> Actor:
    """The actor with its token's logout check done; 401 when the token was logged out."""
    if revoked:
        raise Unauthorized(INVALID_CREDENTIALS)
    return dataclasses.replace(actor, unchecked_token_id=None)
