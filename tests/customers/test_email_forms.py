"""Look-alike e-mail addresses meet the one customer they stand for (NFKC, IDNA, letter case)."""

from __future__ import annotations

import logging
import unicodedata

import anyio.to_thread
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from customer_registry.migrations_runner import downgrade, upgrade
from tests.factories import Staff, create_customer, customer_body

pytestmark = pytest.mark.anyio

FULL_WIDTH_ANNA = "\uff41\uff4e\uff4e\uff41"  # full-width a n n a
LOOK_ALIKES = [
    ("anna@example.com", f"{FULL_WIDTH_ANNA}@example.com"),
    ("anna@example.com", "anna\uff20example.com"),  # full-width at sign
    ("anna@example.com", "Anna@EXAMPLE.com"),
    ("anna@example.com", "anna@\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25.com"),
    ("j\u00f6rg@example.com", unicodedata.normalize("NFD", "j\u00f6rg@example.com")),
    ("ren\u00e9@b\u00fccher.de", unicodedata.normalize("NFD", "Ren\u00e9@B\u00fccher.DE")),
    ("anna@b\u00fccher.de", "anna@xn--bcher-kva.de"),
]


class TestLookAlikes:
    @pytest.mark.parametrize(("stored", "look_alike"), LOOK_ALIKES)
    async def test_a_look_alike_is_taken_and_finds_the_customer(
        self, client: httpx.AsyncClient, staff: Staff, stored: str, look_alike: str
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body(email=stored))

        again = await client.post(
            "/api/v1/customers", json=customer_body(email=look_alike), headers=staff.headers
        )
        found = await client.post(
            "/api/v1/customers/lookup", json={"email": look_alike}, headers=staff.headers
        )
        listed = await client.get(
            "/api/v1/customers", params={"email": look_alike}, headers=staff.headers
        )

        assert again.status_code == 409, again.text
        assert found.status_code == 200, found.text
        assert found.json()["id"] == customer["id"]
        assert [item["id"] for item in listed.json()["items"]] == [customer["id"]]

    async def test_the_normalised_form_is_stored(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        created = await create_customer(
            client, staff.headers, customer_body(email=f"{FULL_WIDTH_ANNA}@EXAMPLE.com")
        )
        decomposed = await create_customer(
            client,
            staff.headers,
            customer_body(email=unicodedata.normalize("NFD", "J\u00f6rg@xn--bcher-kva.de")),
        )

        assert created["email"] == "anna@example.com"
        assert decomposed["email"] == "J\u00f6rg@b\u00fccher.de"

    async def test_a_changed_address_meets_the_same_index(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        await create_customer(client, staff.headers, customer_body(email="anna@example.com"))
        other = await create_customer(client, staff.headers, customer_body())

        response = await client.patch(
            f"/api/v1/customers/{other['id']}",
            json={"email": f"{FULL_WIDTH_ANNA}@example.com"},
            headers={**staff.headers, "If-Match": f'"{other["version"]}"'},
        )

        assert response.status_code == 409, response.text

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            ("\u0131lona@example.com", "ilona@example.com"),  # dotless i
            ("stra\u00dfe@example.com", "strasse@example.com"),  # sharp s
            ("\u0430nna@example.com", "anna@example.com"),  # Cyrillic a
        ],
    )
    async def test_different_letters_stay_different_addresses(
        self, client: httpx.AsyncClient, staff: Staff, first: str, second: str
    ) -> None:
        one = await create_customer(client, staff.headers, customer_body(email=first))
        other = await create_customer(client, staff.headers, customer_body(email=second))

        assert one["id"] != other["id"]


async def _execute(database_url: str, statement: str, **parameters: object) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement), parameters)
    finally:
        await engine.dispose()


async def _emails(database_url: str) -> dict[str, tuple[str, str]]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT id, email, email_normalized FROM customers")
            )
            return {str(row[0]).replace("-", ""): (row[1], row[2]) for row in rows}
    finally:
        await engine.dispose()


async def test_the_migration_normalises_stored_addresses_and_reports_collisions(
    client: httpx.AsyncClient,
    staff: Staff,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    older = await create_customer(client, staff.headers, customer_body(email="x1@example.com"))
    lone = await create_customer(client, staff.headers, customer_body(email="x2@example.com"))
    newer = await create_customer(client, staff.headers, customer_body(email="x3@example.com"))
    await client.aclose()
    # As the service stored them before: no NFKC, the whole address lower-cased as the key.
    decomposed = unicodedata.normalize("NFD", "J\u00f6rg@example.com")
    old_forms = {
        older["id"]: f"{FULL_WIDTH_ANNA}@example.com",
        lone["id"]: decomposed,
        newer["id"]: "Anna@example.com",
    }
    for customer_id, email in old_forms.items():
        await _execute(
            database_url,
            "UPDATE customers SET email = :email, email_normalized = :key WHERE id = :id",
            email=email,
            key=email.lower(),
            id=customer_id if "postgresql" in database_url else customer_id.replace("-", ""),
        )

    await anyio.to_thread.run_sync(downgrade, database_url, "c5_erasure_log")
    with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
        await anyio.to_thread.run_sync(upgrade, database_url, "head")

    emails = await _emails(database_url)
    assert emails[lone["id"].replace("-", "")] == ("J\u00f6rg@example.com", "j\u00f6rg@example.com")
    # The full-width address now equals another customer's, which already had its key: the
    # customer keeps the address it had, and its id (no address) is reported.
    assert emails[newer["id"].replace("-", "")] == ("Anna@example.com", "anna@example.com")
    full_width = f"{FULL_WIDTH_ANNA}@example.com"
    assert emails[older["id"].replace("-", "")] == (full_width, full_width)
    reported = [record.getMessage() for record in caplog.records]
    assert any(older["id"] in message for message in reported)
    assert not any(newer["id"] in message for message in reported)
    assert not any("example.com" in message for message in reported)
