"""Whether a bearer token was logged out: asked of the database on every request, so that
a logout takes effect at once in every process."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.accounts.repository import RevokedTokenRepository
from customer_registry.core.errors import Unauthorized

INVALID_CREDENTIALS = "Missing, invalid or expired credentials."


async def ensure_not_revoked(session: AsyncSession, token_id: str) -> None:
    """401 for a token that was logged out (`POST /api/v1/auth/logout`)."""
    if await RevokedTokenRepository(session).is_revoked(token_id):
        raise Unauthorized(INVALID_CREDENTIALS)
