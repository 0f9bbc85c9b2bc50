"""Nothing lost: a real server killed with SIGKILL mid-write keeps every answered write whole.

Concurrent writers create and change customers against a real uvicorn; the server is
killed without warning; after a restart every write that was answered 2xx is in the
database with its audit event, and no customer is half-written (its audit trail matches
its version). Also: two concurrent PATCHes with one ETag against the real server.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from customer_registry.audit.chain import seal, verify
from customer_registry.core.database import create_session_factory
from tests.factories import PASSWORD, TEST_SECRET, customer_body
from tests.processes import BOOTSTRAP, COMMAND, _environment, _free_port

pytestmark = pytest.mark.anyio

WRITERS = 8
KILL_AFTER_WRITES = 400


@contextmanager
def server(cwd: Path, database_url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A real `customer-registry serve`, ready; killed (if still alive) on exit."""
    port = _free_port()
    log = (cwd / f"serve-{port}.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - our own command
        [*COMMAND, "serve", "--port", str(port)],
        cwd=cwd,
        env=_environment(database_url=database_url, secret_key=TEST_SECRET, **BOOTSTRAP),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (cwd / f"serve-{port}.log").read_text()
            try:
                if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not become ready"
            time.sleep(0.2)
        yield base_url, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        log.close()


async def admin_headers(http: httpx.AsyncClient) -> dict[str, str]:
    token = await http.post(
        "/api/v1/auth/token", data={"username": "root-admin", "password": PASSWORD}
    )
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


@dataclass
class Acknowledged:
    """Writes the server answered 2xx: request id -> (customer id, version answered)."""

    creates: dict[str, tuple[str, int]] = field(default_factory=dict)
    updates: dict[str, tuple[str, int]] = field(default_factory=dict)
    enough: anyio.Event = field(default_factory=anyio.Event)

    def count(self) -> int:
        answered = len(self.creates) + len(self.updates)
        if answered >= KILL_AFTER_WRITES:
            self.enough.set()
        return answered


async def write_until_killed(
    http: httpx.AsyncClient, headers: dict[str, str], acknowledged: Acknowledged
) -> None:
    try:
        while True:
            request_id = f"create-{uuid.uuid4().hex}"
            created = await http.post(
                "/api/v1/customers",
                json=customer_body(),
                headers={**headers, "X-Request-ID": request_id},
            )
            if created.status_code != 201:
                continue
            customer_id, version = created.json()["id"], created.json()["version"]
            acknowledged.creates[request_id] = (customer_id, version)
            acknowledged.count()
            for change in range(3):
                request_id = f"update-{uuid.uuid4().hex}"
                changed = await http.patch(
                    f"/api/v1/customers/{customer_id}",
                    json={"last_name": f"Muutos{change}"},
                    headers={**headers, "If-Match": f'"{version}"', "X-Request-ID": request_id},
                )
                if changed.status_code == 200:
                    version = changed.json()["version"]
                    acknowledged.updates[request_id] = (customer_id, version)
                    acknowledged.count()
    except httpx.TransportError:
        return  # the server is gone


async def rows(database_url: str, statement: str) -> list[tuple[object, ...]]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(text(statement))]
    finally:
        await engine.dispose()


async def test_sigkill_mid_write_loses_no_answered_write(database_url: str, tmp_path: Path) -> None:
    acknowledged = Acknowledged()
    with server(tmp_path, database_url) as (base_url, process):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            headers = await admin_headers(http)
            async with anyio.create_task_group() as group:
                for _ in range(WRITERS):
                    group.start_soon(write_until_killed, http, headers, acknowledged)
                with anyio.fail_after(120):
                    await acknowledged.enough.wait()
                os.kill(process.pid, signal.SIGKILL)
    answered = acknowledged.count()
    print(f"durability: {answered} writes answered 2xx before SIGKILL")  # noqa: T201

    # Restarted: the server comes back on the same database and serves the writes.
    with server(tmp_path, database_url) as (base_url, _process):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            headers = await admin_headers(http)
            customer_id, _version = next(iter(acknowledged.creates.values()))
            assert (
                await http.get(f"/api/v1/customers/{customer_id}", headers=headers)
            ).status_code == 200

    customers = {  # SQLite keeps UUIDs as bare hex: compare them as UUIDs
        str(uuid.UUID(str(customer_id))): int(str(version))
        for customer_id, version in await rows(database_url, "SELECT id, version FROM customers")
    }
    events = await rows(
        database_url,
        "SELECT request_id, action, entity_id FROM audit_events WHERE entity = 'customer' "
        "AND action IN ('create', 'update')",
    )
    by_request = {str(request_id): (action, entity_id) for request_id, action, entity_id in events}

    for request_id, (customer_id, version) in acknowledged.creates.items():
        assert by_request.get(request_id) == ("create", customer_id)
        assert customers[customer_id] >= version
    for request_id, (customer_id, version) in acknowledged.updates.items():
        assert by_request.get(request_id) == ("update", customer_id)
        assert customers[customer_id] >= version
    # Nothing half-written: every customer has its create event and one update per version.
    creates: dict[str, int] = {}
    updates: dict[str, int] = {}
    for _request_id, action, entity_id in events:
        tally = creates if action == "create" else updates
        tally[str(entity_id)] = tally.get(str(entity_id), 0) + 1
    for customer_id, version in customers.items():
        assert creates.get(customer_id) == 1, customer_id
        assert updates.get(customer_id, 0) == version - 1, customer_id
    assert set(creates) == set(customers)

    # The audit chain seals and verifies over everything that survived.
    engine = create_async_engine(database_url)
    try:
        factory = create_session_factory(engine)
        await seal(factory)
        report = await verify(factory, unsealed_grace=dt.timedelta(minutes=5))
    finally:
        await engine.dispose()
    assert report.ok, report.problems


async def test_concurrent_patches_with_one_etag_on_a_real_server(
    database_url: str, tmp_path: Path
) -> None:
    with server(tmp_path, database_url) as (base_url, _process):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            headers = await admin_headers(http)
            for round_number in range(10):
                created = await http.post(
                    "/api/v1/customers", json=customer_body(), headers=headers
                )
                customer_id = created.json()["id"]
                statuses: list[int] = []

                async def patch(
                    name: str, customer_id: str = customer_id, statuses: list[int] = statuses
                ) -> None:
                    response = await http.patch(
                        f"/api/v1/customers/{customer_id}",
                        json={"first_name": name},
                        headers={**headers, "If-Match": '"1"'},
                    )
                    statuses.append(response.status_code)

                async with anyio.create_task_group() as group:
                    group.start_soon(patch, f"Eka{round_number}")
                    group.start_soon(patch, f"Toka{round_number}")

                assert sorted(statuses) == [200, 412], round_number
                final = await http.get(f"/api/v1/customers/{customer_id}", headers=headers)
                assert final.json()["version"] == 2
