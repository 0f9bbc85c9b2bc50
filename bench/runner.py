"""One benchmark run: the database, the servers, and measuring work done on them."""

from __future__ import annotations

import os
import secrets
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import load as load_module
from bench.database import AUDIT_ROWS, BenchDatabase, Counter, service_environment
from bench.load import Load, LoadResult
from bench.requests import KINDS, LoadData
from bench.seeding import LINK_CUSTOMERS_SQL, ApiKeys, create_api_keys
from bench.servers import ServerSampler, baseline_command, free_port, running, service_command

# Time for the requests still in flight when a load generator stops to finish.
DRAIN_SECONDS = 2.0
STAFF_PASSWORD = "bench-password-long-enough"
# How long to wait at most for the service's sealer to catch up with the audit rows.
SETTLE_SECONDS = 60.0
UNSEALED = (
    "SELECT (SELECT coalesce(max(id), 0) FROM audit_events) "
    "> (SELECT coalesce(max(event_id), 0) FROM audit_chain)"
)
TARGETS = ("service", "baseline")


@dataclass(frozen=True)
class Options:
    customers: int
    workers: int
    connections: int
    login_connections: int
    duration: float
    warmup: float
    generator: str  # "wrk" or "python"
    pool_size: int
    staff_accounts: int
    retry_percent: int = 10
    orders: int = 100_000
    report_orders: int = 10_000
    report_audit_events: int = 50_000
    # Settings given to the service only (the baseline has none).
    service_settings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Server:
    """A running server under test, and what requests to it are made of."""

    target: str  # "service" or "baseline"
    base_url: str
    pid: int
    data: LoadData


@dataclass
class Probe:
    """What a server did during a block of work: peak memory, CPU time, rows written."""

    start_rss_bytes: int = 0
    peak_rss_bytes: int = 0
    cpu_seconds: float = 0.0
    written: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Measurement:
    """One phase against one server: the loads' results, audit rows and peak memory."""

    results: list[LoadResult]
    written: dict[str, int]
    peak_rss_bytes: int
    cpu_seconds: int | float
    # wrk stops without waiting for the requests in flight: the server may still answer
    # (and audit) one request per connection that the generator never counts.
    audit_in_flight: int = 0

    @property
    def audit_written(self) -> int:
        return self.written[AUDIT_ROWS.name]

    @property
    def audit_expected(self) -> int:
        return sum(result.audit_expected for result in self.results)

    @property
    def cpu_ms_per_request(self) -> float:
        answered = sum(result.requests for result in self.results)
        return 1000 * self.cpu_seconds / answered if answered else 0.0

    @property
    def audit_correct(self) -> bool:
        """Every 2xx answer has its audit rows; extra rows only for requests in flight."""
        return 0 <= self.audit_written - self.audit_expected <= self.audit_in_flight


