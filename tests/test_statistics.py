"""Statistics (R2, R3): aggregates only, small cells suppressed, restricted customers left out."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from customer_registry.statistics.suppression import suppress
from tests.conftest import Staff, customer_body
from tests.helpers import audit_events, create_customer

pytestmark = pytest.mark.anyio

STATISTICS = "/api/v1/statistics/customers"


def in_region(postal_code: str) -> dict[str, Any]:
    return customer_body(
        address={
            "street": "Katu 1",
            "postal_code": postal_code,
            "city": "Kaupunki",
            "country": "FI",
        }
    )


def cells(groups: list[dict[str, Any]]) -> dict[str, int | None]:
    return {group["key"]: group["customers"]["count"] for group in groups}


async def statistics(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get(STATISTICS, params={"months": 3}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestCustomerStatistics:
    async def test_cells_of_four_are_suppressed_and_five_shown(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        privacy_officer: Staff,
    ) -> None:
        created = []
        for postal_code, people in (("00100", 5), ("20100", 5), ("33100", 4), ("40100", 1)):
            for _ in range(people):
                created.append(await create_customer(client, staff.headers, in_region(postal_code)))

        body = await statistics(client, staff.headers)

        assert body["minimum_cell_size"] == 5
        assert cells(body["customers_by_region"]) == {"00": 5, "20": 5, "33": None, "40": None}
        assert body["customers_by_region"][2]["customers"] == {"count": None, "suppressed": True}
        assert cells(body["customers_by_type"]) == {
            "company": None,
            "private_person": 15,
            "public_administration": None,
            "authority": None,
            "non_profit": None,
        }
        assert cells(body["customers_by_language"]) == {"fi": 15, "sv": None, "en": None}
        this_month = body["relationships_by_month"][-1]
        assert this_month["started"] == {"count": 15, "suppressed": False}
        assert this_month["ended"] == {"count": None, "suppressed": True}
        assert len(body["relationships_by_month"]) == 3
        for customer in created[:1]:
            assert customer["email"] not in str(body)
            assert customer["id"] not in str(body)

        # A restricted customer is left out: its region drops to four people.
        response = await client.put(
            f"/api/v1/customers/{created[0]['id']}/restriction",
            json={"reason": "Objection under consideration"},
            headers=privacy_officer.headers,
        )
        assert response.status_code == 200
        body = await statistics(client, staff.headers)
        assert cells(body["customers_by_region"]) == {"00": None, "20": 5, "33": None, "40": None}
        assert cells(body["customers_by_type"])["private_person"] == 14

    async def test_reading_is_audited_without_personal_data(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        await statistics(client, staff.headers)
        (event,) = [
            event
            for event in await audit_events(client, privacy_officer.headers)
            if event["entity"] == "statistics"
        ]
        assert event["customer_id"] is None
        assert event["actor_id"] == staff.id

    async def test_anonymous(self, client: httpx.AsyncClient) -> None:
        assert (await client.get(STATISTICS)).status_code == 401

    async def test_months_are_bounded(self, client: httpx.AsyncClient, staff: Staff) -> None:
        response = await client.get(STATISTICS, params={"months": 121}, headers=staff.headers)
        assert response.status_code == 422


@pytest.mark.parametrize(
    ("counts", "suppressed"),
    [
        ({"a": 5}, set()),
        ({"a": 4}, {"a"}),
        ({"a": 0, "b": 7}, {"a"}),
        # One hidden cell of 4 could be worked out from the total: the next one goes too.
        ({"a": 9, "b": 4, "c": 6}, {"b", "c"}),
        ({"a": 9, "b": 4, "c": 3}, {"b", "c"}),
        ({"a": 1, "b": 1, "c": 20}, {"a", "b", "c"}),
    ],
)
def test_suppression(counts: dict[str, int], suppressed: set[str]) -> None:
    result = suppress(counts)
    assert {key for key, cell in result.items() if cell.suppressed} == suppressed
    for key, cell in result.items():
        assert cell.count == (None if key in suppressed else counts[key])
