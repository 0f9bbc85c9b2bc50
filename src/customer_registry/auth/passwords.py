"""Password hashing: argon2id through passlib's API, always off the event loop.

The one place that knows which library hashes passwords.
"""

from __future__ import annotations

from functools import lru_cache

import anyio.to_thread
from passlib.context import CryptContext

# OWASP Password Storage Cheat Sheet: argon2id, at least 19 MiB, 2 iterations, 1 lane.
_context = CryptContext(
    schemes=["argon2"],
    argon2__type="ID",
    argon2__memory_cost=19 * 1024,
    argon2__rounds=2,
    argon2__parallelism=1,
)

MINIMUM_PASSWORD_LENGTH = 12
MAXIMUM_PASSWORD_LENGTH = 128


def hash_password_sync(password: str) -> str:
    return _context.hash(password)


async def hash_password(password: str) -> str:
    """The argon2id hash of a password, computed in a worker thread."""
    return await anyio.to_thread.run_sync(hash_password_sync, password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _context.hash("not a password of anybody's account")


async def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether the password matches; with no hash, spends the same time and says no."""

    def verify() -> bool:
        if password_hash is None:
            _context.verify(password, _dummy_hash())
            return False
        return bool(_context.verify(password, password_hash))

    return await anyio.to_thread.run_sync(verify)
