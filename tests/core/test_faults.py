"""When the database fails: answers a client can build on, time limits, and a service that waits.

The faults between the service and PostgreSQL are made by a TCP proxy the test controls
(`FaultProxy`: refuse, reset, delay, cut), so that the shared server is never restarted;
those tests need PostgreSQL. The others run on both databases. Each test prints its counts
before, during and after the fault (`pytest -s`).
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import struct
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import create_async_engine

from customer_registry.app import create_app
from customer_registry.config import Settings
from customer_registry.core.errors import database_failure
from tests.factories import (
    PASSWORD,
    TEST_SECRET,
    Staff,
    _postgres_admin,
    customer_body,
    is_postgres,
    order_body,
)
from tests.processes import BOOTSTRAP, COMMAND, _environment, _free_port, run

pytestmark = pytest.mark.anyio
needs_postgres = pytest.mark.skipif(
    not is_postgres(), reason="the proxy's faults are between the service and PostgreSQL"
)

# Short limits, so that each fault shows within a second or two.
FAST_LIMITS = {
    "database_statement_timeout_seconds": "2",
    "database_lock_timeout_seconds": "0.5",
    "database_pool_timeout_seconds": "1",
    "database_connect_timeout_seconds": "1",
    "readiness_timeout_seconds": "0.5",
    "header_timeout_seconds": "1",
    "database_pool_size": "4",
}


class FaultProxy:
    """A TCP proxy to PostgreSQL: forwards, refuses, resets, delays or cuts connections."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = _free_port()
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.delay = 0.0
        self.cut = asyncio.Event()  # set: nothing is forwarded any more (a silent network)

    async def accept(self) -> None:
        """Listen and forward (again)."""
        self.cut.clear()
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port)

    def refuse(self) -> None:
        """Stop listening (new connections are refused) and reset every open one."""
        if self.server is not None:
            self.server.close()
            self.server = None
        self.reset()

    def reset(self) -> None:
        """Reset every open connection (a TCP RST to both sides)."""
        for writer in list(self.links):
            sock = writer.get_extra_info("socket")
            with suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        self.links.clear()

    def cut_off(self) -> None:
        """Keep every connection open, but forward nothing more in either direction."""
        self.cut.set()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.links |= {writer, upstream_writer}
        pipes = [
            asyncio.ensure_future(self._pipe(reader, upstream_writer)),
            asyncio.ensure_future(self._pipe(upstream_reader, writer)),
        ]
        try:
            # One side closed (or was reset): the other is closed too, as a network would.
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pipe in pipes:
                pipe.cancel()
            await asyncio.gather(*pipes, return_exceptions=True)
            for end in (writer, upstream_writer):
                self.links.discard(end)
                end.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(OSError):
            while data := await reader.read(65536):
                if self.delay:
                    await asyncio.sleep(self.delay)
                if self.cut.is_set():
                    await asyncio.Event().wait()  # held until the link is reset
                writer.write(data)
                await writer.drain()

    async def close(self) -> None:
        """Stop, and wait until every link has ended."""
        self.refuse()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def _through(database_url: str, proxy: FaultProxy) -> str:
    url = make_url(database_url)
    return url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


@asynccontextmanager
async def proxied(database_url: str, *, listening: bool = True) -> AsyncIterator[FaultProxy]:
    url = make_url(database_url)
    proxy = FaultProxy(url.host or "127.0.0.1", url.port or 5432)
    if listening:
        await proxy.accept()
    try:
        yield proxy
    finally:
        await proxy.close()


@asynccontextmanager
async def serve(cwd: Path, database_url: str, **settings: str) -> AsyncIterator[tuple[str, Path]]:
    """A real `customer-registry serve` whose port is open (/healthz); terminated on exit.

    Waits without blocking the event loop, in which the proxy forwards."""
    port = _free_port()
    log = cwd / f"serve-{port}.log"
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603, ASYNC220 - our own command, started at once
            [*COMMAND, "serve", "--port", str(port)],
            cwd=cwd,
            env=_environment(
                database_url=database_url,
                secret_key=TEST_SECRET,
                erasure_log_file=str(cwd / "erasures.jsonl"),
                **BOOTSTRAP,
                **{**FAST_LIMITS, **settings},
            ),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=1) as http:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, f"serve exited: {log.read_text()}"
                with suppress(httpx.TransportError):
                    if (await http.get("/healthz")).status_code == 200:
                        break
                assert time.monotonic() < deadline, "serve did not open its port"
                await asyncio.sleep(0.05)
        yield base_url, log
    finally:
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def wait_until(http: httpx.AsyncClient, path: str, *, within: float) -> float:
    """Seconds until `path` answers 200; fails after `within` seconds."""
    started = time.monotonic()
    while True:
        with suppress(httpx.TransportError):
            if (await http.get(path)).status_code == 200:
                return time.monotonic() - started
        assert time.monotonic() - started < within, f"{path} did not answer 200"
        await asyncio.sleep(0.02)


