"""Orders: totals to the cent, transitions, invoice history, lists, audit, idempotency (R1, R9)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from customer_registry.models import IdempotencyKey
from customer_registry.models.base import utcnow
from tests.factories import (
    TEST_SECRET,
    Staff,
    audit_events,
    create_customer,
    create_order,
    customer_body,
    order_body,
)
from tests.processes import run

pytestmark = pytest.mark.anyio


def line(quantity: int, unit_price: str, vat_rate: str, code: str = "P-1") -> dict[str, Any]:
    return {
        "product_code": code,
        "product_name": "Tuote",
        "quantity": quantity,
        "unit_price": unit_price,
        "vat_rate": vat_rate,
    }


@pytest.fixture
async def customer(client: httpx.AsyncClient, staff: Staff) -> dict[str, Any]:
    return await create_customer(client, staff.headers, customer_body())


class TestTotals:
    @pytest.mark.parametrize(
        ("quantity", "unit_price", "vat_rate", "net", "vat", "gross"),
        [
            # 2.97 x 25.5 % = 0.75735 -> 0.76
            (3, "0.99", "25.5", "2.97", "0.76", "3.73"),
            # 2.97 x 14 % = 0.4158 -> 0.42
            (3, "0.99", "14", "2.97", "0.42", "3.39"),
            # 2.97 x 10 % = 0.297 -> 0.30
            (3, "0.99", "10", "2.97", "0.30", "3.27"),
            # exactly half a cent rounds up: 0.05 x 10 % = 0.005 -> 0.01
            (1, "0.05", "10", "0.05", "0.01", "0.06"),
            # 0.02 x 25 % = 0.005 -> 0.01 (bankers' rounding would give 0.00)
            (1, "0.02", "25", "0.02", "0.01", "0.03"),
            # 0.30 x 25.5 % = 0.0765 -> 0.08
            (1, "0.30", "25.5", "0.30", "0.08", "0.38"),
            (7, "19.99", "0", "139.93", "0.00", "139.93"),
            (100000, "1000000", "25.5", "100000000000.00", "25500000000.00", "125500000000.00"),
        ],
    )
    async def test_line_amounts_are_exact_to_the_cent(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        customer: dict[str, Any],
        quantity: int,
        unit_price: str,
        vat_rate: str,
        net: str,
        vat: str,
        gross: str,
    ) -> None:
        body = order_body(customer["id"], lines=[line(quantity, unit_price, vat_rate)])
        order = await create_order(client, staff.headers, body)

        (stored,) = order["lines"]
        assert (stored["net"], stored["vat"], stored["gross"]) == (net, vat, gross)
        assert order["totals"] == {"net": net, "vat": vat, "gross": gross}

    async def test_order_totals_are_the_sums_of_rounded_lines(
        self, client: httpx.AsyncClient, staff: Staff, customer: dict[str, Any]
    ) -> None:
        lines = [
            line(3, "0.99", "25.5", "A"),  # 2.97 + 0.76
            line(3, "0.99", "14", "B"),  # 2.97 + 0.42
            line(3, "0.99", "10", "C"),  # 2.97 + 0.30
            line(1, "0.01", "25.5", "D"),  # 0.01 + 0.00 (0.00255)
        ]
        order = await create_order(client, staff.headers, order_body(customer["id"], lines=lines))

        assert order["totals"] == {"net": "8.92", "vat": "1.48", "gross": "10.40"}
        assert [item["position"] for item in order["lines"]] == [1, 2, 3, 4]
        assert order["lines"][0]["vat_rate"] == "25.50"
        assert order["lines"][0]["unit_price"] == "0.99"
        read = await client.get(f"/api/v1/orders/{order['id']}", headers=staff.headers)
        assert read.json() == order

    async def test_numbers_in_json_are_taken_as_decimals(
        self, client: httpx.AsyncClient, staff: Staff, customer: dict[str, Any]
    ) -> None:
        body = order_body(customer["id"], lines=[line(3, "0", "0")])
        body["lines"][0].update(unit_price=0.99, vat_rate=25.5)

        order = await create_order(client, staff.headers, body)

        assert order["totals"] == {"net": "2.97", "vat": "0.76", "gross": "3.73"}

    @pytest.mark.parametrize(
        ("change", "location"),
        [
            ({"unit_price": "0.999"}, ["body", "lines", 0, "unit_price"]),
            ({"unit_price": "-1"}, ["body", "lines", 0, "unit_price"]),
            ({"unit_price": "NaN"}, ["body", "lines", 0, "unit_price"]),
            ({"vat_rate": "25.555"}, ["body", "lines", 0, "vat_rate"]),
            ({"vat_rate": "101"}, ["body", "lines", 0, "vat_rate"]),
            ({"quantity": 0}, ["body", "lines", 0, "quantity"]),
            ({"quantity": 2**40}, ["body", "lines", 0, "quantity"]),
            ({"product_name": "Kah\u0000vi"}, ["body", "lines", 0, "product_name"]),
        ],
    )
    async def test_invalid_lines_are_rejected(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        customer: dict[str, Any],
        change: dict[str, Any],
        location: list[Any],
    ) -> None:
        body = order_body(customer["id"])
        body["lines"][0].update(change)

        response = await client.post("/api/v1/orders", json=body, headers=staff.headers)

        assert response.status_code == 422
        errors = response.json()["errors"]
        assert any(error["loc"][: len(location)] == location for error in errors), errors


class TestCreate:
    async def test_defaults_and_invoice(
        self, client: httpx.AsyncClient, staff: Staff, customer: dict[str, Any]
    ) -> None:
        body = order_body(customer["id"])
        response = await client.post("/api/v1/orders", json=body, headers=staff.headers)

        assert response.status_code == 201
        order = response.json()
        assert response.headers["etag"] == '"1"'
        assert response.headers["location"] == f"/api/v1/orders/{order['id']}"
        assert order["currency"] == "EUR"
        assert order["status"] == "placed"
        assert order["customer_id"] == customer["id"]
        invoice = order["invoice"]
        assert invoice["status"] == "open"
        assert (invoice["number"], invoice["issued_on"], invoice["due_on"]) == (
            body["invoice"]["number"],
            "2026-11-20",
            "2026-12-04",
        )

    async def test_reseller_orders_name_the_reseller(
        self, client: httpx.AsyncClient, staff: Staff, customer: dict[str, Any]
    ) -> None:
        without_name = order_body(customer["id"], channel="reseller")
        with_name = order_body(customer["id"], channel="reseller", reseller_name="Jälleenmyyjä Oy")
        name_elsewhere = order_body(customer["id"], channel="shop", reseller_name="Jälleenmyyjä")

        assert (
            await client.post("/api/v1/orders", json=without_name, headers=staff.headers)
        ).status_code == 422
        assert (
            await client.post("/api/v1/orders", json=name_elsewhere, headers=staff.headers)
        ).status_code == 422
        order = await create_order(client, staff.headers, with_name)
        assert order["reseller_name"] == "Jälleenmyyjä Oy"

    @pytest.mark.parametrize(
        "change",
        [
            {"currency": "eur"},
            {"currency": "EURO"},
            {"lines": []},
            {"invoice": {"number": "I-1", "issued_on": "2026-11-20", "due_on": "2026-11-19"}},
            {"delivery_notes": "leave at the door"},
        ],
    )
    async def test_invalid_orders_are_rejected(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        customer: dict[str, Any],
        change: dict[str, Any],
    ) -> None:
        body = order_body(customer["id"], **change)
        response = await client.post("/api/v1/orders", json=body, headers=staff.headers)
        assert response.status_code == 422

    async def test_unknown_customer_is_422_and_duplicate_numbers_409(
        self, client: httpx.AsyncClient, staff: Staff, customer: dict[str, Any]
    ) -> None:
        unknown = order_body("0190f0f0-0000-7000-8000-000000000000")
        response = await client.post("/api/v1/orders", json=unknown, headers=staff.headers)
        assert response.status_code == 422

        first = await create_order(client, staff.headers, order_body(customer["id"]))
        same_number = order_body(customer["id"], number=first["number"])
        same_invoice = order_body(customer["id"])
        same_invoice["invoice"]["number"] = first["invoice"]["number"]
        for body in (same_number, same_invoice):
            response = await client.post("/api/v1/orders", json=body, headers=staff.headers)
            assert response.status_code == 409
            assert response.headers["content-type"] == "application/problem+json"

    async def test_order_without_invoice(
        self, client: httpx.AsyncClient, staff: Staff, customer: dict[str, Any]
    ) -> None:
        order = await create_order(
            client, staff.headers, order_body(customer["id"], channel="shop", invoice=None)
        )
        assert order["invoice"] is None

        response = await client.post(
            f"/api/v1/orders/{order['id']}/invoice-status",
            json={"status": "paid"},
            headers={**staff.headers, "If-Match": '"1"'},
        )
        assert response.status_code == 409


class TestStatus:
    async def test_transitions_need_if_match_and_follow_the_rules(
        self, client: httpx.AsyncClient, staff: Staff, customer: dict[str, Any]
    ) -> None:
        order = await create_order(client, staff.headers, order_body(customer["id"]))
        url = f"/api/v1/orders/{order['id']}/status"

        missing = await client.post(url, json={"status": "delivered"}, headers=staff.headers)
        assert missing.status_code == 428
        stale = await client.post(
            url, json={"status": "delivered"}, headers={**staff.headers, "If-Match": '"7"'}
        )
        assert stale.status_code == 412
        delivered = await client.post(
            url, json={"status": "delivered"}, headers={**staff.headers, "If-Match": '"1"'}
        )
        assert delivered.status_code == 200
        assert delivered.json()["status"] == "delivered"
        assert delivered.headers["etag"] == '"2"'
        cancelled = await client.post(
            url, json={"status": "cancelled"}, headers={**staff.headers, "If-Match": '"2"'}
        )
        assert cancelled.status_code == 409
        returned = await client.post(
            url, json={"status": "returned"}, headers={**staff.headers, "If-Match": '"2"'}
        )
        assert returned.status_code == 200
        assert returned.json()["status"] == "returned"


class TestInvoiceHistory:
    async def test_every_step_is_kept_with_who_when_from_and_to(
        self, client: httpx.AsyncClient, staff: Staff, admin: Staff, customer: dict[str, Any]
    ) -> None:
        order = await create_order(client, staff.headers, order_body(customer["id"]))
        url = f"/api/v1/orders/{order['id']}/invoice-status"

        collection = await client.post(
            url, json={"status": "in_collection"}, headers={**staff.headers, "If-Match": '"1"'}
        )
        assert collection.status_code == 200
        assert collection.json()["invoice"]["status"] == "in_collection"
        back_to_open = await client.post(
            url, json={"status": "open"}, headers={**admin.headers, "If-Match": '"2"'}
        )
        assert back_to_open.status_code == 409
        paid = await client.post(
            url, json={"status": "paid"}, headers={**admin.headers, "If-Match": '"2"'}
        )
        assert paid.status_code == 200
        credited = await client.post(
            url, json={"status": "credited"}, headers={**staff.headers, "If-Match": '"3"'}
        )
        assert credited.status_code == 200

        history = await client.get(
            f"/api/v1/orders/{order['id']}/invoice-history", headers=staff.headers
        )
        assert history.status_code == 200
        steps = [
            (step["from_status"], step["to_status"], step["actor_type"], step["actor_id"])
            for step in history.json()
        ]
        assert steps == [
            (None, "open", "user", staff.id),
            ("open", "in_collection", "user", staff.id),
            ("in_collection", "paid", "user", admin.id),
            ("paid", "credited", "user", staff.id),
        ]
        times = [step["changed_at"] for step in history.json()]
        assert times == sorted(times)


class TestLists:
    async def test_filters_and_keyset_pages(
        self, client: httpx.AsyncClient, staff: Staff, customer: dict[str, Any]
    ) -> None:
        other = await create_customer(client, staff.headers, customer_body())
        created = []
        for day in ("2026-11-01", "2026-11-10", "2026-11-20"):
            created.append(
                await create_order(
                    client, staff.headers, order_body(customer["id"], ordered_on=day)
                )
            )
        shop_order = await create_order(
            client, staff.headers, order_body(other["id"], channel="shop", invoice=None)
        )
        await client.post(
            f"/api/v1/orders/{created[0]['id']}/invoice-status",
            json={"status": "paid"},
            headers={**staff.headers, "If-Match": '"1"'},
        )

        async def ids(url: str, **params: str) -> list[str]:
            found: list[str] = []
            query = {**params, "limit": "2"}
            while True:
                response = await client.get(url, params=query, headers=staff.headers)
                assert response.status_code == 200, response.text
                page = response.json()
                assert len(page["items"]) <= 2
                found.extend(item["id"] for item in page["items"])
                if page["next_cursor"] is None:
                    return found
                query["cursor"] = page["next_cursor"]

        everything = [order["id"] for order in created] + [shop_order["id"]]
        assert await ids("/api/v1/orders") == everything
        assert await ids(f"/api/v1/customers/{customer['id']}/orders") == everything[:3]
        assert await ids("/api/v1/orders", invoice_status="open") == everything[1:3]
        assert await ids("/api/v1/orders", invoice_status="paid") == everything[:1]
        assert await ids("/api/v1/orders", status="placed", customer_id=other["id"]) == [
            shop_order["id"]
        ]
        assert await ids("/api/v1/orders", ordered_from="2026-11-05", ordered_to="2026-11-20") == [
            everything[1],
            everything[2],
            shop_order["id"],
        ]

        unknown = await client.get(
            "/api/v1/customers/0190f0f0-0000-7000-8000-000000000000/orders",
            headers=staff.headers,
        )
        assert unknown.status_code == 404


class TestAudit:
    async def test_each_read_and_change_names_the_customer(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        privacy_officer: Staff,
        customer: dict[str, Any],
    ) -> None:
        order = await create_order(client, staff.headers, order_body(customer["id"]))
        await client.get(f"/api/v1/orders/{order['id']}", headers=staff.headers)
        await client.get(f"/api/v1/customers/{customer['id']}/orders", headers=staff.headers)
        await client.post(
            f"/api/v1/orders/{order['id']}/status",
            json={"status": "delivered"},
            headers={**staff.headers, "If-Match": '"1"'},
        )

        events = [
            event
            for event in await audit_events(
                client, privacy_officer.headers, customer_id=customer["id"]
            )
            if event["entity"] == "order"
        ]
        assert [event["action"] for event in events] == ["create", "read", "read", "update"]
        assert all(event["entity_id"] == order["id"] for event in events)
        assert all(event["actor_id"] == staff.id for event in events)
        assert events[0]["fields"] == sorted(
            ["number", "ordered_on", "channel", "currency", "status", "lines", "totals", "invoice"]
        )
        assert events[-1]["fields"] == ["status"]
        assert "Kahvi" not in str(events)


async def _age_keys(app: FastAPI, age: dt.timedelta) -> None:
    """Make every idempotency key so far `age` old."""
    async with app.state.session_factory() as session, session.begin():
        await session.execute(update(IdempotencyKey).values(created_at=utcnow() - age))


class TestIdempotency:
    async def test_retry_replays_the_first_response_and_creates_nothing(
        self, client: httpx.AsyncClient, staff: Staff, customer: dict[str, Any]
    ) -> None:
        body = order_body(customer["id"])
        headers = {**staff.headers, "Idempotency-Key": "order-attempt-1"}

        first = await client.post("/api/v1/orders", json=body, headers=headers)
        retry = await client.post("/api/v1/orders", json=body, headers=headers)

        assert first.status_code == retry.status_code == 201
        assert retry.json() == first.json()
        assert retry.headers["etag"] == first.headers["etag"]
        assert retry.headers["location"] == first.headers["location"]
        assert retry.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        listed = await client.get(
            f"/api/v1/customers/{customer['id']}/orders", headers=staff.headers
        )
        assert [order["id"] for order in listed.json()["items"]] == [first.json()["id"]]

    async def test_a_key_older_than_a_day_is_forgotten(
        self, app: FastAPI, client: httpx.AsyncClient, staff: Staff, customer: dict[str, Any]
    ) -> None:
        headers = {**staff.headers, "Idempotency-Key": "order-yesterday"}
        first = await client.post(
            "/api/v1/orders", json=order_body(customer["id"]), headers=headers
        )
        await _age_keys(app, dt.timedelta(hours=24, minutes=1))

        # Another body with the key: a new order, not a reused key (422).
        again = await client.post(
            "/api/v1/orders", json=order_body(customer["id"]), headers=headers
        )

        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json()["id"] != first.json()["id"]
        assert "idempotent-replayed" not in again.headers

    async def test_the_purge_command_deletes_keys_older_than_a_day(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        staff: Staff,
        customer: dict[str, Any],
        database_url: str,
        tmp_path: Path,
    ) -> None:
        for key in ("old-1", "old-2"):
            headers = {**staff.headers, "Idempotency-Key": key}
            body = order_body(customer["id"])
            assert (await client.post("/api/v1/orders", json=body, headers=headers)).is_success
        await _age_keys(app, dt.timedelta(hours=25))
        recent = {**staff.headers, "Idempotency-Key": "recent"}
        body = order_body(customer["id"])
        first = await client.post("/api/v1/orders", json=body, headers=recent)

        purged = await anyio.to_thread.run_sync(
            lambda: run(
                ["purge-idempotency-keys"],
                tmp_path,
                database_url=database_url,
                secret_key=TEST_SECRET,
            )
        )

        assert purged.returncode == 0, purged.stderr
        assert purged.stdout.strip() == "deleted 2 idempotency keys older than 24 hours"
        # The recent key still answers its retry with the first response.
        retry = await client.post("/api/v1/orders", json=body, headers=recent)
        assert retry.headers["idempotent-replayed"] == "true"
        assert retry.json()["id"] == first.json()["id"]

    async def test_same_key_with_another_body_is_422(
        self, client: httpx.AsyncClient, staff: Staff, customer: dict[str, Any]
    ) -> None:
        headers = {**staff.headers, "Idempotency-Key": "order-attempt-2"}
        body = order_body(customer["id"])
        await client.post("/api/v1/orders", json=body, headers=headers)

        changed = {**body, "ordered_on": "2026-11-21"}
        response = await client.post("/api/v1/orders", json=changed, headers=headers)

        assert response.status_code == 422
        assert response.json()["type"].endswith("/idempotency-key-reused")

    async def test_keys_belong_to_their_caller(
        self, client: httpx.AsyncClient, staff: Staff, admin: Staff, customer: dict[str, Any]
    ) -> None:
        key = {"Idempotency-Key": "shared-looking-key"}
        mine = await client.post(
            "/api/v1/orders", json=order_body(customer["id"]), headers={**staff.headers, **key}
        )
        theirs = await client.post(
            "/api/v1/orders", json=order_body(customer["id"]), headers={**admin.headers, **key}
        )
        assert mine.status_code == theirs.status_code == 201
        assert mine.json()["id"] != theirs.json()["id"]

    async def test_a_failed_request_keeps_nothing_and_can_be_retried(
        self, client: httpx.AsyncClient, staff: Staff, customer: dict[str, Any]
    ) -> None:
        headers = {**staff.headers, "Idempotency-Key": "order-attempt-3"}
        taken = await create_order(client, staff.headers, order_body(customer["id"]))
        body = order_body(customer["id"], number=taken["number"])
        assert (await client.post("/api/v1/orders", json=body, headers=headers)).status_code == 409

        body["number"] = "WS-free-number"
        assert (await client.post("/api/v1/orders", json=body, headers=headers)).status_code == 201

    async def test_concurrent_duplicates_create_one_order(
        self, client: httpx.AsyncClient, staff: Staff, customer: dict[str, Any]
    ) -> None:
        body = order_body(customer["id"])
        headers = {**staff.headers, "Idempotency-Key": "order-concurrent"}
        responses: list[httpx.Response] = []

        async def send() -> None:
            responses.append(await client.post("/api/v1/orders", json=body, headers=headers))

        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(send)

        statuses = sorted(response.status_code for response in responses)
        assert statuses.count(201) >= 1
        assert set(statuses) <= {201, 409}
        created = {response.json()["id"] for response in responses if response.status_code == 201}
        assert len(created) == 1
        listed = await client.get(
            f"/api/v1/customers/{customer['id']}/orders", headers=staff.headers
        )
        assert [order["id"] for order in listed.json()["items"]] == list(created)

    async def test_malformed_key_is_422(
        self, client: httpx.AsyncClient, staff: Staff, customer: dict[str, Any]
    ) -> None:
        for key in ("", "with space", "x" * 256):
            response = await client.post(
                "/api/v1/orders",
                json=order_body(customer["id"]),
                headers={**staff.headers, "Idempotency-Key": key},
            )
            assert response.status_code == 422, key
