"""The scenarios: each is one function that measures the service and the baseline.

A scenario gets a `Bench` (servers, data, options) and returns the rows of the table and
any notes. `Bench.compare` runs the same phases against the service and then the baseline;
a phase is a list of loads that run at the same time. Scenarios of one client at a time
(S5, S6) start each server with `Bench.serve` and measure a block with `Bench.sampled`. To
add a scenario, write one function with `@scenario(...)` (and, for a new kind of request, a
`RequestKind`).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import NamedTuple

from bench.clients import Download, download, page_through
from bench.database import DISCLOSURES, IDEMPOTENCY_KEYS, ORDERS, REPLAYS, BenchDatabase
from bench.load import Load, LoadResult
from bench.requests import ID_PREFIX
from bench.runner import TARGETS, Bench, Measurement, Server
from bench.seeding import (
    FEED_SERIES,
    FINANCE_PURPOSE,
    ReportCustomer,
    seed_orders,
    seed_report_customer,
    verified_access_request,
)
from bench.table import format_table, ratio


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
PLANNED: dict[str, str] = {}


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


def read_load(connections: int) -> Load:
    """S1's load: audited reads of random customers."""
    return Load("read", (("read", 1),), connections)


def mix_load(connections: int) -> Load:
    """S3's load: reads, creations and searches."""
    return Load("mix", (("read", 85), ("create", 10), ("search", 5)), connections)


def orders_load(connections: int, retry_percent: int = 10) -> Load:
    """S2's load: the web shop's orders, `retry_percent` of them sent again with their key."""
    mix = tuple(
        (kind, weight)
        for kind, weight in (("order", 100 - retry_percent), ("order-retry", retry_percent))
        if weight > 0
    )
    return Load("orders", mix, connections)


@scenario("s1", "GET /api/v1/customers/{id} with a staff token, random ids")
def s1_read(bench: Bench) -> Report:
    read = read_load(bench.options.connections)
    (service,), (baseline,) = bench.compare([[read]])
    return Report(rows_for("S1 read", service, baseline))


@scenario("s2", "web shop POST /api/v1/orders with its API key and Idempotency-Key, some retried")
def s2_orders(bench: Bench) -> Report:
    bench.link_web_shop()  # the key made before the servers start
    orders = orders_load(bench.options.connections, bench.options.retry_percent)
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
    mix = mix_load(bench.options.connections)
    (service,), (baseline,) = bench.compare([[mix]])
    return Report(rows_for("S3 mix", service, baseline))


@scenario("s4", "login storm alongside S1 traffic")
def s4_logins(bench: Bench) -> Report:
    hash_seconds = argon2_verify_seconds()
    read = read_load(bench.options.connections)
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


FEED_WARMUP_PAGES = 5


@scenario("s5", "the finance partner pages through every invoice (X-API-Key, X-Purpose)")
def s5_feed(bench: Bench) -> Report:
    options = bench.options
    seed_orders(bench.database, FEED_SERIES, options.orders, ID_PREFIX, 1, options.customers)
    invoiced = bench.database.value("SELECT count(*) FROM orders WHERE invoice_status IS NOT NULL")
    headers = {"X-API-Key": bench.api_keys().finance.plaintext, "X-Purpose": FINANCE_PURPOSE}
    measurements = []
    notes = []
    for target in TARGETS:
        with bench.serve(target) as server:
            wait_for_feed(bench.database)
            if options.warmup > 0:
                page_through(server.base_url, headers, max_pages=FEED_WARMUP_PAGES)
            bench.settle(server)
            with bench.sampled(server, (DISCLOSURES,)) as probe:
                feed = page_through(server.base_url, headers)
        measurements.append(
            Measurement([feed.result()], probe.written, probe.peak_rss_bytes, probe.cpu_seconds)
        )
        disclosed = probe.written[DISCLOSURES.name]
        notes.append(
            f"S5 {target}: {feed.rows:,} of {invoiced:,} invoiced orders "
            f"({'all' if feed.rows == invoiced else 'NOT ALL'}) in {feed.pages} pages of "
            f"{len(feed.customers):,} customers, {feed.seconds:.1f} s: "
            f"{feed.pages / feed.seconds:.1f} pages/s, {feed.rows / feed.seconds:,.0f} rows/s; "
            f"disclosure rows {disclosed}/{feed.disclosures_expected} "
            f"{'ok' if disclosed == feed.disclosures_expected else 'WRONG'}"
        )
    service, baseline = measurements
    return Report(rows_for("S5 feed pages", service, baseline), notes)


