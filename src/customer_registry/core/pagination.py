"""Opaque keyset cursors and the list response shape."""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from customer_registry.core.errors import UnprocessableEntity

MAX_LIMIT = 200
DEFAULT_LIMIT = 50

ItemT = TypeVar("ItemT")

LimitQuery = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page, at most {MAX_LIMIT}.")
]
CursorQuery = Annotated[
    str | None,
    Query(
        max_length=200,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The `next_cursor` of the previous page.",
    ),
]


class Page(BaseModel, Generic[ItemT]):
    """One page of a list; `next_cursor` is null on the last page."""

    items: list[ItemT]
    next_cursor: str | None


class InvalidCursor(UnprocessableEntity):
    code = "invalid-cursor"
    title = "Invalid cursor"
    default_loc = ("query", "cursor")


def encode_cursor(*key: Any) -> str:
    """An opaque cursor for a keyset position."""
    payload = json.dumps([str(part) for part in key], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, parts: int) -> list[str]:
    """The keyset position in a cursor made by `encode_cursor`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidCursor("The cursor is not one this service issued.") from error
    if (
        not isinstance(values, list)
        or len(values) != parts
        or not all(isinstance(value, str) for value in values)
    ):
        raise InvalidCursor("The cursor is not one this service issued.")
    return values


def decode_uuid_cursor(cursor: str) -> uuid.UUID:
    """The id in a single-id cursor."""
    (value,) = decode_cursor(cursor, 1)
    try:
        return uuid.UUID(value)
    except ValueError as error:
        raise InvalidCursor("The cursor is not one this service issued.") from error


# A row id in a cursor: digits only, and small enough for a BIGINT.
_ROW_ID = re.compile(r"[0-9]{1,18}")


def decode_int_cursor(cursor: str) -> int:
    """The integer id in a single-id cursor (never one that would overflow the database)."""
    (value,) = decode_cursor(cursor, 1)
    if not _ROW_ID.fullmatch(value):
        raise InvalidCursor("The cursor is not one this service issued.")
    return int(value)
