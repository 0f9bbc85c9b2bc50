"""Erasures made after a backup are re-applied after a restore (R14; runbook section 8).

Through the real flow: customers are created, the database is backed up (SQLite: a copy of
the file; PostgreSQL: a copy made with CREATE DATABASE ... TEMPLATE), one person is erased
through the API, the backup is restored, and `customer-registry erasures replay` erases
the person again from the erasure log that lives outside the database.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
import pytest
from sqlalchemy import inspect, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from customer_registry.config import Settings
from customer_registry.erasure_log import journal
from customer_registry.erasure_log.journal import ErasureLogError
from customer_registry.erasure_log.replay import replay
from customer_registry.gdpr_requests.erasure import Eraser
from customer_registry.models import Customer
from tests.factories import (
    RUNS,
    TEST_SECRET,
    Staff,
    _postgres_admin,
    audit_events,
    complete,
    create_customer,
    customer_body,
    ended,
    is_postgres,
    tables_containing,
    verified_request,
)
from tests.processes import run

pytestmark = pytest.mark.anyio

FORGOTTEN = {
    "first_name": "Ulpukka",
    "last_name": "Unohdettava",
    "phone": "+358409876543",
    "address": {
        "street": "Katoamistie 7",
        "postal_code": "33100",
        "city": "Tampere",
        "country": "FI",
    },
}


class Backup:
    """A backup of the test database and its restore, with the app's connections closed."""

    def __init__(self, app: Any, database_url: str, tmp_path: Path) -> None:
        self.app = app
        self.url = make_url(database_url)
        self.file = tmp_path / "backup.db"
        self.database = f"{self.url.database}_backup"

    async def take(self) -> None:
        await self.app.state.engine.dispose()
        if is_postgres():
            await _postgres_admin(f"CREATE DATABASE {self.database} TEMPLATE {self.url.database}")
        else:
            # With every connection closed SQLite has folded its write-ahead log into the
            # database file, so the file alone is the backup.
            shutil.copyfile(self._sqlite_file(), self.file)

    async def restore(self) -> None:
        await self.app.state.engine.dispose()
        if is_postgres():
            await _postgres_admin(f"DROP DATABASE {self.url.database} WITH (FORCE)")
            await _postgres_admin(f"CREATE DATABASE {self.url.database} TEMPLATE {self.database}")
        else:
            database = self._sqlite_file()
            for leftover in (Path(f"{database}-wal"), Path(f"{database}-shm")):
                leftover.unlink(missing_ok=True)
            shutil.copyfile(self.file, database)

    async def drop(self) -> None:
        if is_postgres():
            await _postgres_admin(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")

    def _sqlite_file(self) -> Path:
        assert self.url.database is not None
        return Path(self.url.database)


@pytest.fixture
async def backup(app: Any, database_url: str, tmp_path: Path) -> Any:
    taken = Backup(app, database_url, tmp_path)
    yield taken
    await taken.drop()


async def snapshot(database_url: str) -> dict[str, list[str]]:
    """Every row of every table, to compare before and after."""
    engine = create_async_engine(database_url)
    rows: dict[str, list[str]] = {}
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            for table in tables:
                result = await connection.execute(text(f'SELECT * FROM "{table}"'))
                rows[table] = sorted(repr(tuple(row)) for row in result)
    finally:
        await engine.dispose()
    return rows


async def erasure_log_rows(database_url: str) -> list[dict[str, Any]]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                text("SELECT customer_id, reference, replayed_at FROM erasure_log")
            )
            return [dict(row._mapping) for row in result]
    finally:
        await engine.dispose()


async def replay_command(settings: Settings, *options: str) -> str:
    """`customer-registry erasures replay` in a process of its own; its one-line report."""
    assert settings.erasure_log_file is not None
    result = await anyio.to_thread.run_sync(
        lambda: run(
            ["erasures", "replay", *options],
            settings.erasure_log_file.parent,
            database_url=settings.database_url,
            secret_key=TEST_SECRET,
            erasure_log_file=str(settings.erasure_log_file),
        )
    )
    assert result.returncode == 0, result.stderr
    assert "erasure replay: done" in result.stderr
    return result.stdout.strip()