async def login(http: httpx.AsyncClient) -> dict[str, str]:
    token = await http.post(
        "/api/v1/auth/token", data={"username": "root-admin", "password": PASSWORD}
    )
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def rows(database_url: str, statement: str, **parameters: Any) -> list[tuple[Any, ...]]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(text(statement), parameters)
            return [tuple(row) for row in result]
    finally:
        await engine.dispose()


def assert_problem(response: httpx.Response, *codes: str) -> None:
    """A database failure's answer: problem+json of one of `codes`, Retry-After, request id."""
    assert response.status_code in (503, 504), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].rsplit("/", 1)[1] in codes, response.text
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["x-request-id"] == response.json()["request_id"]


@dataclass
class Tally:
    """Answers by the phase of the fault in which their request was sent (before, during,
    after): statuses, and requests dropped without an answer."""

    phase: str = "before"
    answers: dict[str, Counter[str]] = field(
        default_factory=lambda: {p: Counter() for p in ("before", "during", "after")}
    )
    # Writes answered 2xx: request id -> customer id.
    acknowledged: dict[str, str] = field(default_factory=dict)
    returned_at: float | None = None
    first_success_after_return: float | None = None

    def count(self, outcome: str, phase: str) -> None:
        self.answers[phase][outcome] += 1
        if (
            outcome.startswith("2")
            and self.returned_at is not None
            and self.first_success_after_return is None
        ):
            self.first_success_after_return = time.monotonic() - self.returned_at

    def report(self, name: str) -> str:
        return f"{name}: " + "; ".join(
            f"{phase} {dict(sorted(counts.items()))}" for phase, counts in self.answers.items()
        )


async def create_customers(
    base_url: str, headers: dict[str, str], tally: Tally, stop: asyncio.Event
) -> None:
    """One client on one keep-alive connection, creating customers until `stop`."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base_url, timeout=15, limits=limits) as http:
        while not stop.is_set():
            request_id = f"create-{uuid.uuid4().hex}"
            phase = tally.phase
            try:
                response = await http.post(
                    "/api/v1/customers",
                    json=customer_body(),
                    headers={**headers, "X-Request-ID": request_id},
                )
            except httpx.TransportError as error:
                tally.count(f"dropped {type(error).__name__}", phase)
                continue
            tally.count(str(response.status_code), phase)
            if response.status_code == 201:
                tally.acknowledged[request_id] = response.json()["id"]
            elif response.status_code in (503, 504):
                assert_problem(
                    response, "database-unavailable", "database-busy", "database-timeout"
                )
                await asyncio.sleep(0.05)


async def place_orders(
    base_url: str,
    headers: dict[str, str],
    customer_id: str,
    tally: Tally,
    placed: dict[str, tuple[str, list[int]]],
    stop: asyncio.Event,
) -> None:
    """A web shop placing orders, each retried with its Idempotency-Key until answered 201."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base_url, timeout=15, limits=limits) as http:
        while not stop.is_set():
            key = f"order-{uuid.uuid4().hex}"
            body = order_body(customer_id)
            statuses: list[int] = []
            while True:
                phase = tally.phase
                try:
                    response = await http.post(
                        "/api/v1/orders", json=body, headers={**headers, "Idempotency-Key": key}
                    )
                except httpx.TransportError as error:
                    tally.count(f"dropped {type(error).__name__}", phase)
                    statuses.append(0)
                    continue
                statuses.append(response.status_code)
                tally.count(f"order {response.status_code}", phase)
                if response.status_code == 201:
                    placed[key] = (body["number"], statuses)
                    break
                assert response.status_code in (409, 503, 504), response.text
                await asyncio.sleep(0.05)


