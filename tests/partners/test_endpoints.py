"""Recipients, API keys, web shop, finance partner, disclosures (R4, R8, R12, R13, R17)."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import create_async_engine

from customer_registry.cli import openapi_document
from customer_registry.config import Settings
from customer_registry.models import ApiKey
from tests.factories import (
    ALL_PURPOSES,
    FINANCE_SCOPES,
    TEST_SECRET,
    WEB_SHOP_SCOPES,
    Staff,
    audit_events,
    create_api_key,
    create_customer,
    create_order,
    create_recipient,
    customer_body,
    disclosures,
    finance_key,
    key_headers,
    link_customer,
    order_body,
    web_shop_key,
)

pytestmark = pytest.mark.anyio

BILLING_FIELDS = {"first_name", "last_name", "organisation", "email", "address"}


@pytest.fixture
def settings(database_url: str) -> Settings:
    # The finance feed normally holds back the newest seconds of changes; tests read at once.
    from pydantic import SecretStr

    return Settings(
        database_url=database_url,
        secret_key=SecretStr(TEST_SECRET),
        invoice_feed_delay_seconds=0,
    )


async def set_key_expiry(database_url: str, key_id: str, expires_at: dt.datetime) -> None:
    """Move a key's end into the past, as time passing would."""
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                update(ApiKey).where(ApiKey.id == uuid.UUID(key_id)).values(expires_at=expires_at)
            )
    finally:
        await engine.dispose()


