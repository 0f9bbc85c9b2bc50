"""Answering requests: the access report, the portability archive, erasure (R14, R19, R21)."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import httpx
import pytest

from tests.factories import (
    REQUESTS,
    Staff,
    audit_events,
    complete,
    create_customer,
    customer_body,
    submit,
    tables_containing,
    verified_request,
)

pytestmark = pytest.mark.anyio


class TestAccessReport:
    async def test_report_names_who_read_the_data(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body(language="en"))
        for _ in range(3):
            await client.get(f"/api/v1/customers/{customer['id']}", headers=staff.headers)
        request = await verified_request(
            client, staff, privacy_officer, customer["id"], "access", language="en"
        )

        response = await client.get(
            f"{REQUESTS}/{request['id']}/access-report", headers=privacy_officer.headers
        )

        assert response.status_code == 200
        report = response.json()
        assert report["subject"]["email"] == customer["email"]
        assert report["sources"][0]["source"] == "web_shop"
        assert report["purposes"][0]["legal_basis"] == "contract"
        assert report["retention"]["retention_ends_on"] is None
        reads = [
            entry
            for entry in report["processing_log"]
            if entry["action"] == "read" and entry["entity"] == "customer"
        ]
        assert len(reads) == 3
        assert reads[0]["actor_name"] == "Test staff"
        assert reads[0]["actor_role"] == "staff"
        assert "email" in reads[0]["fields"]

    async def test_html_report_in_finnish(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        request = await verified_request(client, staff, privacy_officer, customer["id"], "access")

        response = await client.get(
            f"{REQUESTS}/{request['id']}/access-report",
            params={"format": "html"},
            headers=privacy_officer.headers,
        )

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "Rekisteröidyn tarkastusoikeus" in response.text
        assert "Kuka tietojasi on käsitellyt" in response.text
        assert customer["last_name"] in response.text

    async def test_report_needs_a_verified_access_request_and_is_audited(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        unverified = await submit(
            client, staff.headers, type="access", customer_id=customer["id"], channel="email"
        )
        portability = await verified_request(
            client, staff, privacy_officer, customer["id"], "portability"
        )

        refused = await client.get(
            f"{REQUESTS}/{unverified['id']}/access-report", headers=privacy_officer.headers
        )
        wrong_type = await client.get(
            f"{REQUESTS}/{portability['id']}/access-report", headers=privacy_officer.headers
        )
        by_staff = await client.get(
            f"{REQUESTS}/{unverified['id']}/access-report", headers=staff.headers
        )

        assert refused.status_code == 409
        assert wrong_type.status_code == 409
        assert by_staff.status_code == 403

    async def test_completion_records_delivery(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        request = await verified_request(client, staff, privacy_officer, customer["id"], "access")
        await client.get(
            f"{REQUESTS}/{request['id']}/access-report", headers=privacy_officer.headers
        )

        completed = await complete(client, privacy_officer, request["id"])

        assert completed.status_code == 200
        assert completed.json()["status"] == "completed"
        assert completed.json()["outcome"]["result"] == "report_delivered"
        exports = await audit_events(
            client, privacy_officer.headers, customer_id=customer["id"], action="export"
        )
        assert [e["fields"] for e in exports] == [["access"]]


class TestPortability:
    async def test_archive_opens_and_parses(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        request = await verified_request(
            client, staff, privacy_officer, customer["id"], "portability"
        )

        response = await client.get(
            f"{REQUESTS}/{request['id']}/portability-archive", headers=privacy_officer.headers
        )

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        document = json.loads(archive.read("data.json"))
        assert document["schema"] == "customer-registry/portability/v1"
        assert document["customer"]["email"] == customer["email"]
        rows = list(csv.DictReader(io.StringIO(archive.read("customer.csv").decode())))
        assert rows[0]["last_name"] == customer["last_name"]
        assert rows[0]["postal_code"] == "00100"


class TestErasure:
    async def test_no_trace_of_the_person_is_left(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        privacy_officer: Staff,
        database_url: str,
    ) -> None:
        body = customer_body(
            first_name="Ulpukka",
            last_name="Unohdettava",
            phone="+358409876543",
            address={
                "street": "Katoamistie 7",
                "postal_code": "33100",
                "city": "Tampere",
                "country": "FI",
            },
        )
        customer = await create_customer(client, staff.headers, body)
        await client.get(f"/api/v1/customers/{customer['id']}", headers=staff.headers)
        request = await verified_request(
            client,
            staff,
            privacy_officer,
            customer["id"],
            "erasure",
            reason="Ulpukka Unohdettava haluaa tulla unohdetuksi",
        )

        completed = await complete(client, privacy_officer, request["id"])

        assert completed.status_code == 200, completed.text
        outcome = completed.json()["outcome"]
        assert outcome["result"] == "erased"
        assert outcome["blockers"] == []
        values = [
            "Ulpukka",
            "Unohdettava",
            customer["email"],
            "+358409876543",
            "Katoamistie",
            "Tampere",
        ]
        assert await tables_containing(database_url, values) == []
        gone = await client.get(f"/api/v1/customers/{customer['id']}", headers=staff.headers)
        assert gone.status_code == 410
        listed = await client.get("/api/v1/customers", headers=staff.headers)
        assert customer["id"] not in [item["id"] for item in listed.json()["items"]]
        # The pseudonymous id keeps the audit trail, including the erasure itself.
        events = await audit_events(client, privacy_officer.headers, customer_id=customer["id"])
        assert events[-2]["action"] == "erase"
        assert "email" in events[-2]["fields"]

    async def test_the_email_can_register_again(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        request = await verified_request(client, staff, privacy_officer, customer["id"], "erasure")
        await complete(client, privacy_officer, request["id"])

        again = await client.post(
            "/api/v1/customers",
            json=customer_body(email=customer["email"]),
            headers=staff.headers,
        )

        assert again.status_code == 201
        assert again.json()["id"] != customer["id"]

    async def test_active_contact_person_is_not_erased(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(
            client,
            staff.headers,
            customer_body(
                type="company",
                is_contact_person=True,
                organisation={"name": "Yhteys Oy", "business_id": None},
            ),
        )
        request = await verified_request(client, staff, privacy_officer, customer["id"], "erasure")

        completed = await complete(client, privacy_officer, request["id"])

        outcome = completed.json()["outcome"]
        assert outcome["result"] == "partially_erased"
        assert outcome["erased_fields"] == []
        assert [b["kind"] for b in outcome["blockers"]] == ["contact_person"]
        assert "R25" in outcome["blockers"][0]["legal_reason"]
        assert outcome["blockers"][0]["legal_reason_fi"] == (
            "Henkilö toimii yrityksen tai yhteisön yhteyshenkilönä. Tietosuojaselosteen mukaan "
            "yhteyshenkilön tietoja ei voida poistaa sinä aikana, kun hän toimii "
            "yhteyshenkilönä."
        )
        assert outcome["supervisory_authority"]["email"] == "tietosuoja@om.fi"
        still = await client.get(f"/api/v1/customers/{customer['id']}", headers=staff.headers)
        assert still.json()["email"] == customer["email"]
