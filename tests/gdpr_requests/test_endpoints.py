"""Data-subject requests: receipt, deadlines, verification, completion and refusal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from customer_registry.gdpr_requests.deadlines import add_months, answer_due
from tests.factories import (
    REQUESTS,
    Staff,
    audit_events,
    create_customer,
    customer_body,
    key_headers,
    submit,
    verify,
    web_shop_key,
)

pytestmark = pytest.mark.anyio


def days_ago(days: int) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat()


class TestDeadlines:
    @pytest.mark.parametrize(
        ("day", "months", "expected"),
        [
            (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
            (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
            (dt.date(2026, 3, 15), 1, dt.date(2026, 4, 15)),
            (dt.date(2026, 11, 30), 3, dt.date(2027, 2, 28)),
            (dt.date(2026, 12, 31), 1, dt.date(2027, 1, 31)),
        ],
    )
    def test_calendar_months(self, day: dt.date, months: int, expected: dt.date) -> None:
        assert add_months(day, months) == expected

    def test_receipt_counts_in_finnish_time(self) -> None:
        # 23:30 UTC on 31 January is already 1 February in Helsinki.
        assert answer_due(dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC)) == dt.date(2026, 3, 1)

    async def test_deadline_is_one_month_after_receipt(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())

        request = await submit(
            client,
            staff.headers,
            type="access",
            customer_id=customer["id"],
            channel="letter",
            language="en",
            received_at="2026-01-31T09:00:00+02:00",
            signed=True,
        )

        assert request["status"] == "received"
        assert request["due_on"] == request["deadline_on"] == "2026-02-28"
        assert request["overdue"] is True

    async def test_extension_before_the_deadline_only_once(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        request = await submit(
            client,
            staff.headers,
            type="access",
            customer_id=customer["id"],
            channel="email",
            received_at=days_ago(3),
        )
        path = f"{REQUESTS}/{request['id']}/extend"

        extended = await client.post(
            path,
            json={"months": 2, "reason": "Many requests at once"},
            headers=privacy_officer.headers,
        )
        again = await client.post(
            path, json={"months": 1, "reason": "More"}, headers=privacy_officer.headers
        )
        too_long = await client.post(
            path, json={"months": 3, "reason": "Long"}, headers=privacy_officer.headers
        )

        assert extended.status_code == 200
        received = dt.date.fromisoformat(request["due_on"])
        assert extended.json()["deadline_on"] == add_months(received, 2).isoformat()
        assert extended.json()["due_on"] == request["due_on"]
        assert again.status_code == 409
        assert too_long.status_code == 422

    async def test_extension_after_the_deadline_is_refused(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        request = await submit(
            client,
            staff.headers,
            type="access",
            customer_id=customer["id"],
            channel="email",
            received_at=days_ago(40),
        )

        response = await client.post(
            f"{REQUESTS}/{request['id']}/extend",
            json={"months": 2, "reason": "Too late"},
            headers=privacy_officer.headers,
        )

        assert response.status_code == 409
        assert "Art. 12(3)" in response.json()["detail"]

    async def test_list_by_deadline_with_overdue(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        fresh = await submit(
            client,
            staff.headers,
            type="access",
            customer_id=customer["id"],
            channel="email",
            received_at=days_ago(1),
        )
        old = await submit(
            client,
            staff.headers,
            type="erasure",
            customer_id=customer["id"],
            channel="email",
            received_at=days_ago(45),
        )
        middle = await submit(
            client,
            staff.headers,
            type="portability",
            customer_id=customer["id"],
            channel="web_shop",
            received_at=days_ago(10),
        )

        listed = await client.get(REQUESTS, params={"limit": 2}, headers=privacy_officer.headers)
        rest = await client.get(
            REQUESTS,
            params={"limit": 2, "cursor": listed.json()["next_cursor"]},
            headers=privacy_officer.headers,
        )
        overdue = await client.get(
            REQUESTS, params={"overdue": "true"}, headers=privacy_officer.headers
        )

        ids = [item["id"] for item in listed.json()["items"] + rest.json()["items"]]
        assert ids == [old["id"], middle["id"], fresh["id"]]
        assert [item["id"] for item in overdue.json()["items"]] == [old["id"]]
        assert overdue.json()["items"][0]["overdue"] is True


class TestLifecycle:
    async def test_a_letter_must_be_signed_before_it_is_verified(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        request = await submit(
            client, staff.headers, type="access", customer_id=customer["id"], channel="letter"
        )

        unsigned = await verify(client, privacy_officer.headers, request["id"])
        signed = await verify(client, privacy_officer.headers, request["id"], signed=True)

        assert unsigned.status_code == 422
        assert signed.status_code == 200
        body = signed.json()
        assert body["status"] == "verified"
        assert body["verification_method"] == "signed_letter"
        assert body["verified_by"] == privacy_officer.id
        assert body["verified_at"] is not None

    async def test_unknown_person_is_identified_at_verification(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        request = await submit(
            client,
            staff.headers,
            type="access",
            channel="email",
            requester={"name": "Aino Virtanen", "email": "aino@example.fi"},
        )

        without_customer = await verify(
            client, privacy_officer.headers, request["id"], method="registered_email_address"
        )
        identified = await verify(
            client,
            privacy_officer.headers,
            request["id"],
            method="registered_email_address",
            customer_id=customer["id"],
        )

        assert request["customer_id"] is None
        assert request["requester"]["name"] == "Aino Virtanen"
        assert without_customer.status_code == 422
        assert identified.status_code == 200
        assert identified.json()["customer_id"] == customer["id"]

    async def test_only_the_privacy_officer_handles_requests(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        request = await submit(
            client, staff.headers, type="access", customer_id=customer["id"], channel="email"
        )

        for action, body in (
            ("verify", {"method": "registered_email_address"}),
            ("extend", {"months": 1, "reason": "x"}),
            ("complete", {}),
            ("refuse", {"reasons": "x"}),
        ):
            response = await client.post(
                f"{REQUESTS}/{request['id']}/{action}", json=body, headers=staff.headers
            )
            assert response.status_code == 403, action
        assert (await client.get(REQUESTS, headers=staff.headers)).status_code == 403

    async def test_completion_needs_verification(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        request = await submit(
            client,
            staff.headers,
            type="rectification",
            customer_id=customer["id"],
            channel="email",
            changes={"last_name": "Korhonen"},
            grounds="Married",
        )

        response = await client.post(
            f"{REQUESTS}/{request['id']}/complete", json={}, headers=privacy_officer.headers
        )

        assert response.status_code == 409

    async def test_refusal_is_written_with_reasons_and_the_authority(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        request = await submit(
            client,
            staff.headers,
            type="rectification",
            customer_id=customer["id"],
            channel="letter",
            language="fi",
            changes={"last_name": "Korhonen"},
            grounds="Nimi muuttui",
            signed=True,
        )

        refused = await client.post(
            f"{REQUESTS}/{request['id']}/refuse",
            json={"reasons": "Nimi on oikein väestötietojärjestelmän mukaan."},
            headers=privacy_officer.headers,
        )
        again = await client.post(
            f"{REQUESTS}/{request['id']}/refuse",
            json={"reasons": "x"},
            headers=privacy_officer.headers,
        )

        assert refused.status_code == 200
        body = refused.json()
        assert body["status"] == "refused"
        assert body["closed_by"] == privacy_officer.id
        statement = body["outcome"]["statement"]
        assert "väestötietojärjestelmän" in statement
        assert "Tietosuojavaltuutetun toimisto" in statement
        assert "tietosuoja@om.fi" in statement
        assert body["outcome"]["supervisory_authority"]["phone"] == "029 56 66700"
        assert again.status_code == 409

    @pytest.mark.parametrize(
        ("language", "expected"),
        [
            (
                "fi",
                "Rekisterinpitäjä on evännyt tietojenne poistamista koskevan pyyntönne. "
                "Epäämisen syyt: Tilaukseen liittyvä reklamaatio on kesken. Tämä kirjallinen "
                "todistus epäämisestä annetaan tietosuoja-asetuksen 12 artiklan 4 kohdan "
                "mukaisesti. Jos katsotte, ettei pyyntöänne ole käsitelty tietosuoja-asetuksen "
                "mukaisesti, voitte saattaa asian tietosuojavaltuutetun ratkaistavaksi "
                "tekemällä kantelun valvontaviranomaiselle (tietosuoja-asetuksen 77 artikla): "
                "Tietosuojavaltuutetun toimisto, PL 800, 00521 Helsinki, 029 56 66700, "
                "tietosuoja@om.fi, www.tietosuoja.fi. Teillä on lisäksi oikeus saattaa asia "
                "tuomioistuimen käsiteltäväksi (tietosuoja-asetuksen 79 artikla).",
            ),
            (
                "en",
                "The controller has refused your request for erasure. Reasons: Tilaukseen "
                "liittyvä reklamaatio on kesken. This written statement of the refusal is "
                "given under Article 12(4) of the GDPR. If you consider that your request has "
                "not been handled as the GDPR requires, you may take the matter to the Data "
                "Protection Ombudsman by lodging a complaint with the supervisory authority "
                "(GDPR Art. 77): Office of the Data Protection Ombudsman, PL 800, 00521 "
                "Helsinki, 029 56 66700, tietosuoja@om.fi, www.tietosuoja.fi. You also have "
                "the right to bring the matter before a court (GDPR Art. 79).",
            ),
        ],
    )
    async def test_the_refusal_letter_reads_as_a_data_protection_officer_writes_it(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        privacy_officer: Staff,
        language: str,
        expected: str,
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        request = await submit(
            client,
            staff.headers,
            type="erasure",
            customer_id=customer["id"],
            channel="letter",
            language=language,
            signed=True,
        )

        refused = await client.post(
            f"{REQUESTS}/{request['id']}/refuse",
            json={"reasons": "Tilaukseen liittyvä reklamaatio on kesken"},
            headers=privacy_officer.headers,
        )

        assert refused.status_code == 200
        assert refused.json()["outcome"]["statement"] == expected

    async def test_every_transition_is_audited(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        request = await submit(
            client, staff.headers, type="access", customer_id=customer["id"], channel="email"
        )
        await verify(
            client, privacy_officer.headers, request["id"], method="registered_email_address"
        )
        await client.post(
            f"{REQUESTS}/{request['id']}/refuse",
            json={"reasons": "Test"},
            headers=privacy_officer.headers,
        )

        events = [
            event
            for event in await audit_events(
                client, privacy_officer.headers, customer_id=customer["id"]
            )
            if event["entity"] == "gdpr_request"
        ]

        assert [(e["action"], e["actor_id"]) for e in events] == [
            ("create", staff.id),
            ("update", privacy_officer.id),
            ("update", privacy_officer.id),
        ]
        assert all(e["purpose"] == "data_subject_request" for e in events)
        assert "status" in events[1]["fields"]

    @pytest.mark.parametrize(
        "body",
        [
            {"type": "access", "channel": "email"},
            {"type": "rectification", "channel": "email", "requester": {"name": "A"}},
            {"type": "objection", "channel": "email", "requester": {"name": "A"}},
            {"type": "access", "channel": "fax", "requester": {"name": "A"}},
            {"type": "access", "channel": "email", "language": "sv", "requester": {"name": "A"}},
            {
                "type": "access",
                "channel": "email",
                "requester": {"name": "A"},
                "received_at": "2099-01-01T00:00:00Z",
            },
            {
                "type": "access",
                "channel": "email",
                "requester": {"name": "A"},
                "received_at": "2026-01-01T00:00:00",
            },
        ],
    )
    async def test_invalid_requests(
        self, client: httpx.AsyncClient, staff: Staff, body: dict[str, Any]
    ) -> None:
        response = await client.post(REQUESTS, json=body, headers=staff.headers)

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


class TestRectification:
    async def test_completion_applies_the_change_and_lists_whom_to_notify(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        request = await submit(
            client,
            staff.headers,
            type="rectification",
            customer_id=customer["id"],
            channel="email",
            changes={"last_name": "Korhonen"},
            grounds="Married",
        )
        await verify(
            client, privacy_officer.headers, request["id"], method="registered_email_address"
        )

        completed = await client.post(
            f"{REQUESTS}/{request['id']}/complete", json={}, headers=privacy_officer.headers
        )

        assert completed.status_code == 200, completed.text
        outcome = completed.json()["outcome"]
        assert outcome["result"] == "rectified"
        assert outcome["fields"] == ["last_name"]
        assert {"party": "source", "source": "web_shop"} in outcome["notify"]
        read = await client.get(f"/api/v1/customers/{customer['id']}", headers=staff.headers)
        assert read.json()["last_name"] == "Korhonen"
        updates = await audit_events(
            client, privacy_officer.headers, customer_id=customer["id"], action="update"
        )
        assert any(e["entity"] == "customer" and e["fields"] == ["last_name"] for e in updates)


class TestWebShop:
    async def test_the_web_shop_submits_requests_for_its_customers(
        self, client: httpx.AsyncClient, admin: Staff, privacy_officer: Staff
    ) -> None:
        key = await web_shop_key(client, admin.headers)
        customer = await create_customer(client, key_headers(key), customer_body())

        request = await submit(
            client, key_headers(key), type="erasure", customer_id=customer["id"], channel="phone"
        )
        listing = await client.get(REQUESTS, headers=key_headers(key))

        assert request["channel"] == "web_shop"
        assert request["status"] == "received"
        assert listing.status_code in (401, 403)
        read = await client.get(f"{REQUESTS}/{request['id']}", headers=privacy_officer.headers)
        assert read.json()["type"] == "erasure"
