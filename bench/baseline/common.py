"""What the baseline's routes share: the pool, the caller, JSON answers, audit and disclosure
rows written many to a statement."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

state: dict[str, Any] = {}

AUDIT_COLUMNS = (
    "occurred_at, action, actor_type, actor_id, actor_role, entity, entity_id, customer_id, "
    "fields, request_id, client_address"
)
# Audit events of one action by one caller: one row per (entity, entity id, customer, fields).
INSERT_AUDIT_EVENTS = (
    f"INSERT INTO audit_events ({AUDIT_COLUMNS}, purpose) "
    "SELECT now(), $1, $2, $3, $4, t.entity, t.entity_id, t.customer_id, t.fields::json, "
    "$5, $6, $7 "
    "FROM unnest($8::text[], $9::text[], $10::uuid[], $11::text[]) "
    "AS t(entity, entity_id, customer_id, fields)"
)
INSERT_DISCLOSURES = (
    "INSERT INTO disclosures (occurred_at, recipient_id, api_key_id, customer_id, purpose, "
    "fields, request_id) "
    "SELECT now(), $1, $2, t.customer_id, $3, t.fields::json, $4 "
    "FROM unnest($5::uuid[], $6::text[]) AS t(customer_id, fields)"
)


@asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    size = int(os.environ.get("BENCH_POOL_SIZE", "16"))
    state["pool"] = await asyncpg.create_pool(
        os.environ["BENCH_DATABASE_DSN"], min_size=size, max_size=size
    )
    state["actor_id"] = os.environ["BENCH_ACTOR_ID"]
    state["api_keys"] = json.loads(os.environ.get("BENCH_API_KEYS", "{}"))
    yield
    await state["pool"].close()


@dataclass(frozen=True)
class Caller:
    """Who the audit and disclosure rows name: a staff account, or a recipient's key."""

    actor_type: str
    actor_id: str
    actor_role: str | None
    recipient_id: uuid.UUID | None = None
    purpose: str | None = None


def staff() -> Caller:
    """The bench's staff account: the baseline does not verify tokens."""
    return Caller("user", state["actor_id"], "staff")


def api_key_caller(request: Request) -> Caller | None:
    """The recipient's key named in X-API-Key, looked up but not verified; None if unknown."""
    key = state["api_keys"].get(request.headers.get("x-api-key", ""))
    if key is None:
        return None
    return Caller(
        "api_key",
        key["id"],
        None,
        uuid.UUID(key["recipient_id"]),
        request.headers.get("x-purpose"),
    )


def path_uuid(request: Request, name: str) -> uuid.UUID | None:
    """The UUID in a path parameter, or None when it is not one (a 422)."""
    try:
        return uuid.UUID(request.path_params[name])
    except ValueError:
        return None


def request_id(request: Request) -> str:
    return request.headers.get("x-request-id") or uuid.uuid4().hex


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def json_response(content: Any, status_code: int = 200, **headers: str) -> Response:
    return Response(orjson.dumps(content), status_code, headers, media_type="application/json")


def fields_json(fields: Sequence[str]) -> str:
    return orjson.dumps(sorted(fields)).decode()


@dataclass(frozen=True)
class Event:
    """One audit row: what was touched, whose data it is, and which fields."""

    entity: str
    entity_id: str
    customer_id: uuid.UUID | None
    fields: Sequence[str]


async def record(
    connection: asyncpg.Connection,
    request: Request,
    caller: Caller,
    action: str,
    events: Sequence[Event],
    purpose: str | None = None,
) -> None:
    """The audit rows of a request, in one statement; and for a recipient's key one
    disclosure row per data subject, with the fields of every row about them."""
    await connection.execute(
        INSERT_AUDIT_EVENTS,
        action,
        caller.actor_type,
        caller.actor_id,
        caller.actor_role,
        request_id(request),
        client_address(request),
        purpose or caller.purpose,
        [event.entity for event in events],
        [event.entity_id for event in events],
        [event.customer_id for event in events],
        [fields_json(event.fields) for event in events],
    )
    if caller.recipient_id is None:
        return
    disclosed: dict[uuid.UUID, set[str]] = {}
    for event in events:
        if event.customer_id is not None:
            prefix = "" if event.entity == "customer" else f"{event.entity}."
            disclosed.setdefault(event.customer_id, set()).update(
                prefix + name for name in event.fields
            )
    await connection.execute(
        INSERT_DISCLOSURES,
        caller.recipient_id,
        uuid.UUID(caller.actor_id),
        caller.purpose,
        request_id(request),
        list(disclosed),
        [fields_json(list(fields)) for fields in disclosed.values()],
    )
