"""Small helpers shared by tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx


async def create_customer(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post("/api/v1/customers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    customer: dict[str, Any] = response.json()
    return customer


async def audit_events(
    client: httpx.AsyncClient, headers: dict[str, str], **filters: str
) -> list[dict[str, Any]]:
    """Every audit event matching the filters, across pages."""
    events: list[dict[str, Any]] = []
    params: dict[str, str] = {**filters, "limit": "200"}
    while True:
        response = await client.get("/api/v1/audit-events", params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        events.extend(page["items"])
        if page["next_cursor"] is None:
            return events
        params["cursor"] = page["next_cursor"]


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
    """Every disclosure matching the filters, across pages."""
    rows: list[dict[str, Any]] = []
    params: dict[str, str] = {**filters, "limit": "200"}
    while True:
        response = await client.get("/api/v1/disclosures", params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        rows.extend(page["items"])
        if page["next_cursor"] is None:
            return rows
        params["cursor"] = page["next_cursor"]


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
