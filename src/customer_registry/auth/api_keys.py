"""API keys: their format, generation and keyed hashing.

The one place that knows how keys look and how they are hashed. A key reads
`crk_<prefix>_<secret><checksum>`: `crk_` makes it recognisable, the 12-character prefix is
public and finds the stored key, the 32-character secret carries 190 random bits, and the
6-character checksum (CRC32 of the rest, base62) lets secret scanners and this service reject
a mistyped or made-up key without a database lookup. Only HMAC-SHA256(service secret, key)
is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import zlib
from dataclasses import dataclass

KEY_PREFIX = "crk_"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_PREFIX_LENGTH = 12
_SECRET_LENGTH = 32
_CHECKSUM_LENGTH = 6
_KEY_PATTERN = re.compile(
    rf"^{KEY_PREFIX}([0-9A-Za-z]{{{_PREFIX_LENGTH}}})_"
    rf"([0-9A-Za-z]{{{_SECRET_LENGTH}}})([0-9A-Za-z]{{{_CHECKSUM_LENGTH}}})$"
)
# Separates this use of the service secret from token signing.
_HASH_CONTEXT = b"customer-registry api-key v1"


def _random_text(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _checksum(text: str) -> str:
    value = zlib.crc32(text.encode("ascii"))
    digits = []
    for _ in range(_CHECKSUM_LENGTH):
        value, remainder = divmod(value, len(_ALPHABET))
        digits.append(_ALPHABET[remainder])
    return "".join(reversed(digits))


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A freshly made key: the plaintext (shown once), its public prefix and stored hash."""

    plaintext: str
    prefix: str
    key_hash: str


class ApiKeyHasher:
    """Makes keys and checks them against their stored keyed hash."""

    def __init__(self, service_secret: str) -> None:
        self._key = hmac.new(service_secret.encode(), _HASH_CONTEXT, hashlib.sha256).digest()

    def generate(self) -> NewApiKey:
        prefix = _random_text(_PREFIX_LENGTH)
        body = f"{KEY_PREFIX}{prefix}_{_random_text(_SECRET_LENGTH)}"
        plaintext = body + _checksum(body)
        return NewApiKey(plaintext=plaintext, prefix=prefix, key_hash=self.hash(plaintext))

    def hash(self, plaintext: str) -> str:
        return hmac.new(self._key, plaintext.encode(), hashlib.sha256).hexdigest()

    def matches(self, plaintext: str, key_hash: str) -> bool:
        """Whether the key is the one hashed, compared in constant time."""
        return hmac.compare_digest(self.hash(plaintext), key_hash)


def prefix_of(plaintext: str) -> str | None:
    """The public prefix of a well-formed key with a correct checksum; None for anything else."""
    match = _KEY_PATTERN.match(plaintext)
    if match is None:
        return None
    prefix, secret, checksum = match.groups()
    if not hmac.compare_digest(_checksum(f"{KEY_PREFIX}{prefix}_{secret}"), checksum):
        return None
    return prefix
