"""Per-process memory of credentials, so that a request with a known token costs no
signature check and no account lookup.

- A token that verified is remembered until it expires: its claims cannot change. Whether
  it was logged out is still asked of the database on every request, so a logout takes
  effect at once.
- Whether an account may act (active, confidentiality commitment recorded, its role) is
  remembered for `CUSTOMER_REGISTRY_ACCOUNT_CACHE_SECONDS` only. A disabled account is
  refused at once by the worker that disabled it and by every other worker within that
  time; a shorter time costs one more account lookup per account and period.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from customer_registry.auth.principal import Principal
from customer_registry.auth.tokens import TokenClaims, TokenCodec

MAXIMUM_ENTRIES = 10_000


class VerifiedTokens:
    """Tokens that verified, with their claims, until each expires."""

    def __init__(self, codec: TokenCodec) -> None:
        self.codec = codec
        self._claims: dict[str, TokenClaims] = {}

    def verify(self, token: str) -> TokenClaims:
        """The claims of a valid token; anything else raises InvalidToken (never cached)."""
        claims = self._claims.get(token)
        if claims is not None and claims.expires_at.timestamp() > time.time():
            return claims
        claims = self.codec.verify(token)
        if len(self._claims) >= MAXIMUM_ENTRIES:
            now = time.time()
            self._claims = {
                known: cached
                for known, cached in self._claims.items()
                if cached.expires_at.timestamp() > now
            }
            if len(self._claims) >= MAXIMUM_ENTRIES:
                self._claims.clear()
        self._claims[token] = claims
        return claims


@dataclass(frozen=True, slots=True)
class _State:
    principal: Principal | None  # None: the account may not act
    checked_at: float


class AccountStates:
    """What each account may do, as read from the database at most `seconds` ago."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._states: dict[uuid.UUID, _State] = {}

    def get(self, user_id: uuid.UUID) -> tuple[bool, Principal | None]:
        """(known, principal): known is False when the database must be asked."""
        state = self._states.get(user_id)
        if state is None or time.monotonic() - state.checked_at >= self.seconds:
            return False, None
        return True, state.principal

    def put(self, user_id: uuid.UUID, principal: Principal | None) -> None:
        if self.seconds <= 0:
            return
        if len(self._states) >= MAXIMUM_ENTRIES:
            self._states.clear()
        self._states[user_id] = _State(principal, time.monotonic())

    def forget(self, user_id: uuid.UUID) -> None:
        """Drop what is known of an account whose state changes in this process."""
        self._states.pop(user_id, None)
