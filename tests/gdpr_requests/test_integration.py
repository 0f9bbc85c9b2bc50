"""Requests across the register: orders, disclosures, consents, recipients (R14, R19-R27)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from typing import Any

import httpx
import pytest

from tests.factories import (
    REQUESTS,
    Staff,
    audit_events,
    complete,
    create_customer,
    create_order,
    customer_body,
    finance_key,
    key_headers,
    order_body,
    tables_containing,
    verified_request,
)

pytestmark = pytest.mark.anyio


async def set_invoice(
    client: httpx.AsyncClient, headers: dict[str, str], order: dict[str, Any], status: str
) -> None:
    response = await client.post(
        f"/api/v1/orders/{order['id']}/invoice-status",
        json={"status": status},
        headers={**headers, "If-Match": f'"{order["version"]}"'},
    )
    assert response.status_code == 200, response.text
    order["version"] = response.json()["version"]


def long_ago_order(customer_id: str) -> dict[str, Any]:
    """An order invoiced more than the bookkeeping period ago."""
    body = order_body(customer_id, ordered_on="2015-03-01")
    body["invoice"].update(issued_on="2015-03-01", due_on="2015-03-15")
    return body


async def erase(
    client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff, customer_id: str
) -> dict[str, Any]:
    request = await verified_request(client, staff, privacy_officer, customer_id, "erasure")
    response = await complete(client, privacy_officer, request["id"])
    assert response.status_code == 200, response.text
    outcome: dict[str, Any] = response.json()["outcome"]
    return outcome


class TestErasureBlockers:
    async def test_open_invoice_keeps_billing_data_restricted(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        await create_order(client, staff.headers, order_body(customer["id"]))

        outcome = await erase(client, staff, privacy_officer, customer["id"])

        assert outcome["result"] == "partially_erased"
        kinds = {blocker["kind"] for blocker in outcome["blockers"]}
        assert kinds == {"open_invoice", "bookkeeping"}
        bookkeeping = next(b for b in outcome["blockers"] if b["kind"] == "bookkeeping")
        assert bookkeeping["ends_on"] == "2032-12-31"  # invoice of 2026, kept 6 years
        assert "Kirjanpitolaki" in bookkeeping["legal_reason"]
        assert bookkeeping["legal_reason_en"] == bookkeeping["legal_reason"]
        assert bookkeeping["legal_reason_fi"] == (
            "Kirjanpitolain (1336/1997) 2 luvun 10 §:n mukaan tositteet on säilytettävä kuusi "
            "vuotta sen vuoden lopusta, jona tilikausi on päättynyt, ja lasku on kirjanpidon "
            "tosite. Oikeutta tietojen poistamiseen ei sovelleta siltä osin kuin käsittely on "
            "tarpeen rekisterinpitäjää koskevan lakisääteisen velvoitteen noudattamiseksi "
            "(tietosuoja-asetuksen 17 artiklan 3 kohdan b alakohta). Tällä perusteella "
            "säilytetään vain laskutustiedot; muut tiedot poistetaan."
        )
        open_invoice = next(b for b in outcome["blockers"] if b["kind"] == "open_invoice")
        assert open_invoice["legal_reason_fi"].startswith(
            "Asiakkaalla on avoin lasku, ja laskutustietoja tarvitaan saatavan perimiseen, "
            "kunnes lasku on maksettu. Oikeutta tietojen poistamiseen ei sovelleta siltä osin "
            "kuin käsittely on tarpeen oikeusvaateen laatimiseksi, esittämiseksi tai "
            "puolustamiseksi (tietosuoja-asetuksen 17 artiklan 3 kohdan e alakohta)."
        )
        assert "Art. 17(3)(e)" in open_invoice["legal_reason_en"]
        assert set(outcome["erased_fields"]) == {"email", "email_normalized", "phone"}
        assert "last_name" in outcome["kept_until_blockers_end"]
        assert outcome["supervisory_authority"]["email"] == "tietosuoja@om.fi"
        # Kept for the blocking purpose only: restricted (R23).
        plain = await client.get(f"/api/v1/customers/{customer['id']}", headers=staff.headers)
        assert plain.status_code == 403
        with_purpose = await client.get(
            f"/api/v1/customers/{customer['id']}",
            params={"purpose": "legal_claims"},
            headers=privacy_officer.headers,
        )
        assert with_purpose.json()["last_name"] == customer["last_name"]
        assert with_purpose.json()["email"] is None
        assert with_purpose.json()["phone"] is None

    async def test_debt_collection_is_a_blocker(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        order = await create_order(client, staff.headers, long_ago_order(customer["id"]))
        await set_invoice(client, staff.headers, order, "in_collection")

        outcome = await erase(client, staff, privacy_officer, customer["id"])

        assert [b["kind"] for b in outcome["blockers"]] == ["debt_collection"]
        assert "Art. 17(3)(e)" in outcome["blockers"][0]["legal_reason"]
        assert outcome["blockers"][0]["legal_reason_fi"].startswith(
            "Asiakkaan lasku on perinnässä, ja laskutustietoja tarvitaan perinnän "
            "päättymiseen asti."
        )

    async def test_old_paid_invoices_do_not_block_and_orders_stay_for_statistics(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        privacy_officer: Staff,
        database_url: str,
    ) -> None:
        created = await client.post(
            "/api/v1/customers",
            json=customer_body(
                first_name="Vilhelmiina", last_name="Vanhatili", phone="+358451112223"
            ),
            headers={**staff.headers, "Idempotency-Key": "erasure-scan-1"},
        )
        assert created.status_code == 201
        customer = created.json()
        order = await create_order(client, staff.headers, long_ago_order(customer["id"]))
        await set_invoice(client, staff.headers, order, "paid")
        await client.post(
            f"/api/v1/customers/{customer['id']}/consents",
            json={
                "purpose": "listing",
                "decision": "forbidden",
                "channel": "letter",
                "evidence": "Kirje: Vilhelmiina Vanhatili kieltää",
            },
            headers=staff.headers,
        )

        outcome = await erase(client, staff, privacy_officer, customer["id"])

        assert outcome["result"] == "erased"
        values = ["Vilhelmiina", "Vanhatili", customer["email"], "+358451112223", "Esimerkkikatu"]
        assert await tables_containing(database_url, values) == []
        kept = await client.get(f"/api/v1/orders/{order['id']}", headers=staff.headers)
        assert kept.status_code == 200
        assert kept.json()["totals"] == order["totals"]

    async def test_blocked_erasure_is_finished_by_retention_when_the_blocker_ends(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff, admin: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        order = await create_order(client, staff.headers, long_ago_order(customer["id"]))

        first = await erase(client, staff, privacy_officer, customer["id"])
        assert [b["kind"] for b in first["blockers"]] == ["open_invoice"]
        await set_invoice(client, staff.headers, order, "paid")
        run = await client.post(
            "/api/v1/retention/runs", params={"dry_run": "false"}, headers=admin.headers
        )

        assert run.json()["erased"] == 1
        gone = await client.get(f"/api/v1/customers/{customer['id']}", headers=staff.headers)
        assert gone.status_code == 410


class TestNotifyingRecipients:
    async def test_rectification_is_notified_to_the_recipient_that_received_the_data(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        privacy_officer: Staff,
        admin: Staff,
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        await create_order(client, staff.headers, order_body(customer["id"]))
        key = await finance_key(client, admin.headers)
        billing = await client.get(
            f"/api/v1/billing/customers/{customer['id']}", headers=key_headers(key)
        )
        assert billing.status_code == 200
        request = await verified_request(
            client,
            staff,
            privacy_officer,
            customer["id"],
            "rectification",
            changes={
                "address": {
                    "street": "Uusikatu 5",
                    "postal_code": "00200",
                    "city": "Helsinki",
                    "country": "FI",
                }
            },
            grounds="Moved",
        )

        completed = await complete(client, privacy_officer, request["id"])
        feed = await client.get("/api/v1/recipient-notices", headers=key_headers(key))

        notify = completed.json()["outcome"]["notify"]
        assert notify[0] == {"party": "source", "source": "web_shop"}
        assert notify[1]["party"] == "recipient"
        assert notify[1]["name"] == "Talouskumppani Oy"
        notices = feed.json()["items"]
        assert [(n["customer_id"], n["kind"], n["fields"]) for n in notices] == [
            (customer["id"], "rectified", ["address"])
        ]
        acknowledged = await client.post(
            f"/api/v1/recipient-notices/{notices[0]['id']}/acknowledge", headers=key_headers(key)
        )
        assert acknowledged.json()["acknowledged_at"] is not None
        pending = await client.get("/api/v1/recipient-notices", headers=key_headers(key))
        assert pending.json()["items"] == []
        events = await audit_events(client, privacy_officer.headers, customer_id=customer["id"])
        assert any(e["entity"] == "recipient_notice" and e["action"] == "update" for e in events)

    async def test_a_key_with_several_purposes_reads_its_notices_without_naming_one(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        privacy_officer: Staff,
        admin: Staff,
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        await create_order(client, staff.headers, order_body(customer["id"]))
        key = await finance_key(client, admin.headers, purposes=["invoicing", "debt_collection"])
        billing = await client.get(
            f"/api/v1/billing/customers/{customer['id']}",
            headers=key_headers(key, "invoicing"),
        )
        assert billing.status_code == 200
        request = await verified_request(
            client,
            staff,
            privacy_officer,
            customer["id"],
            "rectification",
            changes={"phone": "+358401112233"},
            grounds="New number",
        )
        await complete(client, privacy_officer, request["id"])

        feed = await client.get("/api/v1/recipient-notices", headers=key_headers(key))
        notice = feed.json()["items"][0]
        acknowledged = await client.post(
            f"/api/v1/recipient-notices/{notice['id']}/acknowledge", headers=key_headers(key)
        )

        assert feed.status_code == 200
        assert (notice["customer_id"], notice["kind"]) == (customer["id"], "rectified")
        assert acknowledged.status_code == 200
        events = await audit_events(client, privacy_officer.headers, customer_id=customer["id"])
        assert [e["purpose"] for e in events if e["entity"] == "recipient_notice"] == [
            None,
            None,
        ]

    async def test_staff_and_other_recipients_do_not_see_the_notices(
        self, client: httpx.AsyncClient, staff: Staff, admin: Staff
    ) -> None:
        other = await finance_key(client, admin.headers)

        assert (
            await client.get("/api/v1/recipient-notices", headers=staff.headers)
        ).status_code == 403
        mine = await client.get("/api/v1/recipient-notices", headers=key_headers(other))
        assert mine.json()["items"] == []
        missing = await client.post(
            "/api/v1/recipient-notices/1/acknowledge", headers=key_headers(other)
        )
        assert missing.status_code == 404


class TestAccessReportContents:
    async def test_report_has_orders_consents_and_disclosures_to_the_partner(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        privacy_officer: Staff,
        admin: Staff,
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        order = await create_order(client, staff.headers, order_body(customer["id"]))
        await client.post(
            f"/api/v1/customers/{customer['id']}/consents",
            json={"purpose": "market_research", "decision": "forbidden", "channel": "email"},
            headers=staff.headers,
        )
        key = await finance_key(client, admin.headers, purposes=["invoicing"])
        await client.get(f"/api/v1/billing/customers/{customer['id']}", headers=key_headers(key))
        request = await verified_request(client, staff, privacy_officer, customer["id"], "access")

        report = (
            await client.get(
                f"{REQUESTS}/{request['id']}/access-report", headers=privacy_officer.headers
            )
        ).json()
        html = await client.get(
            f"{REQUESTS}/{request['id']}/access-report",
            params={"format": "html", "lang": "en"},
            headers=privacy_officer.headers,
        )

        assert [o["number"] for o in report["orders"]] == [order["number"]]
        assert report["orders"][0]["invoice"]["status"] == "open"
        assert report["orders"][0]["lines"][0]["product_code"] == "KAHVI-500"
        assert report["consents"]["ledger"][0]["purpose"] == "market_research"
        assert report["recipients"] == [
            {
                "name": "Talouskumppani Oy",
                "country": "FI",
                "role": "finance_partner",
                "safeguard": None,
            }
        ]
        disclosure = report["disclosures"][0]
        assert disclosure["recipient"] == "Talouskumppani Oy"
        assert disclosure["purpose"] == "invoicing"
        # Invoicing receives the billing address, not the e-mail or the phone.
        assert "address" in disclosure["fields"]
        assert "email" not in disclosure["fields"]
        assert "phone" not in disclosure["fields"]
        assert "Disclosures to recipients" in html.text
        assert order["number"] in html.text

    async def test_portability_archive_has_orders_and_consents(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        order = await create_order(client, staff.headers, order_body(customer["id"]))
        request = await verified_request(
            client, staff, privacy_officer, customer["id"], "portability"
        )

        response = await client.get(
            f"{REQUESTS}/{request['id']}/portability-archive", headers=privacy_officer.headers
        )

        archive = zipfile.ZipFile(io.BytesIO(response.content))
        document = json.loads(archive.read("data.json"))
        assert document["orders"][0]["number"] == order["number"]
        assert document["orders"][0]["invoice_status"] == "open"
        assert document["order_lines"][0]["quantity"] == 3
        assert "orders.csv" in archive.namelist()
        assert "order_lines.csv" in archive.namelist()


class TestRestrictionAndObjection:
    async def test_objection_forbids_the_purposes_at_once(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        request = await verified_request(
            client,
            staff,
            privacy_officer,
            customer["id"],
            "objection",
            purposes=["direct_advertising", "market_research"],
        )

        completed = await complete(client, privacy_officer, request["id"])
        consents = await client.get(
            f"/api/v1/customers/{customer['id']}/consents", headers=staff.headers
        )

        assert completed.json()["outcome"]["forbidden"] == ["direct_advertising", "market_research"]
        state = {item["purpose"]: item["decision"] for item in consents.json()["state"]}
        assert state["direct_advertising"] == "forbidden"
        assert state["market_research"] == "forbidden"
        assert state["listing"] == "granted"
        evidence = [e["evidence"] for e in consents.json()["history"]["items"]]
        assert all(request["id"] in text for text in evidence)

    async def test_restriction_request_restricts_the_customer(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        request = await verified_request(
            client,
            staff,
            privacy_officer,
            customer["id"],
            "restriction",
            reason="The address is wrong",
        )

        completed = await complete(client, privacy_officer, request["id"])

        assert completed.json()["outcome"]["result"] == "restricted"
        listed = await client.get("/api/v1/customers", headers=staff.headers)
        assert customer["id"] not in [item["id"] for item in listed.json()["items"]]
        restriction = await client.get(
            f"/api/v1/customers/{customer['id']}/restriction", headers=privacy_officer.headers
        )
        assert request["id"] in restriction.json()["reason"]

    async def test_objection_names_known_purposes_only(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())

        response = await client.post(
            REQUESTS,
            json={
                "type": "objection",
                "customer_id": customer["id"],
                "channel": "email",
                "purposes": ["telepathy"],
            },
            headers=staff.headers,
        )

        assert response.status_code == 422


class TestNoticeAndMetrics:
    async def test_privacy_notice_lists_the_recipients(
        self, client: httpx.AsyncClient, admin: Staff
    ) -> None:
        await finance_key(client, admin.headers)

        notice = (await client.get("/api/v1/privacy-notice", params={"lang": "en"})).json()

        recipients = next(s for s in notice["sections"] if s["id"] == "recipients")
        assert recipients["items"] == ["Talouskumppani Oy (financial administration partner, FI)"]
        purposes = next(s for s in notice["sections"] if s["id"] == "purposes")
        assert "You may forbid: market research" in purposes["items"]

    async def test_overdue_requests_in_metrics(
        self, client: httpx.AsyncClient, staff: Staff, database_url: str, app: Any
    ) -> None:
        from customer_registry.core.metrics import database_gauges
        from customer_registry.gdpr_requests.metrics import gdpr_request_gauges

        customer = await create_customer(client, staff.headers, customer_body())
        received = (dt.datetime.now(dt.UTC) - dt.timedelta(days=40)).isoformat()
        await client.post(
            REQUESTS,
            json={
                "type": "access",
                "customer_id": customer["id"],
                "channel": "email",
                "received_at": received,
            },
            headers=staff.headers,
        )

        families = await database_gauges.read(app.state.session_factory)

        assert gdpr_request_gauges in database_gauges._samplers
        samples = {
            (family.name, tuple(sample.labels.values())): sample.value
            for family in families
            for sample in family.samples
        }
        assert samples[("customer_registry_gdpr_requests_open", ("received",))] == 1
        assert samples[("customer_registry_gdpr_requests_overdue", ())] == 1
