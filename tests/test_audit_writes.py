"""Audit rows of concurrent requests: each read leaves its one event, written together or not.

On PostgreSQL the rows of concurrent reads are written together, one INSERT per turn
(`customer_registry.core.prepared`); a row that fails fails only its own request.
"""

from __future__ import annotations

import anyio
import httpx
import pytest

from tests.conftest import Staff, customer_body, is_postgres
from tests.helpers import audit_events, create_customer, execute_sql

pytestmark = pytest.mark.anyio

READERS = 24


async def read_all(
    client: httpx.AsyncClient, headers: dict[str, str], customer_ids: list[str]
) -> dict[str, httpx.Response]:
    """Every customer read at once, each read with a request id of its own."""
    responses: dict[str, httpx.Response] = {}

    async def read(customer_id: str) -> None:
        responses[customer_id] = await client.get(
            f"/api/v1/customers/{customer_id}",
            headers={**headers, "X-Request-ID": f"read-{customer_id}"},
        )

    async with anyio.create_task_group() as group:
        for customer_id in customer_ids:
            group.start_soon(read, customer_id)
    return responses


async def customers(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    return [
        (await create_customer(client, headers, customer_body(email=f"c{number}@example.fi")))["id"]
        for number in range(READERS)
    ]


async def test_concurrent_reads_each_leave_exactly_one_event(
    client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
) -> None:
    customer_ids = await customers(client, staff.headers)

    responses = await read_all(client, staff.headers, customer_ids)

    assert {response.status_code for response in responses.values()} == {200}
    reads = [
        event
        for event in await audit_events(client, privacy_officer.headers, action="read")
        if event["entity"] == "customer"
    ]
    assert sorted((event["entity_id"], event["request_id"]) for event in reads) == sorted(
        (customer_id, f"read-{customer_id}") for customer_id in customer_ids
    )


@pytest.mark.skipif(not is_postgres(), reason="reads' rows are written together on PostgreSQL")
async def test_a_row_that_fails_fails_only_its_own_read(
    client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff, database_url: str
) -> None:
    customer_ids = await customers(client, staff.headers)
    refused = customer_ids[READERS // 2]
    # Every audit row takes a moment (so that rows queue up and are written together),
    # and the row about one customer is refused, failing whichever write carries it.
    await execute_sql(
        database_url,
        "CREATE FUNCTION slow_refusal() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "PERFORM pg_sleep(0.02); "
        f"IF NEW.customer_id = '{refused}' THEN RAISE EXCEPTION 'refused'; END IF; "
        "RETURN NEW; END; $$",
    )
    await execute_sql(
        database_url,
        "CREATE TRIGGER slow_refusal BEFORE INSERT ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION slow_refusal()",
    )

    responses = await read_all(client, staff.headers, customer_ids)

    assert responses.pop(refused).status_code == 500
    assert {response.status_code for response in responses.values()} == {200}
    await execute_sql(database_url, "DROP TRIGGER slow_refusal ON audit_events")
    reads = [
        event["entity_id"]
        for event in await audit_events(client, privacy_officer.headers, action="read")
        if event["entity"] == "customer"
    ]
    assert sorted(reads) == sorted(responses)
