"""`python -m bench audit-chain`: sealing and verifying the audit chain over N events.

It creates a PostgreSQL database of its own, migrates it, inserts N unsealed audit events
in one statement on the server, then times `customer-registry audit seal` (events/s, the
command's start included) and `customer-registry audit verify`, and drops the database.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Sequence

import asyncpg

from bench.database import BenchDatabase, service_environment

# N read events spread over the last N seconds, by 50 staff actors from 250 addresses.
EVENTS_SQL = """
INSERT INTO audit_events (occurred_at, action, actor_type, actor_id, actor_role, entity,
                          entity_id, customer_id, fields, request_id, client_address, purpose)
SELECT now() - make_interval(secs => ($1::bigint - n)::double precision), 'read', 'user',
       'actor-' || (n % 50), 'staff', 'customer', gen_random_uuid()::text, gen_random_uuid(),
       '["email", "first_name", "last_name"]', md5(n::text), '10.0.0.' || (n % 250), NULL
FROM generate_series(1, $1::bigint) AS n
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench audit-chain",
        description="Seal and verify the audit chain over N events in a database of its own "
        "(created, filled and dropped by this command).",
    )
    parser.add_argument(
        "--events", type=int, default=1_000_000, help="audit events to seal and verify"
    )
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL, without a database name",
    )
    parser.add_argument(
        "--database",
        default=f"registry_bench_chain_{os.getpid()}",
        help="database to create (default: one named after this process)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    events = arguments.events
    database = BenchDatabase(arguments.postgres.rstrip("/"), arguments.database)
    environment = service_environment(database, secrets.token_urlsafe(48), pool_size=2)
    database.create()
    try:
        database.migrate(environment)
        print(f"inserting {events:,} audit events into {database.name} ...", flush=True)

        store_audit_events(database, events)
        seconds = _timed(environment, "audit", "seal")
        print(
            f"seal: {events / seconds:,.0f} events/s ({seconds:.1f} s, command start included)",
            flush=True,
        )
        seconds = _timed(environment, "audit", "verify", "--quiet")
        print(
            f"verify: {events / seconds:,.0f} events/s ({seconds:.1f} s, command start included)",
            flush=True,
        )
    finally:
        database.drop()
    return 0


def store_audit_events(database: BenchDatabase, events: int) -> None:
    """`events` unsealed read events, inserted on the server in chunks of a million."""

    async def insert(connection: asyncpg.Connection) -> None:
        for start in range(0, events, 1_000_000):
            await connection.execute(EVENTS_SQL, min(1_000_000, events - start))
        await connection.execute("ANALYZE audit_events")

    database.run(insert)


def _timed(environment: dict[str, str], *arguments: str) -> float:
    """Run `customer-registry ARGUMENTS` with its output shown; the seconds it took."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "customer_registry", *arguments], env=environment, check=True
    )
    return time.perf_counter() - started
