"""Small helpers shared by tests."""

from __future__ import annotations

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
