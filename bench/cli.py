"""`python -m bench`: seed, serve, load, and print the table with service/baseline ratios."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from bench.database import BenchDatabase
from bench.load import wrk_available
from bench.runner import Bench, Options
from bench.scenarios import PLANNED, SCENARIOS, Report, Row
from bench.table import format_table, ratio


def build_parser() -> argparse.ArgumentParser:
    available = "\n".join(f"  {key}  {item.title}" for key, item in SCENARIOS.items())
    planned = "\n".join(f"  {key}  not yet available: {title}" for key, title in PLANNED.items())
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Benchmark the registry against a raw-asyncpg baseline on a dedicated "
        "PostgreSQL database (created, seeded and dropped by this command).",
        epilog=f"scenarios:\n{available}\n{planned}\n\n"
        "python -m bench audit-chain --help: sealing and verifying the audit chain\n"
        "python -m bench ab --help: versions of the service's source compared in one run",
    )
    parser.add_argument(
        "--scenario",
        default=",".join(SCENARIOS),
        help="comma-separated scenarios to run (default: every available one)",
    )
    add_run_arguments(parser)
    parser.add_argument(
        "--login-connections",
        type=int,
        default=LOGIN_CONNECTIONS,
        help="connections of the S4 login storm",
    )
    parser.add_argument(
        "--retry-percent",
        type=int,
        default=10,
        help="S2: share of orders sent again with the same Idempotency-Key",
    )
    parser.add_argument(
        "--orders", type=int, default=100_000, help="S5: invoiced orders to seed for the feed"
    )
    parser.add_argument(
        "--report-orders",
        type=int,
        default=10_000,
        help="S6: orders of the larger report customer (the smaller has half)",
    )
    parser.add_argument(
        "--report-audit-events",
        type=int,
        default=50_000,
        help="S6: audit events about the larger report customer (the smaller has half)",
    )
    parser.add_argument(
        "--service-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a CUSTOMER_REGISTRY_ setting for the service, e.g. "
        "CUSTOMER_REGISTRY_AUDIT_SEAL_INTERVAL_SECONDS=0 to measure without the audit chain's "
        "sealer (repeatable)",
    )
    return parser


LOGIN_CONNECTIONS = 8


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a run that `python -m bench ab` has too: size, load, database."""
    parser.add_argument("--customers", type=int, default=100_000, help="customers to seed")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--duration", type=float, default=20, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per server")
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL, without a database name",
    )
    parser.add_argument("--database", default="registry_bench", help="database to create")
    parser.add_argument(
        "--keep-database", action="store_true", help="keep the database after the run"
    )
    parser.add_argument(
        "--reuse-database",
        action="store_true",
        help="use a database kept by an earlier run with the same --customers (no seeding)",
    )
    parser.add_argument("--pool-size", type=int, default=16, help="connections per worker")
    parser.add_argument(
        "--load-generator",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="wrk when installed (auto), or the built-in Python generator",
    )


def load_generator(parser: argparse.ArgumentParser, choice: str) -> str:
    """The generator to use for --load-generator: auto is wrk when it is installed."""
    if choice == "auto":
        return "wrk" if wrk_available() else "python"
    if choice == "wrk" and not wrk_available():
        parser.error("wrk is not installed")
    return choice


@contextmanager
def prepared(bench: Bench, arguments: argparse.Namespace) -> Iterator[None]:
    """The run's database for the block: created and seeded, or reused with
    --reuse-database; dropped afterwards unless --keep-database."""
    database, options = bench.database, bench.options
    try:
        if arguments.reuse_database:
            bench.staff = database.accounts()
            print(f"reusing database {database.name}", flush=True)
        else:
            database.create()
            print(f"seeding {options.customers:,} customers into {database.name} ...", flush=True)
            seconds = bench.prepare()
            print(f"seeded in {seconds:.1f} s", flush=True)
        yield
    finally:
        if not arguments.keep_database:
            database.drop()


