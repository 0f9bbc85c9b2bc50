"""The audit trail: every read and change, field names only, fail-closed, append-only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from tests.factories import Staff, audit_events, create_customer, customer_body, is_postgres

pytestmark = pytest.mark.anyio


def personal_values(customer: dict[str, Any]) -> list[str]:
    address = customer["address"] or {}
    return [
        value
        for value in (
            customer["first_name"],
            customer["last_name"],
            customer["email"],
            customer["phone"],
            address.get("street"),
            address.get("city"),
        )
        if value
    ]


class TestEveryReadAndChange:
    async def test_create_read_and_update_events_name_fields_not_values(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(
            client, staff.headers, customer_body(first_name="Sointu", last_name="Salmela")
        )
        await client.get(f"/api/v1/customers/{customer['id']}", headers=staff.headers)
        await client.patch(
            f"/api/v1/customers/{customer['id']}",
            json={"last_name": "Rantanen", "address": None, "language": "fi"},
            headers={**staff.headers, "If-Match": '"1"', "X-Request-ID": "change-42"},
        )

        events = await audit_events(client, privacy_officer.headers, customer_id=customer["id"])

        assert [event["action"] for event in events] == ["create", "read", "update"]
        create, read, update = events
        assert create["actor_type"] == "user"
        assert create["actor_id"] == staff.id
        assert create["actor_role"] == "staff"
        assert create["entity"] == "customer"
        assert create["entity_id"] == customer["id"]
        assert {"first_name", "last_name", "email", "phone", "address"} <= set(create["fields"])
        assert "address" in read["fields"]
        assert update["fields"] == ["address", "last_name"]
        assert update["request_id"] == "change-42"
        assert all(event["client_address"] for event in events)
        dump = str(events)
        for value in [*personal_values(customer), "Rantanen"]:
            assert value not in dump

    async def test_one_read_event_per_customer_listed(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customers = [
            await create_customer(client, staff.headers, customer_body()) for _ in range(3)
        ]

        listed = await client.get("/api/v1/customers", params={"limit": 2}, headers=staff.headers)
        listed_ids = [item["id"] for item in listed.json()["items"]]

        for customer in customers:
            reads = await audit_events(
                client, privacy_officer.headers, customer_id=customer["id"], action="read"
            )
            assert len(reads) == (1 if customer["id"] in listed_ids else 0)
        assert len(listed_ids) == 2

    async def test_reading_the_audit_log_is_audited(
        self, client: httpx.AsyncClient, privacy_officer: Staff, admin: Staff
    ) -> None:
        await client.get(
            "/api/v1/audit-events", params={"action": "create"}, headers=privacy_officer.headers
        )

        events = await audit_events(client, admin.headers, actor_id=privacy_officer.id)

        reads = [event for event in events if event["entity"] == "audit_events"]
        assert len(reads) == 1
        assert reads[0]["fields"] == ["action"]

    async def test_time_filters_need_a_timezone(
        self, client: httpx.AsyncClient, admin: Staff
    ) -> None:
        naive = await client.get(
            "/api/v1/audit-events", params={"from": "2026-01-01T00:00:00"}, headers=admin.headers
        )
        aware = await client.get(
            "/api/v1/audit-events",
            params={"from": "2026-01-01T00:00:00Z", "to": "2999-01-01T00:00:00+02:00"},
            headers=admin.headers,
        )

        assert naive.status_code == 422
        assert aware.status_code == 200


async def _execute(database_url: str, *statements: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


class TestFailClosed:
    async def test_a_read_whose_audit_fails_returns_no_data(
        self, client: httpx.AsyncClient, staff: Staff, database_url: str
    ) -> None:
        customer = await create_customer(
            client, staff.headers, customer_body(first_name="Kerttu", last_name="Kuusela")
        )
        if is_postgres():
            await _execute(
                database_url,
                "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'audit storage unavailable'; END; $$",
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events "
                "FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
            )
        else:
            await _execute(
                database_url,
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit storage unavailable'); END",
            )

        single = await client.get(f"/api/v1/customers/{customer['id']}", headers=staff.headers)
        listed = await client.get("/api/v1/customers", headers=staff.headers)
        created = await client.post(
            "/api/v1/customers", json=customer_body(last_name="Uusi"), headers=staff.headers
        )

        for response in (single, listed, created):
            assert response.status_code == 500
            assert response.headers["content-type"] == "application/problem+json"
            assert "Kerttu" not in response.text
            assert "Kuusela" not in response.text
            assert "audit storage" not in response.text
        # The refused creation left no customer behind.
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                count = await connection.scalar(text("SELECT count(*) FROM customers"))
        finally:
            await engine.dispose()
        assert count == 1


class TestAppendOnly:
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE audit_events SET action = 'read'",
            "DELETE FROM audit_events",
            *(["TRUNCATE audit_events CASCADE"] if is_postgres() else []),
        ],
    )
    async def test_the_database_refuses_to_change_audit_events(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        privacy_officer: Staff,
        database_url: str,
        statement: str,
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())

        with pytest.raises(DBAPIError, match="append-only"):
            await _execute(database_url, statement)

        events = await audit_events(client, privacy_officer.headers, customer_id=customer["id"])
        assert [event["action"] for event in events] == ["create"]

    async def test_no_endpoint_changes_or_deletes_events(
        self, client: httpx.AsyncClient, admin: Staff
    ) -> None:
        for method in ("PUT", "PATCH", "DELETE"):
            response = await client.request(method, "/api/v1/audit-events", headers=admin.headers)
            assert response.status_code == 405