@needs_postgres
async def test_database_lost_during_load(database_url: str, tmp_path: Path) -> None:
    """0 acknowledged writes lost, 0 answers 500, 0 connections dropped without an answer,
    the first 2xx within 2 s of the database's return; idempotent orders exactly once."""
    async with (
        proxied(database_url) as proxy,
        serve(tmp_path, _through(database_url, proxy)) as (base_url, log),
    ):
        async with httpx.AsyncClient(base_url=base_url, timeout=15) as http:
            await wait_until(http, "/readyz", within=30)
            headers = await login(http)
            created = await http.post("/api/v1/customers", json=customer_body(), headers=headers)
            customer_id = created.json()["id"]
        tally = Tally()
        placed: dict[str, tuple[str, list[int]]] = {}
        stop = asyncio.Event()
        clients = [
            *(create_customers(base_url, headers, tally, stop) for _ in range(6)),
            *(place_orders(base_url, headers, customer_id, tally, placed, stop) for _ in range(2)),
        ]
        running = asyncio.gather(*clients)
        try:
            await asyncio.sleep(1.0)
            tally.phase = "during"
            proxy.refuse()  # the database is gone: open connections reset, new ones refused
            await asyncio.sleep(1.5)
            tally.phase = "after"
            await proxy.accept()  # the database is back
            tally.returned_at = time.monotonic()
            await asyncio.sleep(2.5)
        finally:
            stop.set()
            await running
        # The server's log carries no traceback of the faults.
        assert "Traceback" not in log.read_text()
    print(tally.report("database lost under load"))  # noqa: T201

    # Requests sent while the database was gone were refused (a request the server took
    # up only after the return may have succeeded).
    during = tally.answers["during"]
    assert during["503"] + during["order 503"] > 0, during
    for counts in tally.answers.values():
        assert not [outcome for outcome in counts if "500" in outcome or "dropped" in outcome]
    assert tally.first_success_after_return is not None
    assert tally.first_success_after_return < 2.0
    print(f"first 2xx {tally.first_success_after_return:.2f} s after the return")  # noqa: T201

    # Every write answered 201 is there with its create event, and nothing half-written.
    events = {
        str(request_id): str(entity_id)
        for request_id, entity_id in await rows(
            database_url,
            "SELECT request_id, entity_id FROM audit_events "
            "WHERE entity = 'customer' AND action = 'create'",
        )
    }
    customers = {str(row[0]) for row in await rows(database_url, "SELECT id FROM customers")}
    assert tally.acknowledged
    for request_id, created_id in tally.acknowledged.items():
        assert events.get(request_id) == created_id
        assert created_id in customers
    assert customers == set(events.values())
    # Each order placed with a key exists exactly once, also those whose first try failed.
    numbers = Counter(str(row[0]) for row in await rows(database_url, "SELECT number FROM orders"))
    assert placed
    for number, _statuses in placed.values():
        assert numbers[number] == 1
    assert sum(numbers.values()) == len(placed)
    retried = sum(1 for _number, statuses in placed.values() if len(statuses) > 1)
    print(f"orders: {len(placed)} placed, {retried} after a failed try, each once")  # noqa: T201


@needs_postgres
async def test_cut_mid_query_answers_504_and_the_connection_serves_on(
    database_url: str, tmp_path: Path
) -> None:
    """A network that goes silent mid-query: 504 within the statement timeout plus a second
    or two, on a connection that serves the next request once the database is back."""
    async with (
        proxied(database_url) as proxy,
        serve(tmp_path, _through(database_url, proxy)) as (base_url, _log),
    ):
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base_url, timeout=15, limits=limits) as http:
            await wait_until(http, "/readyz", within=30)
            headers = await login(http)
            proxy.delay = 0.2  # slow, still within the limits
            slow = await http.post("/api/v1/customers", json=customer_body(), headers=headers)
            assert slow.status_code == 201
            proxy.delay = 0.0
            proxy.cut_off()
            started = time.monotonic()
            cut = await http.post("/api/v1/customers", json=customer_body(), headers=headers)
            seconds = time.monotonic() - started
            assert_problem(cut, "database-timeout", "database-unavailable")
            assert seconds < 2 + 1 + 1, seconds  # the driver gives up 1 s after the server
            proxy.refuse()
            await proxy.accept()
            after = await http.post("/api/v1/customers", json=customer_body(), headers=headers)
            assert after.status_code == 201, after.text
    print(f"cut mid-query: {cut.status_code} after {seconds:.2f} s, then 201")  # noqa: T201