def service_settings(values: Sequence[str]) -> dict[str, str]:
    """NAME=VALUE pairs of registry settings; anything else is a usage error."""
    settings = {}
    for value in values:
        name, separator, setting = value.partition("=")
        if not separator or not name.startswith("CUSTOMER_REGISTRY_"):
            raise SystemExit(f"--service-setting {value!r}: expected CUSTOMER_REGISTRY_NAME=VALUE")
        settings[name] = setting
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["audit-chain"]:
        from bench import audit_chain

        return audit_chain.main(argv[1:])
    if argv[:1] == ["ab"]:
        from bench import ab

        return ab.main(argv[1:])
    parser = build_parser()
    arguments = parser.parse_args(argv)
    keys = [key.strip().lower() for key in arguments.scenario.split(",") if key.strip()]
    for key in keys:
        if key in PLANNED:
            parser.error(f"scenario {key} is not yet available: {PLANNED[key]}")
        if key not in SCENARIOS:
            parser.error(f"unknown scenario {key}")
    generator = load_generator(parser, arguments.load_generator)
    options = Options(
        customers=arguments.customers,
        workers=arguments.workers,
        connections=arguments.connections,
        login_connections=arguments.login_connections,
        duration=arguments.duration,
        warmup=arguments.warmup,
        generator=generator,
        pool_size=arguments.pool_size,
        # A login storm is many people logging in: attempts on one account queue on its
        # throttling lock (by design), so the storm spreads over four accounts a connection.
        staff_accounts=max(4, 4 * arguments.login_connections),
        retry_percent=arguments.retry_percent,
        orders=arguments.orders,
        report_orders=arguments.report_orders,
        report_audit_events=arguments.report_audit_events,
        service_settings=service_settings(arguments.service_setting),
    )
    database = BenchDatabase(arguments.postgres.rstrip("/"), arguments.database)
    with tempfile.TemporaryDirectory(prefix="bench-") as directory:
        bench = Bench(options, database, Path(directory))
        with prepared(bench, arguments):
            reports = []
            for key in keys:
                print(f"running {key}: {SCENARIOS[key].title} ...", flush=True)
                reports.append(SCENARIOS[key].run(bench))
    print(render(options, reports))
    return 0


def render(options: Options, reports: list[Report]) -> str:
    header = (
        f"{options.customers:,} customers, {options.workers} workers, "
        f"{options.connections} connections, {options.duration:g} s per measurement, "
        f"load from {options.generator}"
    )
    if options.service_settings:
        settings = ", ".join(f"{name}={value}" for name, value in options.service_settings.items())
        header += f"; service with {settings}"
    table: list[tuple[str, ...]] = [COLUMNS]
    for report in reports:
        by_label: dict[str, dict[str, Row]] = {}
        for row in report.rows:
            by_label.setdefault(row.scenario, {})[row.target] = row
        for label, targets in by_label.items():
            table.extend(_cells(row) for row in targets.values())
            service, baseline = targets.get("service"), targets.get("baseline")
            if service and baseline:
                table.append(_ratios(label, service, baseline))
    lines = [header]
    if len(table) > 1:
        lines.extend(["", *format_table(table), "", LEGEND])
    for report in reports:
        lines.extend(["", *report.notes] if report.notes else [])
    return "\n".join(lines)


COLUMNS = (
    "scenario",
    "target",
    "req/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "audit/2xx",
    "RSS MB",
    "CPU ms/req",
)
LEGEND = (
    "audit/2xx: audit rows written / rows the 2xx answers stand for (one per customer "
    "returned); ok when equal, or higher by at most the requests still in flight when "
    "the load generator stopped. CPU ms/req: CPU time of the server's processes per "
    "answer, which stays comparable when other work shares the machine."
)


def _ratios(label: str, service: Row, baseline: Row) -> tuple[str, ...]:
    return (
        label,
        "ratio",
        ratio(service.result.per_second, baseline.result.per_second),
        ratio(service.result.p50_ms, baseline.result.p50_ms),
        ratio(service.result.p99_ms, baseline.result.p99_ms),
        "",
        "",
        ratio(service.peak_rss_bytes or 0, baseline.peak_rss_bytes or 0),
        ratio(service.cpu_ms_per_request or 0, baseline.cpu_ms_per_request or 0),
    )


def _cells(row: Row) -> tuple[str, ...]:
    result = row.result
    audit = ""
    if row.audit_written is not None:
        verdict = "ok" if row.audit_correct else "WRONG"
        audit = f"{row.audit_written}/{row.audit_expected} {verdict}"
    return (
        row.scenario,
        row.target,
        f"{result.per_second:.0f}",
        f"{result.p50_ms:.1f}",
        f"{result.p99_ms:.1f}",
        str(result.errors),
        audit,
        f"{row.peak_rss_bytes / 2**20:.0f}" if row.peak_rss_bytes else "",
        f"{row.cpu_ms_per_request:.2f}" if row.cpu_ms_per_request else "",
    )


if __name__ == "__main__":
    sys.exit(main())
