"""Mailing labels for direct advertising (R5): who is on them, CSV and PDF, audit per person."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pypdf
import pytest

from tests.factories import Staff, audit_events, create_customer, customer_body

pytestmark = pytest.mark.anyio

LABELS = "/api/v1/exports/mailing-labels"


def person(last_name: str, **overrides: Any) -> dict[str, Any]:
    return customer_body(last_name=last_name, **overrides)


async def label_rows(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str
) -> list[dict[str, str]]:
    response = await client.get(LABELS, params={"format": "csv", **params}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.text)))


async def forbid(
    client: httpx.AsyncClient, headers: dict[str, str], customer_id: str, purpose: str
) -> None:
    response = await client.post(
        f"/api/v1/customers/{customer_id}/consents",
        json={"purpose": purpose, "decision": "forbidden", "channel": "email"},
        headers=headers,
    )
    assert response.status_code == 201, response.text


async def erase(
    client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff, customer_id: str
) -> None:
    """Erase a customer the way the register does it: a verified, completed request."""
    request = await client.post(
        "/api/v1/gdpr-requests",
        json={"type": "erasure", "customer_id": customer_id, "channel": "email"},
        headers=staff.headers,
    )
    path = f"/api/v1/gdpr-requests/{request.json()['id']}"
    verified = await client.post(
        f"{path}/verify",
        json={"method": "registered_email_address"},
        headers=privacy_officer.headers,
    )
    assert verified.status_code == 200, verified.text
    completed = await client.post(f"{path}/complete", json={}, headers=privacy_officer.headers)
    assert completed.json()["outcome"]["result"] == "erased", completed.text


class TestWhoIsOnTheLabels:
    async def test_leaves_out_everyone_who_must_not_be_listed(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        privacy_officer: Staff,
        database_url: str,
    ) -> None:
        listed = await create_customer(client, staff.headers, person("Listed"))
        no_listing = await create_customer(client, staff.headers, person("NoListing"))
        no_advertising = await create_customer(client, staff.headers, person("NoAdvertising"))
        no_research = await create_customer(client, staff.headers, person("NoResearch"))
        restricted = await create_customer(client, staff.headers, person("Restricted"))
        erased = await create_customer(client, staff.headers, person("Erased"))
        await create_customer(
            client,
            staff.headers,
            person(
                "Ended",
                relationship_started_on="2020-01-01",
                relationship_ended_on="2024-01-01",
            ),
        )
        await create_customer(client, staff.headers, person("NoAddress", address=None))
        await forbid(client, staff.headers, no_listing["id"], "listing")
        await forbid(client, staff.headers, no_advertising["id"], "direct_advertising")
        await forbid(client, staff.headers, no_research["id"], "market_research")
        response = await client.put(
            f"/api/v1/customers/{restricted['id']}/restriction",
            json={"reason": "Accuracy contested"},
            headers=privacy_officer.headers,
        )
        assert response.status_code == 200, response.text
        await erase(client, staff, privacy_officer, erased["id"])

        rows = await label_rows(client, privacy_officer.headers)

        assert sorted(row["name"] for row in rows) == ["Aino Listed", "Aino NoResearch"]
        assert rows[0] == {
            "name": "Aino Listed",
            "organisation": "",
            "street": "Esimerkkikatu 1 A 2",
            "postal_code": "00100",
            "city": "Helsinki",
            "country": "FI",
        }
        assert listed["id"] not in str(rows)

    async def test_forbid_takes_effect_at_once_and_a_new_grant_restores(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, person("Changeable"))
        assert len(await label_rows(client, privacy_officer.headers)) == 1

        await forbid(client, staff.headers, customer["id"], "listing")
        assert await label_rows(client, privacy_officer.headers) == []

        response = await client.post(
            f"/api/v1/customers/{customer['id']}/consents",
            json={"purpose": "listing", "decision": "granted", "channel": "web_shop"},
            headers=staff.headers,
        )
        assert response.status_code == 201
        assert len(await label_rows(client, privacy_officer.headers)) == 1

    async def test_filters(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        await create_customer(client, staff.headers, person("Helsinki"))
        await create_customer(
            client,
            staff.headers,
            person(
                "Turku",
                language="sv",
                address={
                    "street": "Linnankatu 1",
                    "postal_code": "20100",
                    "city": "Turku",
                    "country": "FI",
                },
            ),
        )
        await create_customer(
            client,
            staff.headers,
            person(
                "Company",
                type="company",
                organisation={"name": "Esimerkki Oy", "business_id": "0112038-9"},
            ),
        )

        by_prefix = await label_rows(client, privacy_officer.headers, postal_code_prefix="20")
        assert [row["name"] for row in by_prefix] == ["Aino Turku"]
        by_language = await label_rows(client, privacy_officer.headers, language="fi")
        assert sorted(row["name"] for row in by_language) == ["Aino Company", "Aino Helsinki"]
        by_type = await label_rows(client, privacy_officer.headers, type="company")
        assert [(row["name"], row["organisation"]) for row in by_type] == [
            ("Aino Company", "Esimerkki Oy")
        ]

    async def test_csv_cells_cannot_become_formulas(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        await create_customer(client, staff.headers, person("=HYPERLINK(1)"))
        (row,) = await label_rows(client, privacy_officer.headers)
        assert row["name"] == "Aino =HYPERLINK(1)"
        await create_customer(client, staff.headers, person("x", first_name="=cmd"))
        names = sorted(row["name"] for row in await label_rows(client, privacy_officer.headers))
        assert names == ["'=cmd x", "Aino =HYPERLINK(1)"]

    async def test_full_width_formula_signs_are_neutralised_like_ascii(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        signs = ["\uff1d", "\uff0b", "\uff0d", "\uff20"]  # full-width = + - @
        for sign in signs:
            await create_customer(client, staff.headers, person("x", first_name=f"{sign}cmd"))
        names = sorted(row["name"] for row in await label_rows(client, privacy_officer.headers))
        assert names == sorted(f"'{sign}cmd x" for sign in signs)


class TestAudit:
    async def test_each_exported_person_is_audited_once_across_batches(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff, app: Any
    ) -> None:
        app.state.settings = app.state.settings.model_copy(update={"mailing_label_batch_size": 2})
        customers = [
            await create_customer(client, staff.headers, person(f"Batch{index}"))
            for index in range(5)
        ]
        left_out = customers.pop()
        await forbid(client, staff.headers, left_out["id"], "direct_advertising")

        rows = await label_rows(client, privacy_officer.headers)

        assert len(rows) == 4
        exports = [
            event for event in await audit_events(client, privacy_officer.headers, action="export")
        ]
        assert sorted(event["customer_id"] for event in exports) == sorted(
            customer["id"] for customer in customers
        )
        assert {event["purpose"] for event in exports} == {"direct_advertising"}
        assert {event["actor_id"] for event in exports} == {privacy_officer.id}
        assert exports[0]["fields"] == ["address", "first_name", "last_name"]


class TestPdf:
    async def test_a4_sheets_of_24_labels(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        for index in range(25):
            await create_customer(client, staff.headers, person(f"Sheet{index:02d}"))
        await create_customer(
            client,
            staff.headers,
            person(
                "Åkerlund",
                type="company",
                organisation={"name": "Öljy (Suomi) Oy", "business_id": "0112038-9"},
                address={
                    "street": "Storgatan 1",
                    "postal_code": "111 22",
                    "city": "Stockholm",
                    "country": "SE",
                },
            ),
        )

        response = await client.get(
            LABELS, params={"format": "pdf"}, headers=privacy_officer.headers
        )

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert 'filename="mailing-labels.pdf"' in response.headers["content-disposition"]
        reader = pypdf.PdfReader(io.BytesIO(response.content), strict=True)
        assert len(reader.pages) == 2
        assert [round(float(size)) for size in reader.pages[0].mediabox[2:]] == [595, 842]
        first_page = reader.pages[0].extract_text()
        assert "Aino Sheet00\nEsimerkkikatu 1 A 2\n00100 Helsinki" in first_page
        assert first_page.count("Helsinki") == 24
        second_page = reader.pages[1].extract_text()
        assert "Aino Åkerlund\nÖljy (Suomi) Oy\nStorgatan 1\n111 22 Stockholm\nSE" in second_page

    async def test_empty_export_is_a_valid_document(
        self, client: httpx.AsyncClient, privacy_officer: Staff
    ) -> None:
        response = await client.get(
            LABELS, params={"format": "pdf"}, headers=privacy_officer.headers
        )
        assert len(pypdf.PdfReader(io.BytesIO(response.content), strict=True).pages) == 1


class TestAccess:
    async def test_anonymous(self, client: httpx.AsyncClient) -> None:
        assert (await client.get(LABELS)).status_code == 401

    async def test_staff_cannot_export(self, client: httpx.AsyncClient, staff: Staff) -> None:
        assert (await client.get(LABELS, headers=staff.headers)).status_code == 403

    async def test_admin_can(self, client: httpx.AsyncClient, admin: Staff) -> None:
        assert (await client.get(LABELS, headers=admin.headers)).status_code == 200

    @pytest.mark.parametrize(
        "params", [{"format": "xlsx"}, {"postal_code_prefix": "0%"}, {"language": "de"}]
    )
    async def test_invalid_parameters(
        self, client: httpx.AsyncClient, admin: Staff, params: dict[str, str]
    ) -> None:
        response = await client.get(LABELS, params=params, headers=admin.headers)
        assert response.status_code == 422