class Bench:
    def __init__(self, options: Options, database: BenchDatabase, workdir: Path) -> None:
        self.options = options
        self.database = database
        self.workdir = workdir
        self.secret = secrets.token_urlsafe(48)
        self.cores = os.cpu_count() or 1
        self.environment = service_environment(database, self.secret, options.pool_size)
        self.staff: list[tuple[str, str]] = []
        self._api_keys: ApiKeys | None = None

    def prepare(self, seed: bool = True) -> float:
        """Migrate, seed and create staff; returns the seconds seeding took."""
        seconds = 0.0
        if seed:
            self.database.migrate(self.environment)
            seconds = self.database.seed(self.options.customers)
            self.staff = self.database.create_accounts(
                self.secret, self.options.staff_accounts, STAFF_PASSWORD
            )
        return seconds

    def api_keys(self) -> ApiKeys:
        """The web shop's and the finance partner's keys, made on the first call of this run
        (the keys of an earlier run are hashed with its own secret); servers started after
        it know them."""
        if self._api_keys is None:
            self._api_keys = create_api_keys(self.database.settings(self.secret))
        return self._api_keys

    def link_web_shop(self) -> None:
        """Let the web shop act on every customer stored now (S2's orders), as the processing
        policy lets it act only on customers it created or was linked to."""
        recipient = uuid.UUID(self.api_keys().web_shop.recipient_id)
        self.database.value(LINK_CUSTOMERS_SQL, recipient)

    def account(self, role: str) -> str:
        """The username of the bench's account of `role`, made now if there is none."""
        accounts = self.database.accounts(role) or self.database.create_accounts(
            self.secret, 1, STAFF_PASSWORD, role
        )
        return accounts[0][0]

    def compare(
        self, phases: list[list[Load]], counters: Sequence[Counter] = ()
    ) -> tuple[list[Measurement], list[Measurement]]:
        """The same phases against the service, then against the baseline."""
        service, baseline = (self.measure(target, phases, counters) for target in TARGETS)
        return service, baseline

    def measure(
        self,
        target: str,
        phases: list[list[Load]],
        counters: Sequence[Counter] = (),
        source: Path | None = None,
    ) -> list[Measurement]:
        """Warm up with the first phase, then measure each phase; the service's code comes
        from `source`'s `src/` when given (see `serve`)."""
        with self.serve(target, source) as server:
            if self.options.warmup > 0:
                self.load(server, phases[0], self.options.warmup)
                time.sleep(DRAIN_SECONDS)
            measurements = []
            for phase in phases:
                with self.sampled(server, counters, drain=DRAIN_SECONDS) as probe:
                    results = self.load(server, phase, self.options.duration)
                in_flight = sum(
                    load.connections * max(KINDS[kind].max_audit_rows for kind, _ in load.mix)
                    for load in phase
                )
                measurements.append(
                    Measurement(
                        results, probe.written, probe.peak_rss_bytes, probe.cpu_seconds, in_flight
                    )
                )
            return measurements

    def load(self, server: Server, loads: list[Load], seconds: float) -> list[LoadResult]:
        return load_module.run(loads, server.base_url, server.data, seconds, self.options.generator)

    @contextmanager
    def serve(self, target: str, source: Path | None = None) -> Iterator[Server]:
        """Start the service or the baseline on a free port; stop it after the block.

        With `source`, a directory holding the service's `src/` tree (a git worktree root),
        the server imports the registry from there instead of this checkout's `src/`; the
        bench (and the baseline's own code) stays this checkout's.
        """
        # Audit rows of earlier work would otherwise be sealed by this server's sealer.
        self.database.seal_audit_chain(self.environment)
        port = free_port()
        workers = self.options.workers
        if target == "service":
            command = service_command(port, workers)
            environment = {**self.environment, **self.options.service_settings}
        else:
            command = baseline_command(port, workers)
            environment = {
                **self.environment,
                "BENCH_DATABASE_DSN": self.database.dsn,
                "BENCH_POOL_SIZE": str(self.options.pool_size),
                "BENCH_ACTOR_ID": self.staff[0][1],
            }
            if self._api_keys is not None:
                environment["BENCH_API_KEYS"] = self._api_keys.baseline_json()
        log = self.workdir / f"{target}-{port}.log"
        with running(command, port, environment, log, source) as (base_url, pid):
            data = LoadData(
                customers=self.options.customers,
                tokens=tuple(self._tokens(base_url)),
                logins=tuple((username, STAFF_PASSWORD) for username, _ in self.staff),
                api_key=self._api_keys.web_shop.plaintext if self._api_keys else "",
            )
            yield Server(target, base_url, pid, data)

    @contextmanager
    def sampled(
        self, server: Server, counters: Sequence[Counter] = (), drain: float = 0.0
    ) -> Iterator[Probe]:
        """Sample the server during the block; count the rows it wrote, after `drain`
        seconds for requests still in flight."""
        counters = [AUDIT_ROWS, *counters]
        probe = Probe()
        markers = self.database.markers(counters)
        with ServerSampler(server.pid) as sampler:
            yield probe
        time.sleep(drain)
        probe.start_rss_bytes = sampler.start_rss_bytes
        probe.peak_rss_bytes = sampler.peak_rss_bytes
        probe.cpu_seconds = sampler.cpu_seconds
        probe.written = self.database.counted_since(counters, markers)

    def settle(self, server: Server) -> None:
        """Until the service's sealer has sealed every audit row so far, so that a block of
        work does not pay for sealing the rows of the one before (the baseline seals none;
        the next server start seals them)."""
        if server.target != "service":
            return
        deadline = time.monotonic() + SETTLE_SECONDS
        while self.database.value(UNSEALED) and time.monotonic() < deadline:
            time.sleep(0.2)

    def login(self, base_url: str, username: str, password: str = STAFF_PASSWORD) -> str | None:
        """A bearer token (the baseline's are never checked), or None when refused."""
        with httpx.Client(base_url=base_url, timeout=30) as client:
            response = client.post(
                "/api/v1/auth/token", data={"username": username, "password": password}
            )
        if response.status_code != 200:
            return None
        token: str = response.json()["access_token"]
        return token

    def _tokens(self, base_url: str) -> list[str]:
        tokens = []
        for username, _ in self.staff:
            token = self.login(base_url, username)
            if token is None:
                # The baseline issues no usable tokens; it does not check them either.
                return ["baseline-does-not-verify-tokens"]
            tokens.append(token)
        return tokens