def log_lines(settings: Settings) -> list[dict[str, Any]]:
    assert settings.erasure_log_file is not None
    return [json.loads(line) for line in settings.erasure_log_file.read_text().splitlines()]


async def test_an_erasure_after_the_backup_is_replayed_after_the_restore(
    client: httpx.AsyncClient,
    staff: Staff,
    privacy_officer: Staff,
    settings: Settings,
    database_url: str,
    backup: Backup,
) -> None:
    forgotten = await create_customer(client, staff.headers, customer_body(**FORGOTTEN))
    kept = [await create_customer(client, staff.headers, customer_body()) for _ in range(2)]
    kept_before = [
        (await client.get(f"/api/v1/customers/{customer['id']}", headers=staff.headers)).json()
        for customer in kept
    ]
    values = [
        "Ulpukka",
        "Unohdettava",
        forgotten["email"],
        "+358409876543",
        "Katoamistie",
    ]
    await backup.take()

    request = await verified_request(client, staff, privacy_officer, forgotten["id"], "erasure")
    completed = await complete(client, privacy_officer, request["id"])
    assert completed.status_code == 200, completed.text
    assert await tables_containing(database_url, values) == []
    (line,) = log_lines(settings)
    assert line["event"] == "erased"
    assert line["customer_id"] == forgotten["id"]
    assert line["reference"] == f"gdpr_request:{request['id']}"
    assert forgotten["email"] not in json.dumps(line)

    await backup.restore()
    assert await tables_containing(database_url, values) != []  # the person is back

    before_dry_run = await snapshot(database_url)
    report = await replay_command(settings, "--dry-run")
    assert "1 customers; would erase again 1, already erased 0" in report
    assert await snapshot(database_url) == before_dry_run

    report = await replay_command(settings)

    assert "1 customers; erased again 1, already erased 0, not in the database 0" in report
    assert await tables_containing(database_url, values) == []
    (row,) = await erasure_log_rows(database_url)
    assert str(row["customer_id"]).replace("-", "") == forgotten["id"].replace("-", "")
    assert row["reference"] == f"gdpr_request:{request['id']}"
    assert row["replayed_at"] is not None

    # Twice is the same as once.
    after_replay = await snapshot(database_url)
    report = await replay_command(settings)
    assert "erased again 0, already erased 1" in report
    assert await snapshot(database_url) == after_replay
    assert len(log_lines(settings)) == 1

    gone = await client.get(f"/api/v1/customers/{forgotten['id']}", headers=staff.headers)
    assert gone.status_code == 410
    for customer, before in zip(kept, kept_before, strict=True):
        response = await client.get(f"/api/v1/customers/{customer['id']}", headers=staff.headers)
        assert response.json() == before
    events = await audit_events(client, privacy_officer.headers, customer_id=forgotten["id"])
    (replayed,) = [event for event in events if event["purpose"] == "erasure_replay"]
    assert replayed["action"] == "erase"
    assert replayed["actor_type"] == "system"
    assert "email" in replayed["fields"]


