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
