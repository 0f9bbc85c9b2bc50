"""What the baseline's routes share: the pool, request ids, JSON answers."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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


@asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    size = int(os.environ.get("BENCH_POOL_SIZE", "16"))
    state["pool"] = await asyncpg.create_pool(
        os.environ["BENCH_DATABASE_DSN"], min_size=size, max_size=size
    )
    state["actor_id"] = os.environ["BENCH_ACTOR_ID"]
    yield
    await state["pool"].close()


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
