"""Retention (R15): dry run, real run, run twice, interrupted, blockers respected."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from customer_registry.auth.principal import SYSTEM_ACTOR
from customer_registry.config import Settings
from customer_registry.retention.service import run_per_customer
from tests.factories import (
    RUNS,
    Staff,
    audit_events,
    create_customer,
    create_order,
    customer_body,
    ended,
    order_body,
)

pytestmark = pytest.mark.anyio


async def seed(client: httpx.AsyncClient, staff: Staff) -> dict[str, dict[str, Any]]:
    return {
        "old": await create_customer(client, staff.headers, customer_body(**ended(11))),
        "older": await create_customer(client, staff.headers, customer_body(**ended(20))),
        "recent": await create_customer(client, staff.headers, customer_body(**ended(9))),
        "current": await create_customer(client, staff.headers, customer_body()),
        "contact": await create_customer(
            client,
            staff.headers,
            customer_body(
                type="company",
                is_contact_person=True,
                organisation={"name": "Vanha Oy", "business_id": None},
                **ended(12),
            ),
        ),
    }


async def status(client: httpx.AsyncClient, staff: Staff, customer: dict[str, Any]) -> int:
    return (
        await client.get(f"/api/v1/customers/{customer['id']}", headers=staff.headers)
    ).status_code


async def test_dry_run_changes_nothing(
    client: httpx.AsyncClient, staff: Staff, admin: Staff
) -> None:
    customers = await seed(client, staff)

    response = await client.post(RUNS, params={"dry_run": "true"}, headers=admin.headers)

    assert response.status_code == 200
    report = response.json()
    assert report["dry_run"] is True
    assert report["candidates"] == 3
    assert report["erased"] == 2
    assert report["blocked"] == [
        {"customer_id": customers["contact"]["id"], "blockers": ["contact_person"]}
    ]
    for customer in customers.values():
        assert await status(client, staff, customer) == 200


async def test_real_run_then_again(
    client: httpx.AsyncClient, staff: Staff, admin: Staff, privacy_officer: Staff
) -> None:
    customers = await seed(client, staff)

    first = (await client.post(RUNS, params={"dry_run": "false"}, headers=admin.headers)).json()
    second = (await client.post(RUNS, params={"dry_run": "false"}, headers=admin.headers)).json()

    assert first["erased"] == 2
    assert second["candidates"] == 1  # only the blocked contact person is still due
    assert second["erased"] == 0
    assert await status(client, staff, customers["old"]) == 410
    assert await status(client, staff, customers["older"]) == 410
    for name in ("recent", "current", "contact"):
        assert await status(client, staff, customers[name]) == 200
    erasures = await audit_events(
        client, privacy_officer.headers, customer_id=customers["old"]["id"], action="erase"
    )
    assert len(erasures) == 1
    assert erasures[0]["purpose"] == "retention"


async def test_only_admins_run_retention(client: httpx.AsyncClient, privacy_officer: Staff) -> None:
    response = await client.post(RUNS, headers=privacy_officer.headers)

    assert response.status_code == 403


async def test_an_interrupted_run_leaves_no_half_erased_customer(
    client: httpx.AsyncClient, staff: Staff, settings: Settings, app: Any
) -> None:
    customers = [
        await create_customer(client, staff.headers, customer_body(**ended(15))) for _ in range(4)
    ]

    def interrupt_after_two(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await run_per_customer(
            app.state.session_factory,
            settings,
            SYSTEM_ACTOR,
            dry_run=False,
            progress=interrupt_after_two,
        )

    statuses = [await status(client, staff, customer) for customer in customers]
    assert statuses == [410, 410, 200, 200]
    rest = await run_per_customer(app.state.session_factory, settings, SYSTEM_ACTOR, dry_run=False)
    assert rest.candidates == 2
    assert rest.erased == 2


async def test_dry_run_lists_and_counts_what_the_real_run_does(
    client: httpx.AsyncClient, staff: Staff, admin: Staff
) -> None:
    customers = await seed(client, staff)
    owing = await create_customer(
        client, staff.headers, customer_body(first_name="Velallinen", **ended(11))
    )
    await create_order(client, staff.headers, order_body(owing["id"]))

    dry = (await client.post(RUNS, params={"dry_run": "true"}, headers=admin.headers)).json()
    real = (await client.post(RUNS, params={"dry_run": "false"}, headers=admin.headers)).json()

    counted = ("candidates", "erased", "partially_erased", "blocked", "customers", "remaining")
    assert {name: dry[name] for name in counted} == {name: real[name] for name in counted}
    assert (dry["erased"], dry["partially_erased"]) == (2, 1)
    decisions = {decision["customer_id"]: decision for decision in dry["customers"]}
    assert decisions[owing["id"]] == {
        "customer_id": owing["id"],
        "reason": "retention_period_ended",
        "outcome": "partially_erased",
        "blockers": ["open_invoice", "bookkeeping"],
    }
    assert decisions[customers["contact"]["id"]]["outcome"] == "kept"
    assert {decisions[customers[name]["id"]]["outcome"] for name in ("old", "older")} == {"erased"}
    assert set(decisions) == {customers[n]["id"] for n in ("old", "older", "contact")} | {
        owing["id"]
    }
    for value in ("Velallinen", owing["email"], customers["old"]["email"]):
        assert value not in str(dry)