def wait_for_feed(database: BenchDatabase) -> None:
    """Until the newest invoice is older than the feed's delay, so that one pass sees all."""
    from customer_registry.config import Settings

    delay = Settings.model_fields["invoice_feed_delay_seconds"].default
    age = database.value(
        "SELECT extract(epoch FROM now() - max(invoice_updated_at))::float FROM orders"
    )
    if age is not None and age < delay + 1:
        time.sleep(delay + 1 - age)


@scenario(
    "s6",
    "streamed exports at two sizes: mailing labels of the register at N and 2N customers, "
    "access reports of customers with half and all of --report-orders/--report-audit-events",
)
def s6_exports(bench: Bench) -> Report:
    options = bench.options
    database = bench.database
    officer = bench.account("privacy_officer")
    people = [
        seed_report_customer(
            database,
            number,
            options.report_orders * number // 2,
            options.report_audit_events * number // 2,
            bench.staff[0][1],
        )
        for number in (1, 2)
    ]
    settings = database.settings(bench.secret)
    officer_id = database.accounts("privacy_officer")[0][1]
    requests = [verified_access_request(settings, person.id, officer_id) for person in people]
    exports: list[Export] = []
    for target in TARGETS:
        with bench.serve(target) as server:
            headers = {"Authorization": f"Bearer {bench.login(server.base_url, officer)}"}
            if options.warmup > 0:
                download(server.base_url, f"{LABELS_PATH}&postal_code_prefix=00", headers)
                download(server.base_url, report_path(requests[0]), headers)

            measure = partial(measure_export, bench, server, headers)
            exports.append(measure(LABELS[0], LABELS_PATH, label_rows))
            with grown_register(database, options.customers):
                exports.append(measure(LABELS[1], LABELS_PATH, label_rows))
            for name, person, request in zip(REPORTS, people, requests, strict=True):
                exports.append(measure(name, report_path(request), partial(report_rows, person)))
    sizes = (
        f"S6: labels N is the register as it stands ({options.customers:,} seeded customers "
        f"and any that S3 created), 2N has {options.customers:,} more for the run; access "
        "report N/2 and N are customers with "
        + " and ".join(f"{p.orders:,} orders and {p.audit_events:,} audit events" for p in people)
    )
    return Report(notes=[sizes, *export_table(exports), *growth_notes(exports)])


LABELS_PATH = "/api/v1/exports/mailing-labels?format=csv"
LABELS = ("labels N", "labels 2N")
REPORTS = ("access report N/2", "access report N")
REPORT_PARTS = ("orders", "disclosures", "processing_log")


@dataclass(frozen=True)
class Export:
    """One streamed export measured against one server."""

    name: str
    target: str
    download: Download
    rows: int
    complete: bool
    start_rss_bytes: int
    peak_rss_bytes: int
    audit_written: int
    audit_expected: int

    @property
    def rss_growth_bytes(self) -> int:
        return max(0, self.peak_rss_bytes - self.start_rss_bytes)


class Counts(NamedTuple):
    rows: int
    audit_expected: int
    complete: bool


Counted = Callable[[Download], Counts]


def label_rows(result: Download) -> Counts:
    """The labels (CSV rows after the header) and their export events, one each."""
    rows = max(0, result.body.count(b"\n") - 1) if result.status == 200 else 0
    return Counts(rows, rows, result.status == 200)


