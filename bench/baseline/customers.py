"""The baseline's customer routes and login: each read one indexed SELECT of the customer
and one audit INSERT in the same transaction; searches audit every customer returned,
creations write the customer and its audit row, logins verify with argon2id."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import asyncpg
import orjson
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from bench.baseline.common import AUDIT_COLUMNS, json_response, path_uuid, request_id, state
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

hasher = PasswordHasher()


def organisation_json(row: Mapping[str, Any]) -> dict[str, Any] | None:
    if row["organisation_name"] is None:
        return None
    return {"name": row["organisation_name"], "business_id": row["organisation_business_id"]}


def address_json(row: Mapping[str, Any]) -> dict[str, Any] | None:
    if row["street"] is None:
        return None
    return {
        "street": row["street"],
        "postal_code": row["postal_code"],
        "city": row["city"],
        "country": row["country"],
    }


def customer_json(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "type": row["type"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "organisation": organisation_json(row),
        "email": row["email"],
        "phone": row["phone"],
        "address": address_json(row),
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


async def read_customer(request: Request) -> Response:
    customer_id = path_uuid(request, "customer_id")
    if customer_id is None:
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
