"""JWT access tokens: HS256 pinned on sign and verify, with iss, aud, exp, nbf, iat, jti.

The one place that knows which library signs tokens.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from jose import JWTError, jwt

ALGORITHM = "HS256"


class InvalidToken(Exception):
    """The token is malformed, forged, expired, not yet valid or for someone else."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: str
    token_id: str
    issued_at: dt.datetime
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class TokenCodec:
    secret: str
    issuer: str
    audience: str
    lifetime: dt.timedelta

    def issue(self, subject: str, now: dt.datetime | None = None) -> tuple[str, TokenClaims]:
        issued_at = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        claims = TokenClaims(
            subject=subject,
            token_id=uuid.uuid4().hex,
            issued_at=issued_at,
            expires_at=issued_at + self.lifetime,
        )
        payload: dict[str, Any] = {
            "sub": subject,
            "jti": claims.token_id,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": int(issued_at.timestamp()),
            "nbf": int(issued_at.timestamp()),
            "exp": int(claims.expires_at.timestamp()),
        }
        return jwt.encode(payload, self.secret, algorithm=ALGORITHM), claims

    def verify(self, token: str) -> TokenClaims:
        """The claims of a valid token; anything else raises InvalidToken."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != ALGORITHM:
                raise InvalidToken("unexpected algorithm")
            payload = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "require_exp": True,
                    "require_iat": True,
                    "require_nbf": True,
                    "require_iss": True,
                    "require_aud": True,
                    "require_sub": True,
                    "require_jti": True,
                },
            )
            return TokenClaims(
                subject=str(payload["sub"]),
                token_id=str(payload["jti"]),
                issued_at=dt.datetime.fromtimestamp(int(payload["iat"]), dt.UTC),
                expires_at=dt.datetime.fromtimestamp(int(payload["exp"]), dt.UTC),
            )
        except (JWTError, KeyError, TypeError, ValueError, OverflowError, OSError) as error:
            raise InvalidToken(str(error)) from error
