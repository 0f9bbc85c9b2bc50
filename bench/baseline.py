"""The baseline: the same audited work as the registry, on raw asyncpg with no framework.

A minimal Starlette app: each read is one indexed SELECT of the customer and one audit
INSERT in the same transaction, answered with orjson. Searches, creations and logins do
the same work as the registry's (one audit row per customer returned, argon2id for a
login). No token verification: it is the floor the registry is measured against.

    BENCH_DATABASE_DSN=postgresql://... BENCH_ACTOR_ID=<uuid> uvicorn bench.baseline:app
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from customer_registry.core.ids import uuid7

COLUMNS = (
    "id, type, first_name, last_name, organisation_name, organisation_business_id, email, "
    "phone, street, postal_code, city, country, language, legal_basis, source, "
    "relationship_started_on, relationship_ended_on, is_contact_person, version, "
    "created_at, updated_at"
)
SELECT_CUSTOMER = f"SELECT {COLUMNS} FROM customers WHERE id = $1"
SEARCH_CUSTOMERS = (
    f"SELECT {COLUMNS} FROM customers "
    "WHERE first_name ILIKE $1 OR last_name ILIKE $1 OR email_normalized LIKE lower($1) "
    "OR organisation_name ILIKE $1 ORDER BY id LIMIT $2"
)
INSERT_CUSTOMER = (
    "INSERT INTO customers (id, type, first_name, last_name, email, email_normalized, phone, "
    "street, postal_code, city, country, language, legal_basis, source, "
    "relationship_started_on, is_contact_person, version, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5::text, lower($5::text), $6, $7, $8, $9, $10, $11, 'contract', $12, "
    "current_date, false, 1, now(), now())"
)
AUDIT_COLUMNS = (
    "occurred_at, action, actor_type, actor_id, actor_role, entity, entity_id, customer_id, "
    "fields, request_id, client_address"
)
INSERT_AUDIT = (
    f"INSERT INTO audit_events ({AUDIT_COLUMNS}) "
    "VALUES (now(), $1, 'user', $2, 'staff', $3, $4, $5, $6::json, $7, $8)"
)
INSERT_AUDIT_MANY = (
    f"INSERT INTO audit_events ({AUDIT_COLUMNS}) "
    "SELECT now(), 'read', 'user', $1, 'staff', 'customer', id::text, id, fields::json, $2, $3 "
    "FROM unnest($4::uuid[], $5::text[]) AS t(id, fields)"
)
SELECT_LOGIN = "SELECT id, password_hash, is_active FROM users WHERE username = $1"

ALWAYS_PRESENT = (
    "is_contact_person",
    "language",
    "legal_basis",
    "relationship_started_on",
    "source",
    "type",
)

state: dict[str, Any] = {}
hasher = PasswordHasher()


@asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    size = int(os.environ.get("BENCH_POOL_SIZE", "16"))
    state["pool"] = await asyncpg.create_pool(
        os.environ["BENCH_DATABASE_DSN"], min_size=size, max_size=size
    )
    state["actor_id"] = os.environ["BENCH_ACTOR_ID"]
    yield
    await state["pool"].close()


def customer_json(row: asyncpg.Record) -> dict[str, Any]:
    organisation = (
        None
        if row["organisation_name"] is None
        else {"name": row["organisation_name"], "business_id": row["organisation_business_id"]}
    )
    address = (
        None
        if row["street"] is None
        else {
            "street": row["street"],
            "postal_code": row["postal_code"],
            "city": row["city"],
            "country": row["country"],
        }
    )
    return {
        "id": str(row["id"]),
        "type": row["type"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "organisation": organisation,
        "email": row["email"],
        "phone": row["phone"],
        "address": address,
        "language": row["language"],
        "legal_basis": row["legal_basis"],
        "source": row["source"],
        "relationship_started_on": row["relationship_started_on"],
        "relationship_ended_on": row["relationship_ended_on"],
        "is_contact_person": row["is_contact_person"],
        "version": row["version"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def fields_with_data(customer: dict[str, Any]) -> str:
    present = [
        name
        for name in ("address", "email", "first_name", "last_name", "organisation", "phone")
        if customer[name] is not None
    ]
    if customer["relationship_ended_on"] is not None:
        present.append("relationship_ended_on")
    return orjson.dumps(sorted([*ALWAYS_PRESENT, *present])).decode()


def request_id(request: Request) -> str:
    return request.headers.get("x-request-id") or uuid.uuid4().hex


def json_response(content: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code, media_type="application/json")


async def read_customer(request: Request) -> Response:
    try:
        customer_id = uuid.UUID(request.path_params["customer_id"])
    except ValueError:
        return json_response({"title": "Unprocessable entity"}, 422)
    async with state["pool"].acquire() as connection, connection.transaction():
        row = await connection.fetchrow(SELECT_CUSTOMER, customer_id)
        if row is None:
            return json_response({"title": "Not found"}, 404)
        customer = customer_json(row)
        await connection.execute(
            INSERT_AUDIT,
            "read",
            state["actor_id"],
            "customer",
            str(customer_id),
            customer_id,
            fields_with_data(customer),
            request_id(request),
            request.client.host if request.client else None,
        )
    return json_response(customer)


async def search_customers(request: Request) -> Response:
    search = request.query_params.get("q", "")
    limit = min(200, int(request.query_params.get("limit", "50")))
    async with state["pool"].acquire() as connection, connection.transaction():
        rows = await connection.fetch(SEARCH_CUSTOMERS, f"%{search}%", limit)
        items = [customer_json(row) for row in rows]
        await connection.execute(
            INSERT_AUDIT_MANY,
            state["actor_id"],
            request_id(request),
            request.client.host if request.client else None,
            [item["id"] for item in items],
            [fields_with_data(item) for item in items],
        )
    return json_response({"items": items, "next_cursor": None})


async def create_customer(request: Request) -> Response:
    body = orjson.loads(await request.body())
    address = body["address"]
    customer_id = uuid7()
    async with state["pool"].acquire() as connection, connection.transaction():
        await connection.execute(
            INSERT_CUSTOMER,
            customer_id,
            body["type"],
            body["first_name"],
            body["last_name"],
            body["email"],
            body["phone"],
            address["street"],
            address["postal_code"],
            address["city"],
            address["country"],
            body["language"],
            body["source"],
        )
        await connection.execute(
            INSERT_AUDIT,
            "create",
            state["actor_id"],
            "customer",
            str(customer_id),
            customer_id,
            orjson.dumps(sorted(body)).decode(),
            request_id(request),
            request.client.host if request.client else None,
        )
    return json_response({"id": str(customer_id), **body}, 201)


async def login(request: Request) -> Response:
    form = await request.form()
    username, password = str(form["username"]), str(form["password"])
    async with state["pool"].acquire() as connection, connection.transaction():
        row = await connection.fetchrow(SELECT_LOGIN, username)
        try:
            valid = row is not None and await run_in_threadpool(
                hasher.verify, row["password_hash"], password
            )
        except VerificationError:
            valid = False
        await connection.execute(
            INSERT_AUDIT,
            "login" if valid else "login_failed",
            str(row["id"]) if row else None,
            "user",
            str(row["id"]) if row else None,
            None,
            "[]",
            request_id(request),
            request.client.host if request.client else None,
        )
    if not valid:
        return json_response({"title": "Unauthorized"}, 401)
    return json_response(
        {"access_token": uuid.uuid4().hex, "token_type": "bearer", "expires_in": 900}
    )


async def ready(_request: Request) -> Response:
    return json_response({"status": "ok", "at": dt.datetime.now(dt.UTC)})


app = Starlette(
    routes=[
        Route("/api/v1/customers/{customer_id}", read_customer, methods=["GET"]),
        Route("/api/v1/customers", search_customers, methods=["GET"]),
        Route("/api/v1/customers", create_customer, methods=["POST"]),
        Route("/api/v1/auth/token", login, methods=["POST"]),
        Route("/readyz", ready, methods=["GET"]),
    ],
    lifespan=lifespan,
)