def report_rows(person: ReportCustomer, result: Download) -> Counts:
    """The orders, disclosures and processing-log entries, one export event per report;
    complete with every order of the person and at least the audit events seeded."""
    report = json.loads(result.body) if result.status == 200 else {}
    parts = {part: len(report.get(part, [])) for part in REPORT_PARTS}
    complete = parts["orders"] == person.orders and parts["processing_log"] >= person.audit_events
    return Counts(sum(parts.values()), 1, complete)


def report_path(request_id: str) -> str:
    return f"/api/v1/gdpr-requests/{request_id}/access-report?format=json"


def measure_export(
    bench: Bench,
    server: Server,
    headers: dict[str, str],
    name: str,
    path: str,
    counted: Counted,
) -> Export:
    bench.settle(server)
    with bench.sampled(server) as probe:
        result = download(server.base_url, path, headers)
    counts = counted(result)
    return Export(
        name,
        server.target,
        result,
        counts.rows,
        counts.complete,
        probe.start_rss_bytes,
        probe.peak_rss_bytes,
        probe.written["audit"],
        counts.audit_expected,
    )


@contextmanager
def grown_register(database: BenchDatabase, customers: int) -> Iterator[None]:
    """Customers N+1 to 2N for the block: the label run of a register twice the size."""
    database.seed_customers(customers + 1, 2 * customers)
    try:
        yield
    finally:
        database.remove_customers(customers + 1, 2 * customers)


def export_table(exports: list[Export]) -> list[str]:
    table = [
        (
            "S6 export",
            "target",
            "status",
            "rows",
            "seconds",
            "rows/s",
            "1st byte ms",
            "MB",
            "RSS MB",
            "RSS +MB",
            "audit/expected",
        )
    ]
    by_name: dict[str, dict[str, Export]] = {}
    for export in exports:
        by_name.setdefault(export.name, {})[export.target] = export
    for name, targets in by_name.items():
        for export in targets.values():
            result = export.download
            verdict = "ok" if export.audit_written == export.audit_expected else "WRONG"
            table.append(
                (
                    name,
                    export.target,
                    str(result.status),
                    f"{export.rows:,}" + ("" if export.complete else " INCOMPLETE"),
                    f"{result.seconds:.2f}",
                    f"{export.rows / result.seconds:,.0f}",
                    f"{1000 * result.first_byte_seconds:.0f}",
                    f"{len(result.body) / 1e6:.1f}",
                    f"{export.peak_rss_bytes / 2**20:.0f}",
                    f"{export.rss_growth_bytes / 2**20:.1f}",
                    f"{export.audit_written}/{export.audit_expected} {verdict}",
                )
            )
        if "service" in targets and "baseline" in targets:
            service, baseline = targets["service"], targets["baseline"]
            table.append(
                (
                    name,
                    "ratio",
                    "",
                    "",
                    ratio(service.download.seconds, baseline.download.seconds),
                    ratio(
                        service.rows / service.download.seconds,
                        baseline.rows / baseline.download.seconds,
                    ),
                    "",
                    "",
                    ratio(service.peak_rss_bytes, baseline.peak_rss_bytes),
                    "",
                    "",
                )
            )
    return ["", *format_table(table)]


def growth_notes(exports: list[Export]) -> list[str]:
    """For each export and server: how rows, time and peak memory grew with the size."""
    found = {(export.name, export.target): export for export in exports}
    notes = []
    for small, large in (LABELS, REPORTS):
        for target in TARGETS:
            if (small, target) not in found or (large, target) not in found:
                continue
            before, after = found[small, target], found[large, target]
            notes.append(
                f"S6 {target} {small} -> {large.rsplit(' ', 1)[1]}: rows "
                f"{ratio(after.rows, before.rows)}, time "
                f"{ratio(after.download.seconds, before.download.seconds)} (linear time grows "
                "as the rows), peak RSS "
                f"{ratio(after.peak_rss_bytes, before.peak_rss_bytes)} (flat memory: 1.00x)"
            )
    return ["", *notes]
