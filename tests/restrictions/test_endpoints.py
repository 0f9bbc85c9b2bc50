"""Restriction of processing (R23): kept, hidden from processing, read only with a purpose."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import Staff, audit_events, create_customer, customer_body

pytestmark = pytest.mark.anyio


def restriction_url(customer_id: str) -> str:
    return f"/api/v1/customers/{customer_id}/restriction"


async def restrict(
    client: httpx.AsyncClient, headers: dict[str, str], customer_id: str
) -> httpx.Response:
    return await client.put(
        restriction_url(customer_id), json={"reason": "Accuracy contested"}, headers=headers
    )


@pytest.fixture
async def restricted(
    client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
) -> dict[str, Any]:
    customer = await create_customer(client, staff.headers, customer_body(last_name="Rajoitettu"))
    response = await restrict(client, privacy_officer.headers, customer["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["restricted"] is True
    assert body["reason"] == "Accuracy contested"
    assert body["restricted_by"] == privacy_officer.id
    return customer


class TestHidden:
    async def test_left_out_of_list_and_search(
        self, client: httpx.AsyncClient, staff: Staff, restricted: dict[str, Any]
    ) -> None:
        visible = await create_customer(client, staff.headers, customer_body())
        listed = (await client.get("/api/v1/customers", headers=staff.headers)).json()["items"]
        assert [item["id"] for item in listed] == [visible["id"]]
        for params in ({"q": "Rajoitettu"}, {"email": restricted["email"]}):
            found = await client.get("/api/v1/customers", params=params, headers=staff.headers)
            assert found.json()["items"] == []

    async def test_left_out_of_label_export(
        self, client: httpx.AsyncClient, privacy_officer: Staff, restricted: dict[str, Any]
    ) -> None:
        response = await client.get(
            "/api/v1/exports/mailing-labels", headers=privacy_officer.headers
        )
        assert "Rajoitettu" not in response.text

    async def test_staff_cannot_read_change_or_see_consents(
        self, client: httpx.AsyncClient, staff: Staff, restricted: dict[str, Any]
    ) -> None:
        url = f"/api/v1/customers/{restricted['id']}"
        read = await client.get(url, headers=staff.headers)
        assert read.status_code == 403
        assert read.json()["type"].endswith("/customer-restricted")
        assert "Rajoitettu" not in read.text
        with_purpose = await client.get(
            url, params={"purpose": "legal_claims"}, headers=staff.headers
        )
        assert with_purpose.status_code == 403
        consents = await client.get(f"{url}/consents", headers=staff.headers)
        assert consents.status_code == 403
        change = await client.patch(
            url, json={"first_name": "Uusi"}, headers={**staff.headers, "If-Match": '"1"'}
        )
        assert change.status_code == 409
        assert change.json()["type"].endswith("/customer-restricted")

    async def test_privacy_officer_reads_with_a_stated_purpose(
        self, client: httpx.AsyncClient, privacy_officer: Staff, restricted: dict[str, Any]
    ) -> None:
        url = f"/api/v1/customers/{restricted['id']}"
        without = await client.get(url, headers=privacy_officer.headers)
        assert without.status_code == 403
        assert "purpose" in without.json()["detail"]

        read = await client.get(
            url, params={"purpose": "legal_claims"}, headers=privacy_officer.headers
        )
        assert read.status_code == 200
        assert read.json()["last_name"] == "Rajoitettu"
        assert read.json()["restricted_at"] is not None
        consents = await client.get(
            f"{url}/consents",
            params={"purpose": "data_subject_request"},
            headers=privacy_officer.headers,
        )
        assert consents.status_code == 200

        events = await audit_events(client, privacy_officer.headers, customer_id=restricted["id"])
        assert [(event["action"], event["entity"], event["purpose"]) for event in events] == [
            ("create", "customer", None),
            ("restrict", "customer", None),
            ("read", "customer", "legal_claims"),
            ("read", "consent", "data_subject_request"),
        ]


class TestRestrictAndRelease:
    async def test_release_makes_the_customer_processable_again(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        privacy_officer: Staff,
        restricted: dict[str, Any],
    ) -> None:
        released = await client.delete(
            restriction_url(restricted["id"]), headers=privacy_officer.headers
        )
        assert released.status_code == 200
        assert released.json()["restricted"] is False

        read = await client.get(f"/api/v1/customers/{restricted['id']}", headers=staff.headers)
        assert read.status_code == 200
        assert read.json()["version"] == restricted["version"]
        listed = (await client.get("/api/v1/customers", headers=staff.headers)).json()["items"]
        assert [item["id"] for item in listed] == [restricted["id"]]
        events = await audit_events(
            client, privacy_officer.headers, customer_id=restricted["id"], action="release"
        )
        assert len(events) == 1

    async def test_twice_is_a_conflict(
        self, client: httpx.AsyncClient, privacy_officer: Staff, restricted: dict[str, Any]
    ) -> None:
        again = await restrict(client, privacy_officer.headers, restricted["id"])
        assert again.status_code == 409
        url = restriction_url(restricted["id"])
        assert (await client.delete(url, headers=privacy_officer.headers)).status_code == 200
        assert (await client.delete(url, headers=privacy_officer.headers)).status_code == 409

    async def test_read_state(
        self, client: httpx.AsyncClient, admin: Staff, restricted: dict[str, Any]
    ) -> None:
        response = await client.get(restriction_url(restricted["id"]), headers=admin.headers)
        assert response.status_code == 200
        assert response.json()["restricted"] is True

    async def test_staff_cannot_restrict(self, client: httpx.AsyncClient, staff: Staff) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        assert (await restrict(client, staff.headers, customer["id"])).status_code == 403

    @pytest.mark.parametrize("reason", ["", "x" * 501, "a\x00b"])
    async def test_invalid_reason(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff, reason: str
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        response = await client.put(
            restriction_url(customer["id"]),
            json={"reason": reason},
            headers=privacy_officer.headers,
        )
        assert response.status_code == 422

    async def test_unknown_customer(
        self, client: httpx.AsyncClient, privacy_officer: Staff
    ) -> None:
        response = await restrict(
            client, privacy_officer.headers, "01900000-0000-7000-8000-000000000000"
        )
        assert response.status_code == 404
