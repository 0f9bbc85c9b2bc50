"""Name and address updates from update services (R10): matching, conflicts, report, CLI."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
import pytest

from customer_registry.address_updates.parser import COLUMNS
from tests.factories import (
    TEST_SECRET,
    Staff,
    audit_events,
    create_customer,
    customer_body,
    execute_sql,
)
from tests.processes import run

pytestmark = pytest.mark.anyio

URL = "/api/v1/address-updates"
TODAY = dt.datetime.now(dt.UTC).date().isoformat()
YESTERDAY = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()
HEADER = ",".join(COLUMNS)


def line(**values: str) -> str:
    values.setdefault("changed_on", TODAY)
    return ",".join(values.get(column, "") for column in COLUMNS)


def move(**values: str) -> str:
    """A line that moves someone to Uusikatu 5, 00200 Helsinki."""
    return line(new_street="Uusikatu 5", new_postal_code="00200", new_city="Helsinki", **values)


def csv_file(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], content: str, **params: str
) -> dict[str, Any]:
    response = await client.post(
        URL, content=content, params=params, headers={**headers, "Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


async def read(client: httpx.AsyncClient, headers: dict[str, str], customer_id: str) -> Any:
    response = await client.get(f"/api/v1/customers/{customer_id}", headers=headers)
    return response.json()


class TestImport:
    async def test_match_by_id_and_by_name_and_previous_address(
        self, client: httpx.AsyncClient, staff: Staff, admin: Staff
    ) -> None:
        by_id = await create_customer(client, staff.headers, customer_body(last_name="Id"))
        by_name = await create_customer(
            client, staff.headers, customer_body(first_name="Äijä", last_name="Mäkelä")
        )

        report = await upload(
            client,
            admin.headers,
            csv_file(
                move(customer_id=by_id["id"]),
                move(
                    first_name="äijä",
                    last_name="Mäkelä",
                    previous_street="esimerkkikatu  1 A 2",
                    previous_postal_code="00100",
                    new_last_name="Virtanen-Mäkelä",
                ),
            ),
        )

        assert report == {
            "dry_run": False,
            "lines": 2,
            "matched": 2,
            "updated": 2,
            "unchanged": 0,
            "unmatched": 0,
            "conflicts": 0,
            "skipped": 0,
            "malformed": 0,
            "problems": [],
        }
        moved = await read(client, staff.headers, by_id["id"])
        assert moved["address"] == {
            "street": "Uusikatu 5",
            "postal_code": "00200",
            "city": "Helsinki",
            "country": "FI",
        }
        assert moved["source"] == "address_update_service"
        assert moved["version"] == 2
        renamed = await read(client, staff.headers, by_name["id"])
        assert renamed["last_name"] == "Virtanen-Mäkelä"
        (event,) = await audit_events(
            client, admin.headers, customer_id=by_name["id"], action="update"
        )
        assert event["fields"] == ["address", "last_name", "source"]
        assert event["actor_id"] == admin.id
        assert "Uusikatu" not in str(event)

    async def test_dry_run_changes_nothing(
        self, client: httpx.AsyncClient, staff: Staff, admin: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())

        report = await upload(
            client, admin.headers, csv_file(move(customer_id=customer["id"])), dry_run="true"
        )

        assert report["dry_run"] is True
        assert report["updated"] == 1
        assert await read(client, staff.headers, customer["id"]) == customer | {
            "updated_at": customer["updated_at"]
        }
        assert await audit_events(client, admin.headers, action="update") == []

    async def test_conflicts_unchanged_unmatched_skipped_and_malformed_lines(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        admin: Staff,
        privacy_officer: Staff,
        database_url: str,
    ) -> None:
        newer = await create_customer(client, staff.headers, customer_body())
        same = await create_customer(client, staff.headers, customer_body())
        restricted = await create_customer(client, staff.headers, customer_body())
        erased = await create_customer(client, staff.headers, customer_body())
        twin_body = customer_body(first_name="Kaksonen", last_name="Sama")
        await create_customer(client, staff.headers, twin_body)
        await create_customer(
            client, staff.headers, customer_body(first_name="Kaksonen", last_name="Sama")
        )
        good = await create_customer(client, staff.headers, customer_body())
        response = await client.put(
            f"/api/v1/customers/{restricted['id']}/restriction",
            json={"reason": "Accuracy contested"},
            headers=privacy_officer.headers,
        )
        assert response.status_code == 200
        await execute_sql(
            database_url,
            "UPDATE customers SET first_name = NULL, last_name = NULL WHERE id = :id",
            id=uuid.UUID(erased["id"]).hex if database_url.startswith("sqlite") else erased["id"],
        )

        report = await upload(
            client,
            admin.headers,
            csv_file(
                move(customer_id=newer["id"], changed_on=YESTERDAY),  # line 2
                line(
                    customer_id=same["id"],
                    new_street="Esimerkkikatu 1 A 2",
                    new_postal_code="00100",
                    new_city="Helsinki",
                ),  # line 3
                move(customer_id=str(uuid.uuid4())),  # line 4
                move(
                    first_name="Kaksonen",
                    last_name="Sama",
                    previous_street="Esimerkkikatu 1 A 2",
                    previous_postal_code="00100",
                ),  # line 5
                move(customer_id=restricted["id"]),  # line 6
                move(customer_id=erased["id"]),  # line 7
                move(customer_id="not-a-uuid"),  # line 8
                move(customer_id=good["id"], changed_on="2026-13-01"),  # line 9
                line(customer_id=good["id"], new_street="Katu 1"),  # line 10
                line(customer_id=good["id"], new_street="K 1", new_postal_code="123", new_city="H"),
                "too,few,columns",  # line 12
                move(first_name="Vain", last_name="Nimi"),  # line 13
                line(customer_id=good["id"]),  # line 14
                move(customer_id=good["id"]),  # line 15: still applied
            ),
        )

        problems = {item["line"]: (item["outcome"], item["detail"]) for item in report["problems"]}
        assert problems == {
            2: ("conflict", None),
            4: ("unmatched", None),
            5: ("ambiguous", "2 customers have this name and address"),
            6: ("skipped_restricted", None),
            7: ("skipped_erased", None),
            8: ("malformed", "invalid customer_id"),
            9: ("malformed", "invalid changed_on"),
            10: ("malformed", "a new address needs new_street, new_postal_code and new_city"),
            11: ("malformed", "the new address is not a valid postal address"),
            12: ("malformed", "expected 13 columns"),
            13: (
                "malformed",
                "needs customer_id, or first_name, last_name, previous_street and "
                "previous_postal_code",
            ),
            14: ("malformed", "nothing to update"),
        }
        assert {key: report[key] for key in report if key != "problems"} == {
            "dry_run": False,
            "lines": 14,
            "matched": 5,
            "updated": 1,
            "unchanged": 1,
            "unmatched": 2,
            "conflicts": 1,
            "skipped": 2,
            "malformed": 7,
        }
        assert (await read(client, staff.headers, newer["id"]))["version"] == 1
        assert (await read(client, staff.headers, good["id"]))["address"]["street"] == "Uusikatu 5"
        restricted_now = await client.get(
            f"/api/v1/customers/{restricted['id']}",
            params={"purpose": "legal_claims"},
            headers=privacy_officer.headers,
        )
        assert restricted_now.json()["address"] == restricted["address"]


class TestUpload:
    async def test_only_admins(
        self, client: httpx.AsyncClient, staff: Staff, privacy_officer: Staff
    ) -> None:
        for headers in (staff.headers, privacy_officer.headers):
            response = await client.post(
                URL, content=csv_file(), headers={**headers, "Content-Type": "text/csv"}
            )
            assert response.status_code == 403
        assert (await client.post(URL, content=csv_file())).status_code == 401

    async def test_refuses_other_media_types_big_files_and_bad_headers(
        self, client: httpx.AsyncClient, admin: Staff, app: Any
    ) -> None:
        response = await client.post(URL, json={"a": 1}, headers=admin.headers)
        assert response.status_code == 415
        app.state.settings = app.state.settings.model_copy(
            update={"address_update_max_bytes": 2048}
        )
        big = csv_file(*[move(customer_id=str(uuid.uuid4())) for _ in range(40)])
        response = await client.post(
            URL, content=big, headers={**admin.headers, "Content-Type": "text/csv"}
        )
        assert response.status_code == 413
        for content in ("", "changed_on,date_of_birth\n", "customer_id\n"):
            response = await client.post(
                URL, content=content, headers={**admin.headers, "Content-Type": "text/csv"}
            )
            assert response.status_code == 422, content


class TestCommand:
    async def test_dry_run_then_import(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        admin: Staff,
        database_url: str,
        tmp_path: Path,
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        path = tmp_path / "updates.csv"
        path.write_text(csv_file(move(customer_id=customer["id"]), "x"), encoding="utf-8")
        settings = {"database_url": database_url, "secret_key": TEST_SECRET}

        dry = await anyio.to_thread.run_sync(
            lambda: run(["import-address-updates", str(path), "--dry-run"], tmp_path, **settings)
        )
        assert dry.returncode == 0, dry.stderr
        assert dry.stdout.startswith("dry run, nothing changed: 2 lines: 1 matched, 1 updated")
        assert "line 3: malformed" in dry.stdout
        assert (await read(client, staff.headers, customer["id"]))["version"] == 1

        applied = await anyio.to_thread.run_sync(
            lambda: run(["import-address-updates", str(path)], tmp_path, **settings)
        )
        assert applied.returncode == 0, applied.stderr
        assert applied.stdout.startswith("2 lines: 1 matched, 1 updated")
        assert (await read(client, staff.headers, customer["id"]))["version"] == 2
        (event,) = await audit_events(
            client, admin.headers, customer_id=customer["id"], action="update"
        )
        assert event["actor_type"] == "system"

        missing = await anyio.to_thread.run_sync(
            lambda: run(
                ["import-address-updates", str(tmp_path / "nope.csv")], tmp_path, **settings
            )
        )
        assert missing.returncode == 1
        assert "cannot read" in missing.stderr