@needs_postgres
async def test_serve_starts_without_the_database_and_serves_when_it_comes(
    database_url: str, tmp_path: Path
) -> None:
    async with (
        proxied(database_url, listening=False) as proxy,
        serve(tmp_path, _through(database_url, proxy)) as (base_url, _log),
        httpx.AsyncClient(base_url=base_url, timeout=15) as http,
    ):
        ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "detail": "database unreachable"}
        refused = await http.post(
            "/api/v1/auth/token", data={"username": "root-admin", "password": PASSWORD}
        )
        assert_problem(refused, "database-unavailable")
        await asyncio.sleep(1.0)  # a few retries with backoff
        await proxy.accept()
        # Bounds leave room for a loaded CI machine; alone it takes about 0.5 s.
        served_after = await wait_until(http, "/readyz", within=5)
        started = time.monotonic()
        while (
            await http.post(
                "/api/v1/auth/token",
                data={"username": "root-admin", "password": PASSWORD},
            )
        ).status_code != 200:
            assert time.monotonic() - started < 5, "the first administrator is missing"
            await asyncio.sleep(0.05)
        logged_in_after = served_after + time.monotonic() - started
    assert logged_in_after < 5.0
    print(  # noqa: T201
        f"database down at start: port open, /readyz 503; ready {served_after:.2f} s and "
        f"first login {logged_in_after:.2f} s after the database came"
    )


def test_fail_fast_start_and_migrate_without_a_database(tmp_path: Path) -> None:
    unreachable = "postgresql+asyncpg://registry@127.0.0.1:1/registry"
    for arguments, settings in (
        (["serve", "--fail-fast", "--port", str(_free_port())], {}),
        (["serve", "--port", str(_free_port())], {"wait_for_database": "false"}),
        (["migrate"], {}),
    ):
        started = time.monotonic()
        result = run(
            arguments, tmp_path, database_url=unreachable, secret_key=TEST_SECRET, **settings
        )
        assert result.returncode == 1, (arguments, result.stderr)
        assert result.stderr.splitlines()[-1].startswith("customer-registry: error: ")
        assert "database" in result.stderr.splitlines()[-1]
        assert "Traceback" not in result.stderr
        assert time.monotonic() - started < 30


def _fast_settings(settings: Settings, **overrides: Any) -> Settings:
    values = {name: float(value) for name, value in FAST_LIMITS.items()}
    values["database_pool_size"] = 1
    return settings.model_copy(update={**values, **overrides})


