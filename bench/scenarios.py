"""The scenarios: each is one function that measures the service and the baseline.

A scenario gets a `Bench` (servers, data, options) and returns the rows of the table and
any notes. `Bench.compare` runs the same phases against the service and then the baseline;
a phase is a list of loads that run at the same time. To add a scenario, write one
function with `@scenario(...)` (and, for a new kind of request, a `RequestKind`).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.database import DISCLOSURES, IDEMPOTENCY_KEYS, ORDERS, REPLAYS
from bench.load import Load, LoadResult
from bench.runner import TARGETS, Bench, Measurement


@dataclass(frozen=True)
class Row:
    scenario: str
    target: str
    result: LoadResult
    # For the first load of a phase: the audit rows of the whole phase, and its memory.
    audit_written: int | None
    audit_expected: int | None
    audit_correct: bool | None
    peak_rss_bytes: int | None
    cpu_ms_per_request: float | None


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    run: Callable[[Bench], Report]


SCENARIOS: dict[str, Scenario] = {}

# Scenarios whose endpoints are not in this version of the service yet.
PLANNED: dict[str, str] = {
    "s5": "finance partner paging through 100,000 orders",
    "s6": "mailing-label export and access report of a customer with 10,000 orders and "
    "50,000 audit events: time and peak memory",
}


def scenario(key: str, title: str) -> Callable[[Callable[[Bench], Report]], Callable[..., Report]]:
    def register(function: Callable[[Bench], Report]) -> Callable[[Bench], Report]:
        SCENARIOS[key] = Scenario(key, title, function)
        return function

    return register


def rows_for(name: str, service: Measurement, baseline: Measurement) -> list[Row]:
    rows = []
    for target, measurement in (("service", service), ("baseline", baseline)):
        for result in measurement.results:
            label = name if len(measurement.results) == 1 else f"{name} [{result.name}]"
            first = result is measurement.results[0]
            rows.append(
                Row(
                    label,
                    target,
                    result,
                    measurement.audit_written if first else None,
                    measurement.audit_expected if first else None,
                    measurement.audit_correct if first else None,
                    measurement.peak_rss_bytes if first else None,
                    measurement.cpu_ms_per_request if first else None,
                )
            )
    return rows


@scenario("s1", "GET /api/v1/customers/{id} with a staff token, random ids")
def s1_read(bench: Bench) -> Report:
    read = Load("read", (("read", 1),), bench.options.connections)
    (service,), (baseline,) = bench.compare([[read]])
    return Report(rows_for("S1 read", service, baseline))


@scenario("s2", "web shop POST /api/v1/orders with its API key and Idempotency-Key, some retried")
def s2_orders(bench: Bench) -> Report:
    bench.api_keys  # made before the servers start  # noqa: B018
    retries = bench.options.retry_percent
    mix = tuple(
        (kind, weight)
        for kind, weight in (("order", 100 - retries), ("order-retry", retries))
        if weight > 0
    )
    orders = Load("orders", mix, bench.options.connections)
    counters = (ORDERS, IDEMPOTENCY_KEYS, REPLAYS, DISCLOSURES)
    (service,), (baseline,) = bench.compare([[orders]], counters)
    report = Report(rows_for("S2 orders", service, baseline))
    for target, measurement in zip(TARGETS, (service, baseline), strict=True):
        written = measurement.written
        created, keys = written[ORDERS.name], written[IDEMPOTENCY_KEYS.name]
        disclosed = written[DISCLOSURES.name]
        report.notes.append(
            f"S2 {target}: {created} orders for {keys} idempotency keys "
            f"({'no key made two orders' if created == keys else 'DUPLICATES'}), "
            f"{written[REPLAYS.name]} retries answered with the first response; "
            f"{disclosed} disclosure rows to the web shop, one per audit row "
            f"{'ok' if disclosed == measurement.audit_written else 'WRONG'}"
        )
    return report


@scenario("s3", "mix of 85% reads, 10% creations, 5% searches (10 per page)")
def s3_mix(bench: Bench) -> Report:
    mix = Load("mix", (("read", 85), ("create", 10), ("search", 5)), bench.options.connections)
    (service,), (baseline,) = bench.compare([[mix]])
    return Report(rows_for("S3 mix", service, baseline))


@scenario("s4", "login storm alongside S1 traffic")
def s4_logins(bench: Bench) -> Report:
    hash_seconds = argon2_verify_seconds()
    read = Load("read", (("read", 1),), bench.options.connections)
    logins = Load("login", (("login", 1),), bench.options.login_connections)
    (service_alone, service_storm), (baseline_alone, baseline_storm) = bench.compare(
        [[read], [read, logins]]
    )
    report = Report(
        [
            *rows_for("S4 reads alone", service_alone, baseline_alone),
            *rows_for("S4 storm", service_storm, baseline_storm),
        ]
    )
    cores = bench.cores
    ceiling = cores / hash_seconds
    report.notes.append(
        f"S4: one argon2id verification takes {hash_seconds * 1000:.1f} ms here; "
        f"{cores} cores / that = {ceiling:.0f} logins/s"
    )
    for target, alone, storm in (
        ("service", service_alone, service_storm),
        ("baseline", baseline_alone, baseline_storm),
    ):
        reads, login = storm.results
        report.notes.append(
            f"S4 {target}: {login.per_second:.1f} logins/s = "
            f"{login.per_second / ceiling:.0%} of the ceiling; reads p99 "
            f"{alone.results[0].p99_ms:.1f} ms alone, {reads.p99_ms:.1f} ms during the storm "
            f"({reads.p99_ms / alone.results[0].p99_ms:.2f}x)"
        )
    return report


def argon2_verify_seconds(samples: int = 7) -> float:
    """The median time of one password verification with the registry's own parameters."""
    from customer_registry.auth.passwords import _context, hash_password_sync

    password = "a-password-for-timing-only"
    hashed = hash_password_sync(password)
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        _context.verify(password, hashed)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)
