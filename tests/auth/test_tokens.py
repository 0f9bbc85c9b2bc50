"""Forged, stale and malformed access tokens are all refused (OWASP API2, RFC 8725)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt

from tests.factories import TEST_SECRET, Staff

pytestmark = pytest.mark.anyio

ISSUER = "customer-registry"
AUDIENCE = "customer-registry-api"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def claims(subject: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    payload: dict[str, Any] = {
        "sub": subject,
        "jti": "f" * 32,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    for name, value in changes.items():
        if value is None:
            payload.pop(name)
        else:
            payload[name] = value
    return payload


def signed(payload: dict[str, Any], secret: str = TEST_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, secret, algorithm=algorithm)


def unsigned(payload: dict[str, Any], algorithm: str = "none") -> str:
    header = _b64(json.dumps({"alg": algorithm, "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(payload).encode())}."


def rsa_signed(payload: dict[str, Any]) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return jwt.encode(payload, pem, algorithm="RS256")


def header_swapped(payload: dict[str, Any], algorithm: str) -> str:
    """An HMAC-SHA256 signature made with the right secret, under another `alg` header."""
    import hashlib
    import hmac

    header = _b64(json.dumps({"alg": algorithm, "typ": "JWT"}).encode())
    body = _b64(json.dumps(payload).encode())
    signature = hmac.new(TEST_SECRET.encode(), f"{header}.{body}".encode(), hashlib.sha256)
    return f"{header}.{body}.{_b64(signature.digest())}"


Forge = Callable[[str], str]
HOUR = 3600

FORGERIES: dict[str, Forge] = {
    "alg none": lambda sub: unsigned(claims(sub)),
    "alg None": lambda sub: unsigned(claims(sub), "None"),
    "alg none with the right signature": lambda sub: header_swapped(claims(sub), "none"),
    "HS512 with the right secret": lambda sub: signed(claims(sub), algorithm="HS512"),
    "HS384 with the right secret": lambda sub: signed(claims(sub), algorithm="HS384"),
    "RS256 with an attacker's key": lambda sub: rsa_signed(claims(sub)),
    "RS256 header on an HMAC signature": lambda sub: header_swapped(claims(sub), "RS256"),
    "wrong secret": lambda sub: signed(
        claims(sub), secret="another-secret-of-enough-length-0123456"
    ),
    "expired": lambda sub: signed(claims(sub, exp=int(time.time()) - 60)),
    "not yet valid": lambda sub: signed(claims(sub, nbf=int(time.time()) + HOUR)),
    "wrong audience": lambda sub: signed(claims(sub, aud="another-api")),
    "wrong issuer": lambda sub: signed(claims(sub, iss="someone-else")),
    "missing exp": lambda sub: signed(claims(sub, exp=None)),
    "missing nbf": lambda sub: signed(claims(sub, nbf=None)),
    "missing iat": lambda sub: signed(claims(sub, iat=None)),
    "missing iss": lambda sub: signed(claims(sub, iss=None)),
    "missing aud": lambda sub: signed(claims(sub, aud=None)),
    "missing jti": lambda sub: signed(claims(sub, jti=None)),
    "missing sub": lambda sub: signed(claims(sub, sub=None)),
    "sub not an account id": lambda _sub: signed(claims("admin")),
    "sub of no account": lambda _sub: signed(claims("0190f2f4-0000-7000-8000-000000000000")),
    "exp not a number": lambda sub: signed(claims(sub, exp="tomorrow")),
    "tampered payload": lambda sub: (
        lambda token: ".".join(
            [
                token.split(".")[0],
                _b64(json.dumps(claims(sub, exp=2**40)).encode()),
                token.split(".")[2],
            ]
        )
    )(signed(claims(sub))),
    "garbage": lambda _sub: "not-a-token",
    "three dots of garbage": lambda _sub: "a.b.c",
    "empty segments": lambda _sub: "..",
    "huge": lambda _sub: "a" * 20_000,
    "non-ASCII": lambda _sub: "ääkkönen.token.x",
}


class TestForgedTokens:
    async def test_a_genuine_token_works(self, client: httpx.AsyncClient, staff: Staff) -> None:
        response = await client.get(
            "/api/v1/users/me", headers={"Authorization": f"Bearer {signed(claims(staff.id))}"}
        )

        assert response.status_code == 200

    @pytest.mark.parametrize("forgery", list(FORGERIES), ids=list(FORGERIES))
    async def test_is_refused(self, client: httpx.AsyncClient, staff: Staff, forgery: str) -> None:
        token = FORGERIES[forgery](staff.id)

        response = await client.get(
            "/api/v1/users/me", headers={"Authorization": f"Bearer {token}".encode()}
        )

        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["detail"] == "Missing, invalid or expired credentials."
