"""The flows the processing policy governs, end to end over HTTP: a restricted customer, a
partially erased one, the partner's purpose deciding the fields, rectification under a
restriction, and the web shop's reach."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import (
    Staff,
    audit_events,
    create_customer,
    create_order,
    customer_body,
    disclosures,
    finance_key,
    key_headers,
    link_customer,
    order_body,
    web_shop_key,
)

pytestmark = pytest.mark.anyio

REQUESTS = "/api/v1/gdpr-requests"


@pytest.fixture
def settings(settings: Any) -> Any:
    return settings.model_copy(update={"invoice_feed_delay_seconds": 0})


async def restrict(client: httpx.AsyncClient, officer: Staff, customer_id: str) -> None:
    response = await client.put(
        f"/api/v1/customers/{customer_id}/restriction",
        json={"reason": "The customer contests the address.", "ground": "accuracy_contested"},
        headers=officer.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["ground"] == "accuracy_contested"


async def move_invoice(
    client: httpx.AsyncClient, headers: dict[str, str], order: dict[str, Any], status: str
) -> None:
    response = await client.post(
        f"/api/v1/orders/{order['id']}/invoice-status",
        json={"status": status},
        headers={**headers, "If-Match": f'"{order["version"]}"'},
    )
    assert response.status_code == 200, response.text


def problem_type(response: httpx.Response) -> str:
    return str(response.json()["type"]).rsplit("/", 1)[-1]


class TestRestrictedCustomer:
    async def test_gets_no_new_orders_from_staff_or_the_web_shop(
        self, client: httpx.AsyncClient, admin: Staff, staff: Staff, privacy_officer: Staff
    ) -> None:
        key = await web_shop_key(client, admin.headers)
        customer = await create_customer(client, key_headers(key), customer_body())
        await restrict(client, privacy_officer, customer["id"])

        for headers in (staff.headers, key_headers(key)):
            response = await client.post(
                "/api/v1/orders", json=order_body(customer["id"]), headers=headers
            )
            assert response.status_code == 409
            assert problem_type(response) == "customer-restricted"
            assert "Art. 18" in response.json()["detail"]
        orders = await client.get(
            "/api/v1/orders",
            params={"customer_id": customer["id"], "purpose": "legal_claims"},
            headers=privacy_officer.headers,
        )
        assert orders.json()["items"] == []

    async def test_order_history_needs_the_officers_stated_purpose(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        order = await create_order(client, staff.headers, order_body(customer["id"]))
        await restrict(client, privacy_officer, customer["id"])

        for path, params in (
            (f"/api/v1/customers/{customer['id']}/orders", {}),
            ("/api/v1/orders", {"customer_id": customer["id"]}),
            (f"/api/v1/orders/{order['id']}", {}),
        ):
            refused = await client.get(path, params=params, headers=staff.headers)
            assert refused.status_code == 403, path
            assert problem_type(refused) == "customer-restricted"
            unstated = await client.get(path, params=params, headers=privacy_officer.headers)
            assert unstated.status_code == 403, path
            stated = await client.get(
                path, params={**params, "purpose": "legal_claims"}, headers=privacy_officer.headers
            )
            assert stated.status_code == 200, path
        everyone = await client.get("/api/v1/orders", headers=staff.headers)
        assert order["id"] not in {item["id"] for item in everyone.json()["items"]}

        events = await audit_events(
            client, privacy_officer.headers, customer_id=customer["id"], action="read"
        )
        assert {event["purpose"] for event in events if event["entity"] == "order"} == {
            "legal_claims"
        }

    async def test_is_disclosed_only_for_the_claim_in_collection(
        self, client: httpx.AsyncClient, admin: Staff, staff: Staff, privacy_officer: Staff
    ) -> None:
        key = await finance_key(
            client, admin.headers, purposes=["invoicing", "credit_decision", "debt_collection"]
        )
        customer = await create_customer(client, staff.headers, customer_body())
        billed = await create_order(client, staff.headers, order_body(customer["id"]))
        claimed = await create_order(client, staff.headers, order_body(customer["id"]))
        await move_invoice(client, staff.headers, claimed, "in_collection")
        await restrict(client, privacy_officer, customer["id"])

        for purpose in ("invoicing", "credit_decision"):
            view = await client.get(
                f"/api/v1/billing/customers/{customer['id']}", headers=key_headers(key, purpose)
            )
            assert view.status_code == 403, purpose
            assert problem_type(view) == "customer-restricted"
            feed = await client.get("/api/v1/billing/invoices", headers=key_headers(key, purpose))
            assert feed.json()["items"] == [], purpose
        collection = key_headers(key, "debt_collection")
        feed = await client.get("/api/v1/billing/invoices", headers=collection)
        assert [item["id"] for item in feed.json()["items"]] == [claimed["id"]]
        refused = await client.get(f"/api/v1/billing/orders/{billed['id']}", headers=collection)
        assert refused.status_code == 403

        rows = await disclosures(client, privacy_officer.headers, customer_id=customer["id"])
        assert {row["purpose"] for row in rows} == {"debt_collection"}

    async def test_is_rectified_by_the_privacy_officer_and_stays_restricted(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        await restrict(client, privacy_officer, customer["id"])
        change = {"address": {"street": "Oikea katu 2", "postal_code": "00200", "city": "Espoo"}}

        by_staff = await client.patch(
            f"/api/v1/customers/{customer['id']}",
            json=change,
            headers={**staff.headers, "If-Match": '"1"'},
        )
        assert by_staff.status_code == 409
        corrected = await client.patch(
            f"/api/v1/customers/{customer['id']}",
            json=change,
            headers={**privacy_officer.headers, "If-Match": '"1"'},
        )
        assert corrected.status_code == 200, corrected.text
        assert corrected.json()["address"]["city"] == "Espoo"
        assert corrected.json()["restricted_at"] is not None

        restriction = await client.get(
            f"/api/v1/customers/{customer['id']}/restriction", headers=privacy_officer.headers
        )
        assert restriction.json()["restricted"] is True
        events = await audit_events(
            client, privacy_officer.headers, customer_id=customer["id"], action="update"
        )
        assert [(event["actor_id"], event["fields"]) for event in events] == [
            (privacy_officer.id, ["address"])
        ]


class TestPartiallyErasedCustomer:
    async def test_is_processed_only_for_the_open_invoice(
        self, client: httpx.AsyncClient, admin: Staff, staff: Staff, privacy_officer: Staff
    ) -> None:
        key = await finance_key(
            client, admin.headers, purposes=["invoicing", "credit_decision", "debt_collection"]
        )
        customer = await create_customer(client, staff.headers, customer_body())
        billed = await create_order(client, staff.headers, order_body(customer["id"]))
        submitted = await client.post(
            REQUESTS,
            json={"type": "erasure", "customer_id": customer["id"], "channel": "email"},
            headers=staff.headers,
        )
        request_id = submitted.json()["id"]
        verified = await client.post(
            f"{REQUESTS}/{request_id}/verify",
            json={"method": "registered_email_address"},
            headers=privacy_officer.headers,
        )
        assert verified.status_code == 200, verified.text
        completed = await client.post(
            f"{REQUESTS}/{request_id}/complete", json={}, headers=privacy_officer.headers
        )
        assert completed.json()["outcome"]["result"] == "partially_erased"

        credit = await client.get(
            "/api/v1/billing/invoices", headers=key_headers(key, "credit_decision")
        )
        assert credit.json()["items"] == []
        refused = await client.get(
            f"/api/v1/billing/customers/{customer['id']}",
            headers=key_headers(key, "credit_decision"),
        )
        assert refused.status_code == 403
        invoicing = await client.get(
            "/api/v1/billing/invoices", headers=key_headers(key, "invoicing")
        )
        assert [item["id"] for item in invoicing.json()["items"]] == [billed["id"]]
        new_order = await client.post(
            "/api/v1/orders", json=order_body(customer["id"]), headers=staff.headers
        )
        assert new_order.status_code == 409


class TestPurposeDecidesTheFields:
    async def test_each_purpose_receives_what_it_needs_and_the_register_logs_exactly_that(
        self, client: httpx.AsyncClient, admin: Staff, staff: Staff, privacy_officer: Staff
    ) -> None:
        key = await finance_key(
            client, admin.headers, purposes=["invoicing", "credit_decision", "debt_collection"]
        )
        customer = await create_customer(
            client,
            staff.headers,
            customer_body(
                type="company", organisation={"name": "Laskutus Oy", "business_id": "1234567-1"}
            ),
        )
        order = await create_order(client, staff.headers, order_body(customer["id"]))

        sent: dict[str, dict[str, Any]] = {}
        for purpose in ("invoicing", "credit_decision", "debt_collection"):
            response = await client.get(
                f"/api/v1/billing/orders/{order['id']}", headers=key_headers(key, purpose)
            )
            assert response.status_code == 200, response.text
            sent[purpose] = response.json()
        invoicing, credit, collection = (
            sent["invoicing"],
            sent["credit_decision"],
            sent["debt_collection"],
        )
        assert invoicing["lines"]
        assert invoicing["customer"]["address"]
        assert invoicing["customer"]["email"] is None
        assert credit["lines"] is None
        assert credit["customer"]["address"] is None
        assert credit["customer"]["organisation"]["business_id"] == "1234567-1"
        assert credit["invoice"]["status"] == "open"
        assert collection["customer"]["email"] == customer["email"]

        rows = await disclosures(client, privacy_officer.headers, customer_id=customer["id"])
        by_purpose = {row["purpose"]: set(row["fields"]) for row in rows}
        for purpose, body in sent.items():
            fields = {
                name for name, value in body["customer"].items() if value and name != "id"
            } | {
                f"order.{name}"
                for name in ("number", "ordered_on", "currency", "lines", "totals", "invoice")
                if body[name] is not None
            }
            assert by_purpose[purpose] == fields, purpose


class TestWebShopReach:
    async def test_acts_only_on_customers_it_created_or_was_linked_to(
        self, client: httpx.AsyncClient, admin: Staff, staff: Staff, privacy_officer: Staff
    ) -> None:
        key = await web_shop_key(client, admin.headers)
        own = await create_customer(client, key_headers(key), customer_body())
        other = await create_customer(client, staff.headers, customer_body())

        refused = await client.patch(
            f"/api/v1/customers/{other['id']}",
            json={"email": "attacker@example.com"},
            headers={**key_headers(key), "If-Match": '"1"'},
        )
        assert refused.status_code == 403
        assert problem_type(refused) == "customer-not-linked"
        looked_up = await client.post(
            "/api/v1/customers/lookup", json={"email": other["email"]}, headers=key_headers(key)
        )
        assert looked_up.status_code == 404
        order = await client.post(
            "/api/v1/orders", json=order_body(other["id"]), headers=key_headers(key)
        )
        assert order.status_code == 403
        unchanged = await client.get(f"/api/v1/customers/{other['id']}", headers=staff.headers)
        assert unchanged.json()["email"] == other["email"]
        assert unchanged.json()["version"] == 1
        assert await disclosures(client, privacy_officer.headers, customer_id=other["id"]) == []

        register_field = await client.patch(
            f"/api/v1/customers/{own['id']}",
            json={"legal_basis": "consent"},
            headers={**key_headers(key), "If-Match": '"1"'},
        )
        assert register_field.status_code == 403
        assert problem_type(register_field) == "fields-not-allowed"
        allowed = await client.patch(
            f"/api/v1/customers/{own['id']}",
            json={"phone": "+358409998877"},
            headers={**key_headers(key), "If-Match": '"1"'},
        )
        assert allowed.status_code == 200

        await link_customer(client, privacy_officer.headers, other["id"], key["recipient_id"])
        linked = await client.post(
            "/api/v1/customers/lookup", json={"email": other["email"]}, headers=key_headers(key)
        )
        assert linked.status_code == 200
        created = await create_order(client, key_headers(key), order_body(other["id"]))
        rows = await disclosures(client, privacy_officer.headers, customer_id=other["id"])
        assert rows
        assert {row["purpose"] for row in rows} == {"web_shop_service"}
        assert created["customer_id"] == other["id"]