def problem_without_request_id(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    body.pop("request_id", None)
    return body


class TestRecipients:
    async def test_admin_creates_reads_lists_and_updates(
        self, client: httpx.AsyncClient, admin: Staff
    ) -> None:
        created = await create_recipient(client, admin.headers)
        assert created["in_eu_eea"] is True
        assert created["may_receive_data"] is True

        read = await client.get(f"/api/v1/recipients/{created['id']}", headers=admin.headers)
        assert read.status_code == 200
        assert read.headers["etag"] == '"1"'
        listed = await client.get("/api/v1/recipients", headers=admin.headers)
        assert [item["id"] for item in listed.json()["items"]] == [created["id"]]

        url = f"/api/v1/recipients/{created['id']}"
        assert (
            await client.patch(url, json={"name": "Uusi"}, headers=admin.headers)
        ).status_code == 428
        changed = await client.patch(
            url, json={"name": "Uusi Nimi Oy"}, headers={**admin.headers, "If-Match": '"1"'}
        )
        assert changed.status_code == 200
        assert changed.json()["name"] == "Uusi Nimi Oy"
        assert changed.headers["etag"] == '"2"'

    async def test_staff_and_privacy_officer_cannot_manage_recipients(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        body = {"name": "X Oy", "country": "FI", "role": "processor"}
        for user in (staff, privacy_officer):
            response = await client.post("/api/v1/recipients", json=body, headers=user.headers)
            assert response.status_code == 403

    async def test_outside_eu_eea_without_safeguard_gets_no_key(
        self, client: httpx.AsyncClient, admin: Staff
    ) -> None:
        recipient = await create_recipient(client, admin.headers, country="US", business_id=None)
        assert recipient["in_eu_eea"] is False
        assert recipient["has_adequacy_decision"] is False  # the DPF covers certified ones only
        assert recipient["may_receive_data"] is False

        refused = await client.post(
            f"/api/v1/recipients/{recipient['id']}/api-keys",
            json={"name": "k", "scopes": ["billing:read"], "purposes": ["invoicing"]},
            headers=admin.headers,
        )
        assert refused.status_code == 409
        assert refused.json()["type"].endswith("/safeguard-required")

        safeguarded = await client.patch(
            f"/api/v1/recipients/{recipient['id']}",
            json={"safeguard": "EU standard contractual clauses (2021/914), module 2, 2026-10-01"},
            headers={**admin.headers, "If-Match": '"1"'},
        )
        assert safeguarded.json()["may_receive_data"] is True
        await create_api_key(client, admin.headers, recipient["id"], purposes=["invoicing"])

    @pytest.mark.parametrize("country", ["CH", "GB", "JP", "CA"])
    async def test_a_country_with_an_adequacy_decision_needs_no_safeguard(
        self, client: httpx.AsyncClient, admin: Staff, country: str
    ) -> None:
        recipient = await create_recipient(client, admin.headers, country=country, business_id=None)
        assert recipient["in_eu_eea"] is False
        assert recipient["has_adequacy_decision"] is True
        assert recipient["may_receive_data"] is True

        key = await create_api_key(client, admin.headers, recipient["id"], purposes=["invoicing"])
        feed = await client.get("/api/v1/billing/invoices", headers=key_headers(key))
        notice = (await client.get("/api/v1/privacy-notice", params={"lang": "en"})).json()

        assert feed.status_code == 200
        recipients = next(s for s in notice["sections"] if s["id"] == "recipients")["items"]
        assert recipients == [
            f"Talouskumppani Oy (financial administration partner, {country}); outside the "
            "EU/EEA, in a country for which the European Commission has adopted an adequacy "
            "decision (GDPR Art. 45)"
        ]

    async def test_removing_the_safeguard_stops_the_data(
        self, client: httpx.AsyncClient, admin: Staff
    ) -> None:
        recipient = await create_recipient(
            client,
            admin.headers,
            country="US",
            business_id=None,
            safeguard="EU-US Data Privacy Framework, certified 2026-01-15",
        )
        key = await create_api_key(client, admin.headers, recipient["id"], purposes=["invoicing"])
        feed = "/api/v1/billing/invoices"
        assert (await client.get(feed, headers=key_headers(key))).status_code == 200

        await client.patch(
            f"/api/v1/recipients/{recipient['id']}",
            json={"safeguard": None},
            headers={**admin.headers, "If-Match": '"1"'},
        )

        refused = await client.get(feed, headers=key_headers(key))
        assert refused.status_code == 403
        assert refused.json()["type"].endswith("/safeguard-required")

    @pytest.mark.parametrize(
        ("role", "body"),
        [
            ("finance_partner", {"scopes": ["customers:write"], "purposes": ["invoicing"]}),
            ("web_shop_operator", {"scopes": ["billing:read"], "purposes": ["invoicing"]}),
            ("finance_partner", {"scopes": ["billing:read"]}),
            ("web_shop_operator", {"scopes": ["orders:write"], "purposes": ["invoicing"]}),
            ("processor", {"scopes": ["orders:write"]}),
        ],
    )
    async def test_scopes_must_fit_the_role_and_disclosures_need_purposes(
        self, client: httpx.AsyncClient, admin: Staff, role: str, body: dict[str, Any]
    ) -> None:
        recipient = await create_recipient(client, admin.headers, role=role)
        response = await client.post(
            f"/api/v1/recipients/{recipient['id']}/api-keys",
            json={"name": "k", **body},
            headers=admin.headers,
        )
        assert response.status_code == 422

    @pytest.mark.parametrize(
        "body",
        [
            {"scopes": ["users:manage"]},
            {"scopes": ["audit:read"]},
            {"scopes": ["customers:read"]},
            {"scopes": []},
            {"scopes": ["billing:read"], "purposes": ["marketing"]},
            {"scopes": ["billing:read"], "purposes": ["invoicing"], "expires_in_days": 366},
            {"scopes": ["billing:read"], "purposes": ["invoicing"], "allowed_networks": ["x"]},
            {
                "scopes": ["billing:read"],
                "purposes": ["invoicing"],
                "allowed_networks": ["10.0.0.1/8"],
            },
        ],
    )
    async def test_invalid_key_requests_are_rejected(
        self, client: httpx.AsyncClient, admin: Staff, body: dict[str, Any]
    ) -> None:
        recipient = await create_recipient(client, admin.headers)
        response = await client.post(
            f"/api/v1/recipients/{recipient['id']}/api-keys",
            json={"name": "k", **body},
            headers=admin.headers,
        )
        assert response.status_code == 422


class TestApiKeys:
    async def test_key_is_shown_once_recognisable_and_stored_as_a_hash(
        self, client: httpx.AsyncClient, admin: Staff, database_url: str
    ) -> None:
        key = await finance_key(client, admin.headers)

        assert re.fullmatch(r"crk_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}", key["key"])
        assert key["key"].startswith(f"crk_{key['prefix']}_")
        expires = dt.datetime.fromisoformat(key["expires_at"])
        created = dt.datetime.fromisoformat(key["created_at"])
        assert dt.timedelta(days=89, hours=23) < expires - created <= dt.timedelta(days=90)
        listed = await client.get(
            f"/api/v1/recipients/{key['recipient_id']}/api-keys", headers=admin.headers
        )
        (stored,) = listed.json()["items"]
        assert "key" not in stored
        assert key["key"] not in listed.text

        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                dump = json.dumps(
                    [
                        list(map(str, row))
                        for row in (await connection.execute(ApiKey.__table__.select())).all()
                    ]
                )
        finally:
            await engine.dispose()
        secret_part = key["key"].split("_", 2)[2]
        assert secret_part not in dump

    async def test_unknown_expired_revoked_and_mangled_keys_get_one_401(
        self, client: httpx.AsyncClient, admin: Staff, database_url: str
    ) -> None:
        expired = await finance_key(client, admin.headers)
        await set_key_expiry(
            database_url, expired["id"], dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        )
        revoked = await finance_key(client, admin.headers)
        revoke = await client.post(
            f"/api/v1/recipients/{revoked['recipient_id']}/api-keys/{revoked['id']}/revoke",
            headers=admin.headers,
        )
        assert revoke.status_code == 200
        assert revoke.json()["revoked_at"] is not None
        working = await finance_key(client, admin.headers)
        last_character = working["key"][-1]
        wrong_checksum = working["key"][:-1] + ("A" if last_character != "A" else "B")
        wrong_secret = working["key"][:-10] + "0000000000"

        url = "/api/v1/billing/invoices"
        responses = [
            await client.get(url, headers={"X-API-Key": candidate})
            for candidate in (
                expired["key"],
                revoked["key"],
                wrong_checksum,
                wrong_secret,
                "crk_AAAAAAAAAAAA_" + "A" * 38,
                "not-a-key",
            )
        ]
        assert [response.status_code for response in responses] == [401] * 6
        bodies = [problem_without_request_id(response) for response in responses]
        assert all(body == bodies[0] for body in bodies)
        assert (await client.get(url, headers=key_headers(working))).status_code == 200

    async def test_rotation_keeps_the_old_key_until_its_chosen_end(
        self, client: httpx.AsyncClient, admin: Staff, database_url: str
    ) -> None:
        old = await finance_key(client, admin.headers)
        url = f"/api/v1/recipients/{old['recipient_id']}/api-keys/{old['id']}/rotate"

        too_long = await client.post(
            url, json={"old_key_valid_for_hours": 169}, headers=admin.headers
        )
        assert too_long.status_code == 422
        rotated = await client.post(
            url, json={"old_key_valid_for_hours": 48}, headers=admin.headers
        )
        assert rotated.status_code == 201
        new = rotated.json()
        assert new["replaces_id"] == old["id"]
        assert new["key"] != old["key"]
        assert (new["scopes"], new["purposes"]) == (old["scopes"], old["purposes"])

        feed = "/api/v1/billing/invoices"
        assert (await client.get(feed, headers=key_headers(old))).status_code == 200
        assert (await client.get(feed, headers=key_headers(new))).status_code == 200
        keys = await client.get(
            f"/api/v1/recipients/{old['recipient_id']}/api-keys", headers=admin.headers
        )
        old_end = {item["id"]: item for item in keys.json()["items"]}[old["id"]]["expires_at"]
        remaining = dt.datetime.fromisoformat(old_end) - dt.datetime.now(dt.UTC)
        assert dt.timedelta(hours=47) < remaining <= dt.timedelta(hours=48)

        # When the overlap has passed, only the new key works.
        await set_key_expiry(database_url, old["id"], dt.datetime.now(dt.UTC))
        assert (await client.get(feed, headers=key_headers(old))).status_code == 401
        assert (await client.get(feed, headers=key_headers(new))).status_code == 200
        again = await client.post(url, json={}, headers=admin.headers)
        assert again.status_code == 409

    async def test_rotation_with_no_overlap_ends_the_old_key_at_once(
        self, client: httpx.AsyncClient, admin: Staff
    ) -> None:
        old = await finance_key(client, admin.headers)
        rotated = await client.post(
            f"/api/v1/recipients/{old['recipient_id']}/api-keys/{old['id']}/rotate",
            json={"old_key_valid_for_hours": 0},
            headers=admin.headers,
        )
        assert rotated.status_code == 201
        feed = "/api/v1/billing/invoices"
        assert (await client.get(feed, headers=key_headers(old))).status_code == 401
        assert (await client.get(feed, headers=key_headers(rotated.json()))).status_code == 200

    async def test_allowed_networks_limit_where_a_key_works(
        self, client: httpx.AsyncClient, admin: Staff
    ) -> None:
        recipient = await create_recipient(client, admin.headers)
        elsewhere = await create_api_key(
            client,
            admin.headers,
            recipient["id"],
            purposes=["invoicing"],
            allowed_networks=["10.20.0.0/16", "2001:db8::/32"],
        )
        here = await create_api_key(
            client,
            admin.headers,
            recipient["id"],
            purposes=["invoicing"],
            allowed_networks=["127.0.0.0/8"],
        )
        feed = "/api/v1/billing/invoices"
        refused = await client.get(feed, headers=key_headers(elsewhere))
        unknown = await client.get(feed, headers={"X-API-Key": "not-a-key"})
        assert refused.status_code == 401
        assert problem_without_request_id(refused) == problem_without_request_id(unknown)
        assert (await client.get(feed, headers=key_headers(here))).status_code == 200

    async def test_last_used_at_is_recorded_at_most_once_a_minute(
        self, client: httpx.AsyncClient, admin: Staff
    ) -> None:
        key = await finance_key(client, admin.headers)
        assert key["last_used_at"] is None
        listing = f"/api/v1/recipients/{key['recipient_id']}/api-keys"

        await client.get("/api/v1/billing/invoices", headers=key_headers(key))
        first = (await client.get(listing, headers=admin.headers)).json()["items"][0][
            "last_used_at"
        ]
        await client.get("/api/v1/billing/invoices", headers=key_headers(key))
        second = (await client.get(listing, headers=admin.headers)).json()["items"][0][
            "last_used_at"
        ]

        assert first is not None
        assert second == first

    async def test_bearer_and_key_together_are_refused(
        self, client: httpx.AsyncClient, admin: Staff
    ) -> None:
        key = await finance_key(client, admin.headers)
        response = await client.get(
            "/api/v1/billing/invoices", headers={**admin.headers, **key_headers(key)}
        )
        assert response.status_code == 401


class TestPurposes:
    async def test_the_request_names_one_of_the_keys_purposes(
        self, client: httpx.AsyncClient, admin: Staff
    ) -> None:
        key = await finance_key(client, admin.headers, purposes=["invoicing", "debt_collection"])
        feed = "/api/v1/billing/invoices"

        missing = await client.get(feed, headers=key_headers(key))
        assert missing.status_code == 400
        assert missing.json()["type"].endswith("/purpose-required")
        unknown = await client.get(feed, headers=key_headers(key, "marketing"))
        assert unknown.status_code == 422
        not_granted = await client.get(feed, headers=key_headers(key, "credit_decision"))
        assert not_granted.status_code == 403
        assert (
            await client.get(feed, headers=key_headers(key, "debt_collection"))
        ).status_code == 200

    async def test_a_single_purpose_needs_no_header(
        self, client: httpx.AsyncClient, admin: Staff
    ) -> None:
        key = await finance_key(client, admin.headers, purposes=["credit_decision"])
        feed = "/api/v1/billing/invoices"
        assert (await client.get(feed, headers=key_headers(key))).status_code == 200
        assert (await client.get(feed, headers=key_headers(key, "invoicing"))).status_code == 403


class TestWebShop:
    async def test_creates_customers_with_source_web_shop_and_looks_them_up(
        self, client: httpx.AsyncClient, admin: Staff, privacy_officer: Staff
    ) -> None:
        key = await web_shop_key(client, admin.headers)
        body = customer_body(source="shop", email="Aino.Web@Example.fi")

        created = await client.post("/api/v1/customers", json=body, headers=key_headers(key))
        assert created.status_code == 201
        customer = created.json()
        # The web shop sees what the shop shows its user; the register records the source.
        assert customer["source"] is None
        assert customer["legal_basis"] is None
        assert customer["email"] == "Aino.Web@example.fi"
        stored = await client.get(
            f"/api/v1/customers/{customer['id']}", headers=privacy_officer.headers
        )
        assert stored.json()["source"] == "web_shop"

        found = await client.post(
            "/api/v1/customers/lookup",
            json={"email": "aino.web@example.FI"},
            headers=key_headers(key),
        )
        assert found.status_code == 200
        assert found.json() == customer
        assert found.headers["etag"] == '"1"'
        missing = await client.post(
            "/api/v1/customers/lookup",
            json={"email": "nobody@example.fi"},
            headers=key_headers(key),
        )
        assert missing.status_code == 404

        changed = await client.patch(
            f"/api/v1/customers/{customer['id']}",
            json={"phone": "+358501234567", "source": "customer_notice"},
            headers={**key_headers(key), "If-Match": '"1"'},
        )
        # The source, as every field only the register decides, is not the web shop's.
        assert changed.status_code == 403
        assert changed.json()["type"].endswith("/fields-not-allowed")
        changed = await client.patch(
            f"/api/v1/customers/{customer['id']}",
            json={"phone": "+358501234567"},
            headers={**key_headers(key), "If-Match": '"1"'},
        )
        assert changed.status_code == 200
        assert changed.json()["phone"] == "+358501234567"

        events = await audit_events(client, privacy_officer.headers, customer_id=customer["id"])
        assert [(event["action"], event["actor_type"], event["actor_id"]) for event in events] == [
            ("create", "api_key", key["id"]),
            ("read", "user", privacy_officer.id),
            ("read", "api_key", key["id"]),
            ("update", "api_key", key["id"]),
        ]

    async def test_creates_orders_of_its_own_channel_only(
        self, client: httpx.AsyncClient, admin: Staff, staff: Staff
    ) -> None:
        key = await web_shop_key(client, admin.headers)
        customer = await create_customer(client, key_headers(key), customer_body())

        order = await create_order(client, key_headers(key), order_body(customer["id"]))
        assert order["channel"] == "web_shop"
        other_channel = await client.post(
            "/api/v1/orders",
            json=order_body(customer["id"], channel="shop"),
            headers=key_headers(key),
        )
        assert other_channel.status_code == 422

    async def test_scopes_are_enforced(
        self, client: httpx.AsyncClient, admin: Staff, staff: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        recipient = await create_recipient(client, admin.headers, role="web_shop_operator")
        lookup_only = await create_api_key(
            client, admin.headers, recipient["id"], scopes=["customers:lookup"]
        )
        headers = key_headers(lookup_only)
        await link_customer(client, admin.headers, customer["id"], recipient["id"])

        assert (
            await client.post("/api/v1/customers", json=customer_body(), headers=headers)
        ).status_code == 403
        assert (
            await client.post("/api/v1/orders", json=order_body(customer["id"]), headers=headers)
        ).status_code == 403
        assert (await client.get("/api/v1/billing/invoices", headers=headers)).status_code == 403
        # Staff-only routes do not look at API keys at all.
        assert (
            await client.get(f"/api/v1/customers/{customer['id']}", headers=headers)
        ).status_code == 401
        assert (await client.get("/api/v1/customers", headers=headers)).status_code == 401
        assert (
            await client.post(
                "/api/v1/customers/lookup", json={"email": customer["email"]}, headers=headers
            )
        ).status_code == 200

    async def test_idempotent_customer_create(
        self, client: httpx.AsyncClient, admin: Staff, staff: Staff, privacy_officer: Staff
    ) -> None:
        key = await web_shop_key(client, admin.headers)
        body = customer_body()
        headers = {**key_headers(key), "Idempotency-Key": str(uuid.uuid4())}

        first = await client.post("/api/v1/customers", json=body, headers=headers)
        retry = await client.post("/api/v1/customers", json=body, headers=headers)
        changed = await client.post(
            "/api/v1/customers", json={**body, "first_name": "Ilona"}, headers=headers
        )

        assert first.status_code == retry.status_code == 201
        assert retry.json() == first.json()
        assert retry.headers["idempotent-replayed"] == "true"
        assert changed.status_code == 422
        found = await client.get(
            "/api/v1/customers", params={"email": body["email"]}, headers=staff.headers
        )
        assert len(found.json()["items"]) == 1
        customer_id = first.json()["id"]
        # The replay handed the data over again: audited, and a disclosure.
        events = await audit_events(client, privacy_officer.headers, customer_id=customer_id)
        assert [event["action"] for event in events if event["actor_type"] == "api_key"] == [
            "create",
            "read",
        ]
        rows = await disclosures(client, privacy_officer.headers, customer_id=customer_id)
        assert len(rows) == 2

    async def test_concurrent_duplicate_customer_creates_make_one_customer(
        self, client: httpx.AsyncClient, admin: Staff, staff: Staff
    ) -> None:
        key = await web_shop_key(client, admin.headers)
        body = customer_body()
        headers = {**key_headers(key), "Idempotency-Key": "customer-concurrent"}
        responses: list[httpx.Response] = []

        async def send() -> None:
            responses.append(await client.post("/api/v1/customers", json=body, headers=headers))

        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(send)

        assert {response.status_code for response in responses} <= {201, 409}
        created = {response.json()["id"] for response in responses if response.status_code == 201}
        assert len(created) == 1
        found = await client.get(
            "/api/v1/customers", params={"email": body["email"]}, headers=staff.headers
        )
        assert [item["id"] for item in found.json()["items"]] == list(created)


class TestFinancePartner:
    async def test_billing_view_has_no_extra_fields(
        self, client: httpx.AsyncClient, admin: Staff, staff: Staff
    ) -> None:
        key = await finance_key(client, admin.headers)
        company = await create_customer(
            client,
            staff.headers,
            customer_body(
                type="company",
                organisation={"name": "Esimerkki Oy", "business_id": "0112038-9"},
                language="sv",
            ),
        )
        order = await create_order(client, staff.headers, order_body(company["id"]))

        billing = await client.get(
            f"/api/v1/billing/customers/{company['id']}", headers=key_headers(key)
        )
        assert billing.status_code == 200
        assert set(billing.json()) == {"id"} | BILLING_FIELDS
        assert billing.json()["organisation"] == company["organisation"]
        assert billing.json()["address"] == company["address"]

        billed_order = await client.get(
            f"/api/v1/billing/orders/{order['id']}", headers=key_headers(key)
        )
        assert billed_order.status_code == 200
        assert set(billed_order.json()["customer"]) == {"id"} | BILLING_FIELDS
        assert billed_order.headers["etag"] == '"1"'
        for forbidden in (company["phone"], "legal_basis", "language", "relationship_started_on"):
            assert forbidden not in billing.text
            assert forbidden not in billed_order.text

    async def test_customers_without_invoices_are_not_visible(
        self, client: httpx.AsyncClient, admin: Staff, staff: Staff
    ) -> None:
        key = await finance_key(client, admin.headers)
        customer = await create_customer(client, staff.headers, customer_body())
        shop_order = await create_order(
            client, staff.headers, order_body(customer["id"], channel="shop", invoice=None)
        )

        assert (
            await client.get(
                f"/api/v1/billing/customers/{customer['id']}", headers=key_headers(key)
            )
        ).status_code == 404
        assert (
            await client.get(f"/api/v1/billing/orders/{shop_order['id']}", headers=key_headers(key))
        ).status_code == 404
        orders = await client.get(
            f"/api/v1/billing/customers/{customer['id']}/orders", headers=key_headers(key)
        )
        assert orders.json()["items"] == []

    async def test_finance_sets_paid_and_in_collection_only(
        self, client: httpx.AsyncClient, admin: Staff, staff: Staff
    ) -> None:
        key = await finance_key(client, admin.headers, purposes=["invoicing", "debt_collection"])
        customer = await create_customer(client, staff.headers, customer_body())
        order = await create_order(client, staff.headers, order_body(customer["id"]))
        url = f"/api/v1/orders/{order['id']}/invoice-status"

        credited = await client.post(
            url,
            json={"status": "credited"},
            headers={**key_headers(key, "invoicing"), "If-Match": '"1"'},
        )
        assert credited.status_code == 403
        collection = await client.post(
            url,
            json={"status": "in_collection"},
            headers={**key_headers(key, "debt_collection"), "If-Match": '"1"'},
        )
        assert collection.status_code == 200
        paid = await client.post(
            url,
            json={"status": "paid"},
            headers={**key_headers(key, "invoicing"), "If-Match": '"2"'},
        )
        assert paid.status_code == 200
        assert (
            await client.post(
                f"/api/v1/orders/{order['id']}/status",
                json={"status": "delivered"},
                headers={**key_headers(key, "invoicing"), "If-Match": '"3"'},
            )
        ).status_code == 403

        history = await client.get(
            f"/api/v1/orders/{order['id']}/invoice-history", headers=staff.headers
        )
        assert [
            (step["to_status"], step["actor_type"], step["actor_id"]) for step in history.json()
        ] == [
            ("open", "user", staff.id),
            ("in_collection", "api_key", key["id"]),
            ("paid", "api_key", key["id"]),
        ]

    async def test_disclosures_name_exactly_the_customers_and_fields_received(
        self, client: httpx.AsyncClient, admin: Staff, staff: Staff, privacy_officer: Staff
    ) -> None:
        key = await finance_key(client, admin.headers, purposes=ALL_PURPOSES)
        person = await create_customer(client, staff.headers, customer_body(phone=None))
        no_address = await create_customer(client, staff.headers, customer_body(address=None))
        bystander = await create_customer(client, staff.headers, customer_body())
        first = await create_order(client, staff.headers, order_body(person["id"]))
        second = await create_order(client, staff.headers, order_body(person["id"]))
        third = await create_order(client, staff.headers, order_body(no_address["id"]))
        await create_order(
            client, staff.headers, order_body(bystander["id"], channel="shop", invoice=None)
        )

        feed = await client.get(
            "/api/v1/billing/invoices",
            headers={**key_headers(key, "invoicing"), "X-Request-ID": "feed-1"},
        )
        assert feed.status_code == 200
        assert [item["id"] for item in feed.json()["items"]] == [
            first["id"],
            second["id"],
            third["id"],
        ]

        rows = await disclosures(client, privacy_officer.headers, recipient_id=key["recipient_id"])
        order_fields = {
            f"order.{name}"
            # What invoicing needs of an order: no channel or delivery status.
            for name in ("number", "ordered_on", "currency", "lines", "totals", "invoice")
        }
        assert {row["customer_id"]: set(row["fields"]) for row in rows} == {
            # Private persons: no organisation; fields without data are not disclosed; no
            # e-mail for invoicing.
            person["id"]: (BILLING_FIELDS - {"organisation", "email"}) | order_fields,
            no_address["id"]: (BILLING_FIELDS - {"organisation", "address", "email"})
            | order_fields,
        }
        assert len(rows) == 2  # one row per data subject per response
        assert {row["purpose"] for row in rows} == {"invoicing"}
        assert {row["api_key_id"] for row in rows} == {key["id"]}
        assert {row["request_id"] for row in rows} == {"feed-1"}
        assert await disclosures(client, privacy_officer.headers, customer_id=bystander["id"]) == []

        # The audit log records the same reads with the purpose.
        events = await audit_events(client, privacy_officer.headers, customer_id=person["id"])
        partner_reads = [event for event in events if event["actor_type"] == "api_key"]
        assert {(event["entity"], event["purpose"]) for event in partner_reads} == {
            ("order", "invoicing"),
            ("customer", "invoicing"),
        }

    async def test_staff_requests_are_not_disclosures(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        await create_order(client, staff.headers, order_body(customer["id"]))
        await client.get(f"/api/v1/customers/{customer['id']}/orders", headers=staff.headers)
        assert await disclosures(client, privacy_officer.headers, customer_id=customer["id"]) == []

    async def test_invoice_feed_pages_and_resumes_from_its_cursor(
        self, client: httpx.AsyncClient, admin: Staff, staff: Staff
    ) -> None:
        key = await finance_key(client, admin.headers)
        customer = await create_customer(client, staff.headers, customer_body())
        orders = [
            await create_order(client, staff.headers, order_body(customer["id"])) for _ in range(3)
        ]
        feed = "/api/v1/billing/invoices"

        first_page = (await client.get(feed, params={"limit": 2}, headers=key_headers(key))).json()
        assert [item["id"] for item in first_page["items"]] == [orders[0]["id"], orders[1]["id"]]
        assert first_page["has_more"] is True
        second_page = (
            await client.get(
                feed,
                params={"limit": 2, "cursor": first_page["next_cursor"]},
                headers=key_headers(key),
            )
        ).json()
        assert [item["id"] for item in second_page["items"]] == [orders[2]["id"]]
        assert second_page["has_more"] is False
        caught_up = (
            await client.get(
                feed, params={"cursor": second_page["next_cursor"]}, headers=key_headers(key)
            )
        ).json()
        assert caught_up["items"] == []
        assert caught_up["next_cursor"] == second_page["next_cursor"]

        # A change moves the order to the end of the feed.
        await client.post(
            f"/api/v1/orders/{orders[0]['id']}/invoice-status",
            json={"status": "paid"},
            headers={**staff.headers, "If-Match": '"1"'},
        )
        changes = (
            await client.get(
                feed, params={"cursor": caught_up["next_cursor"]}, headers=key_headers(key)
            )
        ).json()
        assert [(item["id"], item["invoice"]["status"]) for item in changes["items"]] == [
            (orders[0]["id"], "paid")
        ]
        only_open = (
            await client.get(feed, params={"invoice_status": "open"}, headers=key_headers(key))
        ).json()
        assert [item["id"] for item in only_open["items"]] == [orders[1]["id"], orders[2]["id"]]

        bad = await client.get(feed, params={"cursor": "bm9wZQ"}, headers=key_headers(key))
        assert bad.status_code == 422


async def test_feed_holds_back_the_newest_changes(
    client: httpx.AsyncClient, admin: Staff, staff: Staff, database_url: str
) -> None:
    from pydantic import SecretStr

    from customer_registry.app import create_app

    delayed = create_app(
        Settings(
            database_url=database_url,
            secret_key=SecretStr(TEST_SECRET),
            invoice_feed_delay_seconds=60,
        )
    )
    key = await finance_key(client, admin.headers)
    customer = await create_customer(client, staff.headers, customer_body())
    await create_order(client, staff.headers, order_body(customer["id"]))
    transport = httpx.ASGITransport(app=delayed)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as other:
            response = await other.get("/api/v1/billing/invoices", headers=key_headers(key))
    finally:
        await delayed.state.engine.dispose()
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_openapi_documents_both_schemes_where_keys_are_accepted() -> None:
    document = json.loads(openapi_document())
    schemes = document["components"]["securitySchemes"]
    assert schemes["APIKeyHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": schemes["APIKeyHeader"]["description"],
    }

    def security(method: str, path: str) -> list[str]:
        return sorted(
            name for entry in document["paths"][path][method]["security"] for name in entry
        )

    both = ["APIKeyHeader", "OAuth2PasswordBearer"]
    assert security("post", "/api/v1/customers") == both
    assert security("post", "/api/v1/orders") == both
    assert security("get", "/api/v1/billing/invoices") == both
    bearer_only = ["OAuth2PasswordBearer"]
    assert security("get", "/api/v1/users") == bearer_only
    assert security("get", "/api/v1/audit-events") == bearer_only
    assert security("post", "/api/v1/recipients") == bearer_only
    assert security("get", "/api/v1/customers/{customer_id}") == bearer_only


def test_scopes_of_the_helpers_are_the_documented_ones() -> None:
    document = json.loads(openapi_document())
    scopes = document["components"]["schemas"]["ApiKeyScope"]["enum"]
    assert set(WEB_SHOP_SCOPES) | set(FINANCE_SCOPES) == set(scopes)