async def test_a_table_locked_longer_than_the_lock_timeout(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    """Writes (and on PostgreSQL reads) of the locked table answer 504 within the lock
    timeout plus a second, write nothing, and work again once the lock is gone."""
    app = create_app(_fast_settings(settings, database_pool_size=4))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
        await _bootstrap(app.state.settings)
        headers = await login(http)
        customer = (
            await http.post("/api/v1/customers", json=customer_body(), headers=headers)
        ).json()
        counts: dict[str, Counter[str]] = {
            "before": Counter(),
            "during": Counter(),
            "after": Counter(),
        }
        counts["before"]["201"] += 1
        refused = customer_body()
        async with _locked_customers(database_url, tmp_path):
            started = time.monotonic()
            write = await http.post("/api/v1/customers", json=refused, headers=headers)
            write_seconds = time.monotonic() - started
            assert_problem(write, "database-timeout")
            counts["during"][str(write.status_code)] += 1
            assert write_seconds < 0.5 + 1, write_seconds
            if is_postgres():
                started = time.monotonic()
                read = await http.get(f"/api/v1/customers/{customer['id']}", headers=headers)
                assert_problem(read, "database-timeout")
                counts["during"][str(read.status_code)] += 1
                assert time.monotonic() - started < 0.5 + 1
        after = await http.post("/api/v1/customers", json=customer_body(), headers=headers)
        assert after.status_code == 201
        counts["after"]["201"] += 1
        found = await http.get(
            "/api/v1/customers", params={"email": refused["email"]}, headers=headers
        )
        assert found.status_code == 200
        assert found.json()["items"] == []
    await app.state.engine.dispose()
    print(f"table locked: {counts}, write refused after {write_seconds:.2f} s")  # noqa: T201


@asynccontextmanager
async def _locked_customers(database_url: str, tmp_path: Path) -> AsyncIterator[None]:
    """The customers table locked by another transaction (on SQLite: the whole database)."""
    if not is_postgres():
        path = make_url(database_url).database
        assert path is not None
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE"))
            try:
                yield
            finally:
                await connection.rollback()
    finally:
        await engine.dispose()


async def _bootstrap(settings: Settings) -> None:
    from customer_registry.accounts.bootstrap import create_account
    from customer_registry.accounts.schemas import UserCreate
    from customer_registry.models import Role

    await create_account(
        settings,
        UserCreate(
            username="root-admin",
            full_name="Administrator",
            role=Role.admin,
            password=PASSWORD,
            confidentiality_committed=True,
        ),
        only_if_none=True,
    )


async def test_readyz_tells_an_exhausted_pool_from_an_unreachable_database(
    settings: Settings, admin: Staff
) -> None:
    app = create_app(_fast_settings(settings))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    engine = app.state.engine
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
        assert (await http.get("/readyz")).json() == {"status": "ok", "detail": None}
        await engine.dispose()  # no kept connections: the pool's own are all there is
        held = [await engine.connect() for _ in range(2)]  # a pool of 1, plus 1 overflow
        try:
            started = time.monotonic()
            ready = await http.get("/readyz")
            seconds = time.monotonic() - started
            assert ready.status_code == 503
            assert ready.json()["detail"] == "database pool exhausted"
            assert seconds < 0.5 + 1
            busy = await http.get("/api/v1/customers", headers=admin.headers)
            assert_problem(busy, "database-busy")
        finally:
            for connection in held:
                await connection.close()
        assert (await http.get("/readyz")).status_code == 200
        assert (await http.get("/api/v1/customers", headers=admin.headers)).status_code == 200
    unreachable = create_app(
        settings.model_copy(
            update={
                "database_url": "postgresql+asyncpg://registry@127.0.0.1:1/registry",
                "readiness_timeout_seconds": 0.5,
            }
        )
    )
    transport = httpx.ASGITransport(app=unreachable, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["detail"] == "database unreachable"
        login_refused = await http.post(
            "/api/v1/auth/token", data={"username": "someone", "password": PASSWORD}
        )
        assert_problem(login_refused, "database-unavailable")
    await unreachable.state.engine.dispose()
    await app.state.engine.dispose()
    print(f"pool exhausted: /readyz 503 in {seconds:.2f} s, a request 503 database-busy")  # noqa: T201


HALF_SENT = 500


async def test_half_sent_requests_are_closed_within_the_header_timeout(
    database_url: str, tmp_path: Path
) -> None:
    async with serve(tmp_path, database_url) as (base_url, _log):
        port = int(base_url.rsplit(":", 1)[1])
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
            await wait_until(http, "/readyz", within=30)
            headers = await login(http)
            customer = (
                await http.post("/api/v1/customers", json=customer_body(), headers=headers)
            ).json()
            read_path = f"/api/v1/customers/{customer['id']}"
            before = [(await http.get(read_path, headers=headers)).status_code for _ in range(5)]

            started = time.monotonic()
            sockets = []
            for _ in range(HALF_SENT):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: registry\r\nX-Slow: ")
                sockets.append((reader, writer))
            opened = time.monotonic() - started
            # A request whose headers arrive slowly but in time is answered.
            slow_reader, slow_writer = await asyncio.open_connection("127.0.0.1", port)
            slow_writer.write(b"GET /healthz HTTP/1.1\r\n")
            await asyncio.sleep(0.3)
            slow_writer.write(b"Host: registry\r\nConnection: close\r\n\r\n")
            assert (await slow_reader.read()).startswith(b"HTTP/1.1 200")
            slow_writer.close()
            # Reads go on meanwhile.
            during = [(await http.get(read_path, headers=headers)).status_code for _ in range(5)]

            async def closed(reader: asyncio.StreamReader) -> float:
                with suppress(ConnectionResetError):
                    assert await reader.read() == b""
                return time.monotonic() - started

            closed_after = await asyncio.wait_for(
                asyncio.gather(*(closed(reader) for reader, _writer in sockets)), timeout=10
            )
            for _reader, writer in sockets:
                writer.close()
            after = [(await http.get(read_path, headers=headers)).status_code for _ in range(5)]
    print(  # noqa: T201
        f"{HALF_SENT} half-sent requests (opened in {opened:.2f} s): all closed within "
        f"{max(closed_after):.2f} s; reads before {Counter(before)}, during {Counter(during)}, "
        f"after {Counter(after)}"
    )
    assert before == during == after == [200] * 5
    assert max(closed_after) < opened + 1 + 1  # the header timeout is 1 s


def _wrapped(error: BaseException) -> BaseException:
    """The error as SQLAlchemy raises it from a statement: a driver's error translated and
    wrapped (as the asyncpg dialect does), any other one as it is."""
    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
    from sqlalchemy.exc import DBAPIError

    if not isinstance(error, asyncpg.PostgresError | asyncpg.InterfaceError):
        return error
    dbapi = AsyncAdapt_asyncpg_dbapi(asyncpg)
    translate = dbapi._asyncpg_error_translate
    adapted_type = next(translate[kind] for kind in type(error).__mro__ if kind in translate)
    adapted = adapted_type(str(error), error)
    adapted.__cause__ = error
    return DBAPIError.instance("SELECT 1", {}, adapted, dbapi.Error)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ConnectionRefusedError(), 503, "database-unavailable"),
        (ConnectionResetError(), 503, "database-unavailable"),
        (TimeoutError(), 504, "database-timeout"),
        (asyncpg.ConnectionDoesNotExistError("lost"), 503, "database-unavailable"),
        (asyncpg.CannotConnectNowError("starting"), 503, "database-unavailable"),
        (asyncpg.AdminShutdownError("shutdown"), 503, "database-unavailable"),
        (asyncpg.TooManyConnectionsError("full"), 503, "database-unavailable"),
        (asyncpg.DiskFullError("full"), 503, "database-unavailable"),
        (asyncpg.ReadOnlySQLTransactionError("standby"), 503, "database-unavailable"),
        (asyncpg.SerializationError("conflict"), 503, "database-busy"),
        (asyncpg.DeadlockDetectedError("deadlock"), 503, "database-busy"),
        (asyncpg.QueryCanceledError("statement timeout"), 504, "database-timeout"),
        (asyncpg.LockNotAvailableError("lock timeout"), 504, "database-timeout"),
        (PoolTimeout(), 503, "database-busy"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_every_database_failure_has_its_problem(
    error: BaseException, status: int, code: str
) -> None:
    for raised in (error, _wrapped(error)):
        failure = database_failure(raised)
        assert failure is not None, raised
        assert (failure.status_code, failure.code) == (status, code)
        assert failure.headers == {"Retry-After": "1"}


def test_a_violated_constraint_is_no_database_failure() -> None:
    assert database_failure(asyncpg.UniqueViolationError("duplicate")) is None
    assert database_failure(_wrapped(asyncpg.UniqueViolationError("duplicate"))) is None


async def test_a_read_only_database_answers_503_and_changes_nothing(
    settings: Settings, database_url: str
) -> None:
    """A standby after a failover (PostgreSQL) or a read-only file (SQLite)."""
    writable = create_app(settings)
    transport = httpx.ASGITransport(app=writable, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
        await _bootstrap(settings)
        headers = await login(http)
    await writable.state.engine.dispose()
    name = make_url(database_url).database
    if is_postgres():
        await _postgres_admin(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
        read_only_settings = settings
    else:
        read_only_settings = settings.model_copy(
            update={"database_url": f"sqlite+aiosqlite:///file:{name}?mode=ro&uri=true"}
        )
    try:
        app = create_app(read_only_settings)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
            refused = await http.post("/api/v1/customers", json=customer_body(), headers=headers)
            assert_problem(refused, "database-unavailable")
        await app.state.engine.dispose()
    finally:
        if is_postgres():
            await _postgres_admin(f"ALTER DATABASE {name} RESET default_transaction_read_only")
    assert await rows(database_url, "SELECT id FROM customers") == []


async def test_an_unexpected_error_is_answered_and_not_raised_to_the_server(
    settings: Settings,
) -> None:
    """The server gets a complete answer and no exception (which would close the client's
    keep-alive connection); a database failure gets its problem, anything else a 500."""
    app = create_app(settings)

    @app.get("/fails/{kind}")
    async def fails(kind: str) -> None:
        if kind == "database":
            raise ConnectionResetError
        raise RuntimeError

    transport = httpx.ASGITransport(app=app)  # raises what the application raises
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
        lost = await http.get("/fails/database", headers={"X-Request-ID": "lost-1"})
        broken = await http.get("/fails/bug", headers={"X-Request-ID": "bug-1"})
    await app.state.engine.dispose()

    assert_problem(lost, "database-unavailable")
    assert lost.headers["x-request-id"] == "lost-1"
    assert broken.status_code == 500
    assert broken.json()["type"].endswith("/internal-error")
    assert broken.headers["x-request-id"] == broken.json()["request_id"] == "bug-1"
