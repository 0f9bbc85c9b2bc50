"""Audit rows of concurrent requests: each read leaves its one event, written together or not.

On PostgreSQL the rows of concurrent reads are written together, one INSERT per turn
(`customer_registry.core.grouped`); a row that fails fails only its own request.
"""

from __future__ import annotations

import anyio
import httpx
import pytest

from tests.factories import (
    Staff,
    audit_events,
    create_customer,
    customer_body,
    execute_sql,
    is_postgres,
)

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


@pytest.mark.skipif(not is_postgres(), reason="reads' rows are written together on PostgreSQL")
async def test_a_read_cancelled_while_writing_the_others_rows_leaves_them_answered(
    client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff, database_url: str
) -> None:
    customer_ids = await customers(client, staff.headers)
    opening, cancelled, *others = customer_ids[:7]
    # Every audit row takes a moment. While the opening read's row is written, the
    # cancelled read's row and then the others' queue; the cancelled read takes the next
    # turn and is writing all of them when its client goes away.
    await execute_sql(
        database_url,
        "CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "PERFORM pg_sleep(0.2); RETURN NEW; END; $$",
    )
    await execute_sql(
        database_url,
        "CREATE TRIGGER slow_row BEFORE INSERT ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION slow_row()",
    )
    responses: dict[str, httpx.Response] = {}

    async def read(customer_id: str) -> None:
        responses[customer_id] = await client.get(
            f"/api/v1/customers/{customer_id}", headers=staff.headers
        )

    client_gone = anyio.CancelScope()

    async def read_then_go_away() -> None:
        with client_gone:
            await read(cancelled)

    # A read whose row is lost would wait for it for good.
    with anyio.fail_after(60):
        async with anyio.create_task_group() as group:
            group.start_soon(read, opening)
            await anyio.sleep(0.05)
            group.start_soon(read_then_go_away)
            await anyio.sleep(0.05)
            for customer_id in others:
                group.start_soon(read, customer_id)
            await anyio.sleep(0.3)  # the opening row is written; the batch of the rest is not
            client_gone.cancel()

        await execute_sql(database_url, "DROP TRIGGER slow_row ON audit_events")
        assert cancelled not in responses
        assert {responses[customer_id].status_code for customer_id in [opening, *others]} == {200}
        # The connections of the cancelled read and of the others serve later reads.
        later = await read_all(client, staff.headers, customer_ids)
        assert {response.status_code for response in later.values()} == {200}
        reads = [
            event["entity_id"]
            for event in await audit_events(client, privacy_officer.headers, action="read")
            if event["entity"] == "customer"
        ]
        # Each read has its one event, none twice: the cancelled read's row was written with
        # the others' (its data had been read), as the write was not interrupted.
        assert sorted(reads) == sorted([opening, cancelled, *others, *customer_ids])
