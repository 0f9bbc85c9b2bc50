"""N stateless workers on one PostgreSQL: what must stay correct across server processes.

The `workers` fixture runs two real server processes of the service against one database,
as a deployment with several workers or machines does. Tests of behaviour that has to
hold across processes (the audit trail, account state, idempotency keys, login throttling)
use it and spread their requests over both.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from customer_registry.core.database import PING_AFTER_IDLE_SECONDS
from tests.factories import (
    PASSWORD,
    TEST_SECRET,
    Staff,
    audit_events,
    create_customer,
    customer_body,
    is_postgres,
)
from tests.processes import BOOTSTRAP, serving

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(not is_postgres(), reason="the workers share one PostgreSQL"),
]

ACCOUNT_CACHE_SECONDS = 1


@pytest.fixture
def workers(tmp_path: Path, database_url: str) -> Iterator[list[str]]:
    """The base URLs of two server processes on one database, with one secret key."""
    settings = {
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "account_cache_seconds": str(ACCOUNT_CACHE_SECONDS),
        **BOOTSTRAP,
    }
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    with (
        serving(tmp_path / "first", **settings) as first,
        serving(tmp_path / "second", **settings) as second,
    ):
        yield [first, second]


async def login(base_url: str, username: str = "root-admin") -> dict[str, str]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        response = await http.post(
            "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
        )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


class TestAuditAcrossWorkers:
    async def test_every_read_answered_by_either_worker_has_its_event(
        self, workers: list[str]
    ) -> None:
        headers = await login(workers[0])
        clients = [httpx.AsyncClient(base_url=url, timeout=30) for url in workers]
        try:
            customers = [
                (await create_customer(clients[number % 2], headers, customer_body()))["id"]
                for number in range(6)
            ]
            asked: dict[str, str] = {}  # request id -> customer id
            answered: dict[str, int] = {}  # request id -> worker

            async def read(number: int) -> None:
                customer_id = random.choice(customers)
                request_id = f"scaling-read-{number}"
                asked[request_id] = customer_id
                response = await clients[number % 2].get(
                    f"/api/v1/customers/{customer_id}",
                    headers={**headers, "X-Request-ID": request_id},
                )
                if response.status_code == 200:
                    assert response.json()["id"] == customer_id
                    answered[request_id] = number % 2

            async with anyio.create_task_group() as group:
                for number in range(120):
                    group.start_soon(read, number)

            events = await audit_events(clients[1], headers, action="read")
        finally:
            for client in clients:
                await client.aclose()

        customer_reads = [event for event in events if event["entity"] == "customer"]
        assert set(answered.values()) == {0, 1}, "both workers answered"
        assert len(answered) == 120
        assert sorted(event["request_id"] for event in customer_reads) == sorted(answered)
        for event in customer_reads:
            assert event["customer_id"] == asked[event["request_id"]]
            assert event["actor_type"] == "user"

    async def test_a_disabled_account_is_refused_by_the_other_worker_too(
        self, workers: list[str]
    ) -> None:
        admin = await login(workers[0])
        async with (
            httpx.AsyncClient(base_url=workers[0], timeout=30) as first,
            httpx.AsyncClient(base_url=workers[1], timeout=30) as second,
        ):
            created = await first.post(
                "/api/v1/users",
                json={
                    "username": "kaisa",
                    "full_name": "Kaisa K",
                    "role": "staff",
                    "password": PASSWORD,
                    "confidentiality_committed": True,
                },
                headers=admin,
            )
            assert created.status_code == 201, created.text
            staff = await login(workers[0], "kaisa")
            assert (await second.get("/api/v1/users/me", headers=staff)).status_code == 200

            disabled = await first.post(
                f"/api/v1/users/{created.json()['id']}/disable", headers=admin
            )
            assert disabled.status_code == 200

            assert (await first.get("/api/v1/users/me", headers=staff)).status_code == 401
            await anyio.sleep(ACCOUNT_CACHE_SECONDS + 0.2)
            assert (await second.get("/api/v1/users/me", headers=staff)).status_code == 401


@pytest.fixture
async def path(client: httpx.AsyncClient, staff: Staff) -> str:
    """A customer's path, read once: the pool has connections."""
    customer = await create_customer(client, staff.headers, customer_body())
    path = f"/api/v1/customers/{customer['id']}"
    assert (await client.get(path, headers=staff.headers)).status_code == 200
    return path


