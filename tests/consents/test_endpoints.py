"""Consents and objections: the append-only ledger and the state derived from it (R5, R20)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from customer_registry.models import ConsentDecision, Purpose
from tests.factories import Staff, audit_events, create_customer, customer_body

pytestmark = pytest.mark.anyio


async def record(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    customer_id: str,
    purpose: str,
    decision: str,
    channel: str = "customer_service",
    **extra: Any,
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/customers/{customer_id}/consents",
        json={"purpose": purpose, "decision": decision, "channel": channel, **extra},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    event: dict[str, Any] = response.json()
    return event


async def state_of(
    client: httpx.AsyncClient, headers: dict[str, str], customer_id: str
) -> dict[str, dict[str, Any]]:
    response = await client.get(f"/api/v1/customers/{customer_id}/consents", headers=headers)
    assert response.status_code == 200, response.text
    return {item["purpose"]: item for item in response.json()["state"]}


class TestDerivedState:
    async def test_defaults_without_events(self, client: httpx.AsyncClient, staff: Staff) -> None:
        customer = await create_customer(client, staff.headers, customer_body())

        state = await state_of(client, staff.headers, customer["id"])

        assert state["listing"] == {
            "purpose": "listing",
            "decision": "granted",
            "is_default": True,
            "event_id": None,
            "decided_at": None,
        }
        assert state["direct_marketing"]["decision"] == "forbidden"
        assert len(state) == 7

    async def test_forbid_after_grant_and_grant_after_forbid(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        customer_id = customer["id"]

        await record(client, staff.headers, customer_id, "direct_advertising", "granted")
        forbid = await record(client, staff.headers, customer_id, "direct_advertising", "forbidden")
        state = await state_of(client, staff.headers, customer_id)
        assert state["direct_advertising"]["decision"] == "forbidden"
        assert state["direct_advertising"]["event_id"] == forbid["id"]
        assert state["direct_advertising"]["is_default"] is False

        await record(client, staff.headers, customer_id, "direct_marketing", "forbidden")
        grant = await record(client, staff.headers, customer_id, "direct_marketing", "granted")
        state = await state_of(client, staff.headers, customer_id)
        assert state["direct_marketing"]["decision"] == "granted"
        assert state["direct_marketing"]["event_id"] == grant["id"]
        # Other purposes are untouched.
        assert state["listing"]["is_default"] is True

    async def test_history_is_newest_first_and_paginated(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        decisions = ["granted", "forbidden", "granted"]
        for decision in decisions:
            await record(client, staff.headers, customer["id"], "market_research", decision)

        url = f"/api/v1/customers/{customer['id']}/consents"
        first = (await client.get(url, params={"limit": 2}, headers=staff.headers)).json()
        assert [item["decision"] for item in first["history"]["items"]] == ["granted", "forbidden"]
        second = (
            await client.get(
                url,
                params={"limit": 2, "cursor": first["history"]["next_cursor"]},
                headers=staff.headers,
            )
        ).json()
        assert [item["decision"] for item in second["history"]["items"]] == ["granted"]
        assert second["history"]["next_cursor"] is None

    async def test_event_records_who_how_and_notice_version(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())

        event = await record(
            client,
            staff.headers,
            customer["id"],
            "listing",
            "forbidden",
            channel="letter",
            evidence="Letter received 2026-11-20, archive ref 123",
        )

        assert event["recorded_by_type"] == "user"
        assert event["recorded_by_id"] == staff.id
        assert event["channel"] == "letter"
        assert event["privacy_notice_version"] == "1"
        assert event["evidence"] == "Letter received 2026-11-20, archive ref 123"

    async def test_configured_default(
        self, client: httpx.AsyncClient, staff: Staff, app: Any
    ) -> None:
        app.state.settings = app.state.settings.model_copy(
            update={"consent_defaults": {Purpose.listing: ConsentDecision.forbidden}}
        )
        customer = await create_customer(client, staff.headers, customer_body())

        assert customer["consents"]["listing"] == "forbidden"


class TestSummaryInCustomer:
    async def test_customer_carries_its_consent_summary(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        first = await create_customer(client, staff.headers, customer_body())
        second = await create_customer(client, staff.headers, customer_body())
        await record(client, staff.headers, first["id"], "listing", "forbidden")
        await record(client, staff.headers, second["id"], "targeted_content", "forbidden")

        read = (await client.get(f"/api/v1/customers/{first['id']}", headers=staff.headers)).json()
        assert read["consents"]["listing"] == "forbidden"
        assert read["consents"]["targeted_content"] == "granted"

        listed = (await client.get("/api/v1/customers", headers=staff.headers)).json()["items"]
        summaries = {item["id"]: item["consents"] for item in listed}
        assert summaries[first["id"]]["listing"] == "forbidden"
        assert summaries[second["id"]]["listing"] == "granted"
        assert summaries[second["id"]]["targeted_content"] == "forbidden"


class TestValidation:
    @pytest.mark.parametrize(
        "body",
        [
            {"purpose": "telepathy", "decision": "granted", "channel": "letter"},
            {"purpose": "listing", "decision": "maybe", "channel": "letter"},
            {"purpose": "listing", "decision": "granted", "channel": "pigeon"},
            {"purpose": "listing", "decision": "granted", "channel": "letter", "evidence": "a\x00"},
            {
                "purpose": "listing",
                "decision": "granted",
                "channel": "letter",
                "evidence": "x" * 2001,
            },
            {"purpose": "listing", "decision": "granted", "channel": "letter", "extra": 1},
        ],
    )
    async def test_invalid_event_is_rejected(
        self, client: httpx.AsyncClient, staff: Staff, body: dict[str, Any]
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        response = await client.post(
            f"/api/v1/customers/{customer['id']}/consents", json=body, headers=staff.headers
        )
        assert response.status_code == 422

    async def test_unknown_customer(self, client: httpx.AsyncClient, staff: Staff) -> None:
        url = "/api/v1/customers/01900000-0000-7000-8000-000000000000/consents"
        assert (await client.get(url, headers=staff.headers)).status_code == 404

    async def test_anonymous(self, client: httpx.AsyncClient, staff: Staff) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        response = await client.get(f"/api/v1/customers/{customer['id']}/consents")
        assert response.status_code == 401


class TestLedger:
    async def test_recording_and_reading_are_audited(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        event = await record(client, staff.headers, customer["id"], "listing", "forbidden")
        await state_of(client, staff.headers, customer["id"])

        events = await audit_events(client, privacy_officer.headers, customer_id=customer["id"])
        consent_events = [item for item in events if item["entity"] == "consent"]
        assert [(item["action"], item["entity_id"]) for item in consent_events] == [
            ("create", str(event["id"])),
            ("read", customer["id"]),
        ]
        assert consent_events[0]["fields"] == ["channel", "decision", "purpose"]

    async def test_ledger_rejects_update_and_delete(
        self, client: httpx.AsyncClient, staff: Staff, database_url: str
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        await record(client, staff.headers, customer["id"], "listing", "forbidden")

        engine = create_async_engine(database_url)
        try:
            for statement in (
                "UPDATE consent_events SET decision = 'granted'",
                "DELETE FROM consent_events",
            ):
                with pytest.raises(DBAPIError, match="append-only"):
                    async with engine.begin() as connection:
                        await connection.execute(text(statement))
        finally:
            await engine.dispose()
        state = await state_of(client, staff.headers, customer["id"])
        assert state["listing"]["decision"] == "forbidden"
