"""One benchmark run: the database, the servers, and measuring phases of load on them."""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import load as load_module
from bench.database import BenchDatabase, service_environment
from bench.load import Load, LoadResult
from bench.requests import KINDS, LoadData
from bench.servers import ServerSampler, baseline_command, free_port, running, service_command

# Time for the requests still in flight when a load generator stops to finish.
DRAIN_SECONDS = 2.0
STAFF_PASSWORD = "bench-password-long-enough"


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


@dataclass(frozen=True)
class Measurement:
    """One phase against one server: the loads' results, audit rows and peak memory."""

    results: list[LoadResult]
    audit_written: int
    peak_rss_bytes: int
    cpu_seconds: int | float
    # wrk stops without waiting for the requests in flight: the server may still answer
    # (and audit) one request per connection that the generator never counts.
    audit_in_flight: int

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

    def prepare(self, seed: bool = True) -> float:
        """Migrate, seed and create staff; returns the seconds seeding took."""
        seconds = 0.0
        if seed:
            self.database.migrate(self.environment)
            seconds = self.database.seed(self.options.customers)
            self.staff = self.database.create_staff(
                self.secret, self.options.staff_accounts, STAFF_PASSWORD
            )
        return seconds

    def compare(self, phases: list[list[Load]]) -> tuple[list[Measurement], list[Measurement]]:
        """The same phases against the service, then against the baseline."""
        return self.measure("service", phases), self.measure("baseline", phases)

    def measure(self, target: str, phases: list[list[Load]]) -> list[Measurement]:
        port = free_port()
        workers = self.options.workers
        if target == "service":
            command = service_command(port, workers)
            environment = self.environment
        else:
            command = baseline_command(port, workers)
            environment = {
                **self.environment,
                "BENCH_DATABASE_DSN": self.database.dsn,
                "BENCH_POOL_SIZE": str(self.options.pool_size),
                "BENCH_ACTOR_ID": self.staff[0][1],
            }
        log = self.workdir / f"{target}-{port}.log"
        with running(command, port, environment, log) as (base_url, pid):
            data = LoadData(
                customers=self.options.customers,
                tokens=tuple(self._tokens(base_url)),
                logins=tuple((username, STAFF_PASSWORD) for username, _ in self.staff),
            )
            if self.options.warmup > 0:
                load_module.run(phases[0], base_url, data, self.options.warmup, self._generator)
                time.sleep(DRAIN_SECONDS)
            measurements = []
            for phase in phases:
                marker = self.database.audit_marker()
                with ServerSampler(pid) as sampler:
                    results = load_module.run(
                        phase, base_url, data, self.options.duration, self._generator
                    )
                time.sleep(DRAIN_SECONDS)
                written = self.database.audit_rows_since(marker)
                in_flight = sum(
                    load.connections * max(KINDS[kind].max_audit_rows for kind, _ in load.mix)
                    for load in phase
                )
                measurements.append(
                    Measurement(
                        results, written, sampler.peak_rss_bytes, sampler.cpu_seconds, in_flight
                    )
                )
            return measurements

    @property
    def _generator(self) -> str:
        return self.options.generator

    def _tokens(self, base_url: str) -> list[str]:
        tokens = []
        with httpx.Client(base_url=base_url, timeout=30) as client:
            for username, _ in self.staff:
                response = client.post(
                    "/api/v1/auth/token", data={"username": username, "password": STAFF_PASSWORD}
                )
                if response.status_code != 200:
                    # The baseline issues no usable tokens; it does not check them either.
                    return ["baseline-does-not-verify-tokens"]
                tokens.append(response.json()["access_token"])
        return tokens