class TestLostDatabaseConnections:
    async def test_a_worker_recovers_when_its_connections_are_cut(
        self, client: httpx.AsyncClient, staff: Staff, database_url: str, path: str
    ) -> None:
        await cut_connections(database_url)

        # A request on a cut connection is refused with 503 and Retry-After (nothing was
        # done); the pool drops its connections, so the retry succeeds on a new one.
        first, *retries = [await client.get(path, headers=staff.headers) for _ in range(3)]
        assert first.status_code in {200, 503}, first.text
        if first.status_code == 503:
            assert first.headers["Retry-After"] == "1"
            assert first.json()["type"].endswith("database-unavailable")
        assert [retry.status_code for retry in retries] == [200, 200]

    async def test_a_connection_cut_while_idle_is_replaced_before_use(
        self, client: httpx.AsyncClient, staff: Staff, database_url: str, path: str
    ) -> None:
        await anyio.sleep(PING_AFTER_IDLE_SECONDS + 0.2)
        await cut_connections(database_url)

        # Connections idle that long are pinged before use: the cut ones are replaced.
        assert (await client.get(path, headers=staff.headers)).status_code == 200

    async def test_the_engine_closes_the_connections_kept_between_requests(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        staff: Staff,
        database_url: str,
        path: str,
    ) -> None:
        await _sessions(app)  # the pool's first connections, made outside the requests
        before = await backends(database_url)

        async def read() -> None:
            assert (await client.get(path, headers=staff.headers)).status_code == 200

        async with anyio.create_task_group() as group:
            for _ in range(6):
                group.start_soon(read)
        assert await backends(database_url) > before  # kept for the next requests

        await app.state.engine.dispose()

        # A closed connection's server process ends a moment later.
        for _ in range(100):
            if await backends(database_url) == 0:
                break
            await anyio.sleep(0.05)
        assert await backends(database_url) == 0


async def _sessions(app: FastAPI) -> None:
    async with app.state.session_factory() as session:
        await session.execute(text("SELECT 1"))


async def _on_server(database_url: str, statement: str) -> int:
    """`statement` run on the server's maintenance database, about `database_url`'s."""
    name = database_url.rsplit("/", 1)[1]
    engine = create_async_engine(database_url.rsplit("/", 1)[0] + "/postgres")
    try:
        async with engine.connect() as connection:
            result = await connection.execute(text(statement), {"name": name})
            return len(result.all())
    finally:
        await engine.dispose()


async def cut_connections(database_url: str) -> None:
    """What a database restart or failover does to the pool's connections."""
    await _on_server(
        database_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = :name AND pid <> pg_backend_pid()",
    )


async def backends(database_url: str) -> int:
    """The connections open to the database."""
    return await _on_server(
        database_url,
        "SELECT pid FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()",
    )


class TestIdempotencyAcrossWorkers:
    async def test_one_key_sent_to_both_workers_at_once_creates_one_customer(
        self, workers: list[str], database_url: str
    ) -> None:
        headers = {**(await login(workers[0])), "Idempotency-Key": "scaling-once"}
        body = customer_body(email="kerran@example.fi")
        clients = [httpx.AsyncClient(base_url=url, timeout=30) for url in workers]
        responses: list[httpx.Response] = []
        try:

            async def create(number: int) -> None:
                responses.append(
                    await clients[number % 2].post("/api/v1/customers", json=body, headers=headers)
                )

            async with anyio.create_task_group() as group:
                for number in range(10):
                    group.start_soon(create, number)
        finally:
            for client in clients:
                await client.aclose()

        # Every answer is the first one (or "in progress, retry"): one customer, one id.
        assert {response.status_code for response in responses} <= {201, 409}
        created = [response for response in responses if response.status_code == 201]
        assert created
        assert len({response.json()["id"] for response in created}) == 1
        first = [response for response in created if "Idempotent-Replayed" not in response.headers]
        assert len(first) == 1
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                count = await connection.scalar(
                    text("SELECT count(*) FROM customers WHERE email_normalized = :email"),
                    {"email": "kerran@example.fi"},
                )
        finally:
            await engine.dispose()
        assert count == 1


class TestLoginThrottlingAcrossWorkers:
    async def test_failures_on_either_worker_count_towards_one_limit(
        self, workers: list[str]
    ) -> None:
        async def attempt(base_url: str, password: str) -> httpx.Response:
            async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
                return await http.post(
                    "/api/v1/auth/token", data={"username": "root-admin", "password": password}
                )

        for number in range(5):
            failed = await attempt(workers[number % 2], "not-the-password-at-all")
            assert failed.status_code == 401

        # The sixth attempt, on either worker and even with the right password, waits.
        for base_url in workers:
            throttled = await attempt(base_url, PASSWORD)
            assert throttled.status_code == 429
            assert int(throttled.headers["Retry-After"]) > 0
