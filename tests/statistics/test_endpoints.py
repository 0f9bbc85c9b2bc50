"""Statistics (R2, R3): aggregates only, small cells suppressed, restricted customers left out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import httpx
import pytest

from customer_registry.statistics.suppression import suppress, suppress_overlapping
from tests.factories import (
    Staff,
    audit_events,
    create_customer,
    create_order,
    customer_body,
    order_body,
)

pytestmark = pytest.mark.anyio

STATISTICS = "/api/v1/statistics/customers"
ORDER_STATISTICS = "/api/v1/statistics/orders"


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


def month_start(months_back: int) -> dt.date:
    """The first day of the month `months_back` before this one (UTC, like the service)."""
    today = dt.datetime.now(dt.UTC).date()
    index = today.year * 12 + today.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


async def order(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    customer_id: str,
    ordered_on: dt.date,
    channel: str,
    unit_price: str = "10.00",
) -> dict[str, Any]:
    """An order of one line at `unit_price` without VAT (24 % on top)."""
    extra = {"reseller_name": "Jälleenmyyjä Oy"} if channel == "reseller" else {}
    return await create_order(
        client,
        headers,
        order_body(
            customer_id,
            ordered_on=ordered_on.isoformat(),
            channel=channel,
            invoice=None,
            lines=[
                {
                    "product_code": "P-1",
                    "product_name": "Tuote",
                    "quantity": 1,
                    "unit_price": unit_price,
                    "vat_rate": "24",
                }
            ],
            **extra,
        ),
    )


async def order_statistics(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get(ORDER_STATISTICS, params={"months": 3}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def order_cells(cells: list[dict[str, Any]]) -> dict[str, tuple[Any, ...] | None]:
    """Each cell as (customers, orders, revenue), or None when suppressed."""
    result: dict[str, tuple[Any, ...] | None] = {}
    for cell in cells:
        if cell["suppressed"]:
            assert cell["customers"] is None
            assert cell["orders"] is None
            assert cell["revenue"] is None
            result[cell["key"]] = None
        else:
            result[cell["key"]] = (cell["customers"], cell["orders"], cell["revenue"])
    return result


class TestOrderStatistics:
    async def test_four_people_with_many_orders_are_suppressed_and_five_people_shown(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        this_month, last_month, two_months_ago = month_start(0), month_start(1), month_start(2)
        frequent = [await create_customer(client, staff.headers, customer_body()) for _ in range(4)]
        for customer in frequent:
            for day in range(10):
                await order(
                    client, staff.headers, customer["id"], last_month + dt.timedelta(day), "shop"
                )
        occasional = await create_customer(client, staff.headers, customer_body())
        await order(client, staff.headers, occasional["id"], two_months_ago, "reseller")
        regular = [await create_customer(client, staff.headers, customer_body()) for _ in range(5)]
        for customer in regular:
            await order(client, staff.headers, customer["id"], this_month, "web_shop")
        cancelled = await order(
            client, staff.headers, regular[0]["id"], this_month, "web_shop", "500.00"
        )
        response = await client.post(
            f"/api/v1/orders/{cancelled['id']}/status",
            json={"status": "cancelled"},
            headers={**staff.headers, "If-Match": '"1"'},
        )
        assert response.status_code == 200, response.text

        body = await order_statistics(client, staff.headers)

        assert body["minimum_cell_size"] == 5
        (euros,) = body["currencies"]
        assert euros["currency"] == "EUR"
        # 40 orders of 4 people stay hidden, revenue too; the hidden months hold 5 people
        # together, so the month of 5 people is shown. The cancelled order is no sale.
        assert order_cells(euros["orders_by_month"]) == {
            two_months_ago.strftime("%Y-%m"): None,
            last_month.strftime("%Y-%m"): None,
            this_month.strftime("%Y-%m"): (5, 5, "50.00"),
        }
        assert order_cells(euros["orders_by_channel"]) == {
            "shop": None,
            "web_shop": (5, 5, "50.00"),
            "reseller": None,
        }
        for customer in [*frequent, occasional, *regular]:
            assert customer["id"] not in str(body)
            assert customer["email"] not in str(body)

        # A restricted customer's orders are left out: this month drops to four people, and
        # then nothing at all can be shown.
        response = await client.put(
            f"/api/v1/customers/{regular[1]['id']}/restriction",
            json={"reason": "Objection under consideration"},
            headers=privacy_officer.headers,
        )
        assert response.status_code == 200
        (euros,) = (await order_statistics(client, staff.headers))["currencies"]
        assert set(order_cells(euros["orders_by_month"]).values()) == {None}
        assert set(order_cells(euros["orders_by_channel"]).values()) == {None}

    async def test_a_fifth_person_reveals_the_cell(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        this_month = month_start(0)
        people = [await create_customer(client, staff.headers, customer_body()) for _ in range(5)]
        for customer in people[:4]:
            for _ in range(10):
                await order(client, staff.headers, customer["id"], this_month, "shop", "1.50")

        (euros,) = (await order_statistics(client, staff.headers))["currencies"]
        assert order_cells(euros["orders_by_channel"])["shop"] is None

        await order(client, staff.headers, people[4]["id"], this_month, "shop", "1.50")

        (euros,) = (await order_statistics(client, staff.headers))["currencies"]
        assert order_cells(euros["orders_by_month"])[this_month.strftime("%Y-%m")] == (
            5,
            41,
            "61.50",
        )
        assert order_cells(euros["orders_by_channel"])["shop"] == (5, 41, "61.50")

    async def test_one_person_in_several_small_cells_is_not_given_away(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        """Two hidden months of the same single customer do not make a hidden sum of two."""
        many = [await create_customer(client, staff.headers, customer_body()) for _ in range(6)]
        for customer in many:
            await order(client, staff.headers, customer["id"], month_start(0), "web_shop")
        for months_back in (1, 2):
            await order(client, staff.headers, many[0]["id"], month_start(months_back), "web_shop")

        (euros,) = (await order_statistics(client, staff.headers))["currencies"]

        assert set(order_cells(euros["orders_by_month"]).values()) == {None}
        assert order_cells(euros["orders_by_channel"])["web_shop"] == (6, 8, "80.00")

    async def test_no_orders(self, client: httpx.AsyncClient, staff: Staff) -> None:
        assert (await order_statistics(client, staff.headers))["currencies"] == []

    async def test_reading_is_audited(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        await order_statistics(client, staff.headers)
        (event,) = [
            event
            for event in await audit_events(client, privacy_officer.headers)
            if event["entity"] == "statistics"
        ]
        assert event["entity_id"] == "orders"
        assert event["customer_id"] is None

    async def test_anonymous_and_bounds(self, client: httpx.AsyncClient, staff: Staff) -> None:
        assert (await client.get(ORDER_STATISTICS)).status_code == 401
        response = await client.get(ORDER_STATISTICS, params={"months": 0}, headers=staff.headers)
        assert response.status_code == 422


@pytest.mark.parametrize(
    ("hidden_people", "suppressed"),
    [
        # The two small cells are the same three people: the smallest shown cell goes too.
        (3, {"a", "b", "c"}),
        # Six different people: the two small cells together cannot single anyone out.
        (6, {"a", "b"}),
    ],
)
async def test_overlapping_suppression(hidden_people: int, suppressed: set[str]) -> None:
    async def people_in(keys: Collection[str]) -> int:
        return hidden_people if set(keys) == {"a", "b"} else 99

    assert await suppress_overlapping({"a": 3, "b": 3, "c": 9, "d": 12}, people_in) == suppressed


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