async def test_retention_erasures_are_logged_and_replayed(
    client: httpx.AsyncClient,
    staff: Staff,
    admin: Staff,
    settings: Settings,
    database_url: str,
    backup: Backup,
) -> None:
    due = await create_customer(client, staff.headers, customer_body(**ended(11)))
    await backup.take()
    created_later = await create_customer(client, staff.headers, customer_body(**ended(12)))

    response = await client.post(RUNS, params={"dry_run": "false"}, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["erased"] == 2
    assert {line["reference"] for line in log_lines(settings)} == {"retention"}

    await backup.restore()
    report = await replay(app_session_factory(client), settings, dry_run=False)

    assert (report.customers, report.erased_again, report.not_in_database) == (2, 1, 1)
    gone = await client.get(f"/api/v1/customers/{due['id']}", headers=staff.headers)
    assert gone.status_code == 410
    rows = str(await snapshot(database_url))
    assert created_later["id"] not in rows
    assert created_later["id"].replace("-", "") not in rows


def app_session_factory(client: httpx.AsyncClient) -> Any:
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    return transport.app.state.session_factory  # type: ignore[attr-defined]


async def test_a_rolled_back_erasure_is_cancelled_and_not_replayed(
    client: httpx.AsyncClient, staff: Staff, settings: Settings
) -> None:
    customer = await create_customer(client, staff.headers, customer_body())
    factory = app_session_factory(client)

    async with factory() as session:
        await session.begin()
        row = await session.get(Customer, uuid.UUID(customer["id"]))
        assert row is not None
        await Eraser(session, settings).erase(row, [])
        await session.rollback()

    assert [line["event"] for line in log_lines(settings)] == ["erased", "cancelled"]
    report = await replay(factory, settings, dry_run=False)
    assert (report.customers, report.erased_again, report.cancelled) == (0, 0, 1)
    response = await client.get(f"/api/v1/customers/{customer['id']}", headers=staff.headers)
    assert response.status_code == 200
    assert response.json()["email"] == customer["email"]


async def test_no_erasure_without_the_log(
    client: httpx.AsyncClient,
    staff: Staff,
    privacy_officer: Staff,
    settings: Settings,
    database_url: str,
) -> None:
    customer = await create_customer(client, staff.headers, customer_body())
    request = await verified_request(client, staff, privacy_officer, customer["id"], "erasure")
    assert settings.erasure_log_file is not None
    settings.erasure_log_file.mkdir()  # a directory where the file should be: writes fail

    response = await complete(client, privacy_officer, request["id"])

    assert response.status_code == 503
    assert response.json()["title"] == "The erasure log cannot be written; nothing was erased"
    assert await tables_containing(database_url, [customer["email"]]) != []
    assert await erasure_log_rows(database_url) == []


class TestLogFile:
    def erased(self, customer_id: uuid.UUID | None = None) -> str:
        return journal.erased_line(
            journal.LoggedErasure(
                entry=uuid.uuid4(),
                customer_id=customer_id or uuid.uuid4(),
                erased_at=dt.datetime.now(dt.UTC),
                reference="retention",
            )
        )

    def test_a_torn_last_line_is_ignored(self, tmp_path: Path) -> None:
        path = tmp_path / "erasures.jsonl"
        path.write_text(self.erased() + self.erased()[:30])

        log = journal.read(path)

        assert len(log.erasures) == 1
        assert log.torn_last_line

    def test_a_malformed_line_elsewhere_stops_the_replay(self, tmp_path: Path) -> None:
        path = tmp_path / "erasures.jsonl"
        path.write_text(self.erased() + "{not json\n" + self.erased())

        with pytest.raises(ErasureLogError, match="line 2 of the erasure log"):
            journal.read(path)

    def test_the_latest_erasure_of_each_customer_is_replayed_once(self, tmp_path: Path) -> None:
        path = tmp_path / "erasures.jsonl"
        customer = uuid.uuid4()
        path.write_text(self.erased(customer) + self.erased() + self.erased(customer))

        log = journal.read(path)

        assert log.latest_per_customer()[0].customer_id == customer
        assert len(log.latest_per_customer()) == 2

    def test_the_command_fails_in_one_line(self, tmp_path: Path) -> None:
        result = run(
            ["erasures", "replay", "--log", str(tmp_path / "missing.jsonl")],
            tmp_path,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}",
            secret_key=TEST_SECRET,
            log_level="WARNING",
        )

        assert result.returncode == 1
        assert result.stderr.count("\n") == 1
        assert "the erasure log" in result.stderr
        assert "cannot be read (FileNotFoundError)" in result.stderr
