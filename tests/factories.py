"""What tests make and share: staff, customers, orders, keys, requests, and database access."""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from customer_registry.gdpr_requests.deadlines import add_months, today_in_finland
from customer_registry.models import Role


async def create_customer(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post("/api/v1/customers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    customer: dict[str, Any] = response.json()
    return customer


async def every_page(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], **filters: str
) -> list[dict[str, Any]]:
    """Every item of a paginated list matching the filters, across pages."""
    items: list[dict[str, Any]] = []
    params: dict[str, str] = {**filters, "limit": "200"}
    while True:
        response = await client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


async def audit_events(
    client: httpx.AsyncClient, headers: dict[str, str], **filters: str
) -> list[dict[str, Any]]:
    """Every audit event matching the filters."""
    return await every_page(client, "/api/v1/audit-events", headers, **filters)


async def tables_containing(database_url: str, values: list[str]) -> list[tuple[str, str]]:
    """Every (table, column) in the database whose stored text contains one of `values`."""
    from sqlalchemy import inspect, text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    found: list[tuple[str, str]] = []
    needles = [value.lower() for value in values]
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            for table in tables:
                result = await connection.execute(text(f'SELECT * FROM "{table}"'))
                columns = list(result.keys())
                for row in result:
                    for column, cell in zip(columns, row, strict=True):
                        if cell is not None and any(n in str(cell).lower() for n in needles):
                            found.append((table, column))
    finally:
        await engine.dispose()
    return sorted(set(found))


async def create_recipient(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Talouskumppani Oy",
        "business_id": "0112038-9",
        "country": "FI",
        "role": "finance_partner",
    }
    body.update(overrides)
    response = await client.post("/api/v1/recipients", json=body, headers=headers)
    assert response.status_code == 201, response.text
    recipient: dict[str, Any] = response.json()
    return recipient


async def create_api_key(
    client: httpx.AsyncClient, headers: dict[str, str], recipient_id: str, **overrides: Any
) -> dict[str, Any]:
    """A new key; the plaintext is in ["key"]."""
    body: dict[str, Any] = {"name": "integration", "scopes": ["billing:read"]}
    body.update(overrides)
    response = await client.post(
        f"/api/v1/recipients/{recipient_id}/api-keys", json=body, headers=headers
    )
    assert response.status_code == 201, response.text
    key: dict[str, Any] = response.json()
    return key


WEB_SHOP_SCOPES = ["customers:write", "customers:lookup", "orders:write", "gdpr_requests:submit"]
FINANCE_SCOPES = ["billing:read", "invoices:write"]
ALL_PURPOSES = ["invoicing", "credit_decision", "debt_collection", "legal_obligation"]


async def web_shop_key(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> dict[str, Any]:
    recipient = await create_recipient(
        client, admin_headers, name="Verkkokauppa Oy", role="web_shop_operator"
    )
    return await create_api_key(client, admin_headers, recipient["id"], scopes=WEB_SHOP_SCOPES)


async def finance_key(
    client: httpx.AsyncClient, admin_headers: dict[str, str], purposes: list[str] | None = None
) -> dict[str, Any]:
    recipient = await create_recipient(client, admin_headers)
    return await create_api_key(
        client,
        admin_headers,
        recipient["id"],
        scopes=FINANCE_SCOPES,
        purposes=purposes or ["invoicing"],
    )


async def link_customer(
    client: httpx.AsyncClient, headers: dict[str, str], customer_id: str, recipient_id: str
) -> None:
    """Let the web shop's recipient act on a customer it did not create."""
    response = await client.post(
        f"/api/v1/customers/{customer_id}/links",
        json={"recipient_id": recipient_id},
        headers=headers,
    )
    assert response.status_code == 200, response.text


def key_headers(key: dict[str, Any], purpose: str | None = None) -> dict[str, str]:
    headers = {"X-API-Key": key["key"]}
    if purpose is not None:
        headers["X-Purpose"] = purpose
    return headers


def order_body(customer_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid order with an open invoice and a unique order number."""
    suffix = uuid.uuid4().hex[:10]
    body: dict[str, Any] = {
        "customer_id": customer_id,
        "number": f"WS-{suffix}",
        "ordered_on": "2026-11-20",
        "channel": "web_shop",
        "lines": [
            {
                "product_code": "KAHVI-500",
                "product_name": "Kahvi 500 g",
                "quantity": 3,
                "unit_price": "0.99",
                "vat_rate": "14",
            }
        ],
        "invoice": {"number": f"INV-{suffix}", "issued_on": "2026-11-20", "due_on": "2026-12-04"},
    }
    body.update(overrides)
    return body


async def create_order(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post("/api/v1/orders", json=body, headers=headers)
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


async def disclosures(
    client: httpx.AsyncClient, headers: dict[str, str], **filters: str
) -> list[dict[str, Any]]:
    """Every disclosure matching the filters."""
    return await every_page(client, "/api/v1/disclosures", headers, **filters)


async def execute_sql(database_url: str, statement: str, **parameters: Any) -> None:
    """Change the database behind the API's back: states no endpoint can create yet."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement), parameters)
    finally:
        await engine.dispose()


POSTGRES_URL = os.environ.get("CUSTOMER_REGISTRY_TEST_DATABASE_URL")


TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


PASSWORD = "a-long-test-password"


def is_postgres() -> bool:
    return POSTGRES_URL is not None


async def _postgres_admin(statement: str) -> None:
    assert POSTGRES_URL is not None
    engine = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def _postgres_url_for(database: str) -> str:
    assert POSTGRES_URL is not None
    return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


@dataclass
class Staff:
    id: str
    username: str
    role: Role
    headers: dict[str, str]


CreateStaff = Callable[..., Awaitable[Staff]]


def customer_body(**overrides: object) -> dict[str, object]:
    """A valid customer as the web shop writes it, with a unique e-mail."""
    body: dict[str, object] = {
        "type": "private_person",
        "first_name": "Aino",
        "last_name": "Virtanen",
        "email": f"aino.{uuid.uuid4().hex[:8]}@example.fi",
        "phone": "+358401234567",
        "organisation": None,
        "address": {
            "street": "Esimerkkikatu 1 A 2",
            "postal_code": "00100",
            "city": "Helsinki",
            "country": "FI",
        },
        "language": "fi",
        "source": "web_shop",
    }
    body.update(overrides)
    return body


REQUESTS = "/api/v1/gdpr-requests"


async def submit(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(REQUESTS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    request: dict[str, Any] = response.json()
    return request


async def verify(
    client: httpx.AsyncClient, headers: dict[str, str], request_id: str, **body: Any
) -> httpx.Response:
    body.setdefault("method", "signed_letter")
    return await client.post(f"{REQUESTS}/{request_id}/verify", json=body, headers=headers)


async def verified_request(
    client: httpx.AsyncClient,
    staff: Staff,
    privacy_officer: Staff,
    customer_id: str,
    request_type: str,
    **extra: Any,
) -> dict[str, Any]:
    request = await submit(
        client,
        staff.headers,
        type=request_type,
        customer_id=customer_id,
        channel="email",
        **extra,
    )
    response = await verify(
        client, privacy_officer.headers, request["id"], method="registered_email_address"
    )
    assert response.status_code == 200, response.text
    verified: dict[str, Any] = response.json()
    return verified


async def complete(
    client: httpx.AsyncClient, privacy_officer: Staff, request_id: str
) -> httpx.Response:
    return await client.post(
        f"{REQUESTS}/{request_id}/complete", json={}, headers=privacy_officer.headers
    )


RUNS = "/api/v1/retention/runs"


def ended(years_ago: int) -> dict[str, Any]:
    today = today_in_finland()
    return {
        "relationship_started_on": add_months(today, -12 * (years_ago + 5)).isoformat(),
        "relationship_ended_on": add_months(today, -12 * years_ago).isoformat(),
    }
