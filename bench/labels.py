"""Benchmark: seed N customers into PostgreSQL, then export mailing labels and measure.

    python bench/labels.py --customers 1000000            # seed, then export CSV and PDF
    python bench/labels.py --customers 100000 --format csv

It (re)creates the database named in --database-url, migrates it, seeds customers with
COPY (about 5 % forbid listing, 1 % are restricted, 2 % have ended relationships), and runs
each export in a fresh process that streams the labels exactly as the endpoint does
(batches, an audit event per person) and throws the bytes away. Each export prints rows
per second and the process's peak resident memory, which must not grow with N.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import time
import uuid

import asyncpg
from sqlalchemy import make_url

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_labels"
SEED_BATCH = 50_000
CUSTOMER_COLUMNS = (
    "id",
    "type",
    "first_name",
    "last_name",
    "organisation_name",
    "organisation_business_id",
    "email",
    "email_normalized",
    "phone",
    "street",
    "postal_code",
    "city",
    "country",
    "language",
    "legal_basis",
    "source",
    "relationship_started_on",
    "relationship_ended_on",
    "is_contact_person",
    "version",
    "created_at",
    "updated_at",
    "restricted_at",
    "restriction_reason",
    "restricted_by",
)
CONSENT_COLUMNS = (
    "customer_id",
    "purpose",
    "decision",
    "recorded_at",
    "recorded_by_type",
    "recorded_by_id",
    "channel",
    "evidence",
    "privacy_notice_version",
)
FIRST_NAMES = ["Aino", "Eino", "Helmi", "Väinö", "Sofia", "Onni", "Aada", "Leevi"]
LAST_NAMES = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen"]
CITIES = ["Helsinki", "Espoo", "Tampere", "Vantaa", "Oulu", "Turku", "Jyväskylä"]


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def recreate(url: str) -> None:
    parsed = make_url(url)
    admin = await asyncpg.connect(_plain(parsed.set(database="postgres").render_as_string(False)))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await admin.close()


async def seed(url: str, customers: int) -> None:
    from customer_registry.core.ids import uuid7

    rng = random.Random(1)
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    connection = await asyncpg.connect(_plain(url))
    try:
        done = 0
        while done < customers:
            rows, consents = [], []
            for number in range(done, min(done + SEED_BATCH, customers)):
                customer_id: uuid.UUID = uuid7()
                draw = rng.random()
                rows.append(
                    (
                        customer_id,
                        "private_person",
                        rng.choice(FIRST_NAMES),
                        rng.choice(LAST_NAMES),
                        None,
                        None,
                        f"c{number}@example.fi",
                        f"c{number}@example.fi",
                        "+358401234567",
                        f"Esimerkkikatu {number % 200 + 1} A {number % 30 + 1}",
                        f"{rng.randrange(100, 99999):05d}",
                        rng.choice(CITIES),
                        "FI",
                        "fi",
                        "contract",
                        "web_shop",
                        dt.date(2020, 1, 1),
                        today - dt.timedelta(days=30) if draw < 0.02 else None,
                        False,
                        1,
                        now,
                        now,
                        now if 0.02 <= draw < 0.03 else None,
                        "benchmark" if 0.02 <= draw < 0.03 else None,
                        None,
                    )
                )
                if 0.03 <= draw < 0.08:
                    consents.append(
                        (
                            customer_id,
                            "listing",
                            "forbidden",
                            now,
                            "system",
                            None,
                            "letter",
                            None,
                            "1",
                        )
                    )
            await connection.copy_records_to_table(
                "customers", records=rows, columns=CUSTOMER_COLUMNS
            )
            await connection.copy_records_to_table(
                "consent_events", records=consents, columns=CONSENT_COLUMNS
            )
            done += len(rows)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def export(url: str, label_format: str, batch_size: int) -> dict[str, float]:
    from pydantic import SecretStr

    from customer_registry.auth.principal import Actor
    from customer_registry.config import Settings
    from customer_registry.core.database import create_engine, create_session_factory
    from customer_registry.exports.repository import LabelFilters
    from customer_registry.exports.service import LabelFormat, MailingLabelExport

    settings = Settings(
        database_url=url, secret_key=SecretStr("b" * 32), mailing_label_batch_size=batch_size
    )
    engine = create_engine(settings)
    run_id = f"bench-{uuid.uuid4().hex}"
    actor = Actor(principal=None, request_id=run_id, client_address=None)
    export = MailingLabelExport(create_session_factory(engine), settings)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    size = 0
    async for chunk in export.stream(LabelFormat(label_format), LabelFilters(), actor):
        size += len(chunk)
    seconds = time.perf_counter() - started
    await engine.dispose()
    connection = await asyncpg.connect(_plain(url))
    try:
        rows = await connection.fetchval(
            "SELECT count(*) FROM audit_events WHERE request_id = $1", run_id
        )
    finally:
        await connection.close()
    return {
        "format": label_format,
        "rows": rows,
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "megabytes_out": round(size / 1e6, 1),
        "rss_before_mb": round(baseline, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--format", choices=["csv", "pdf", "both"], default="both")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--no-seed", action="store_true", help="reuse the seeded database")
    parser.add_argument("--export-only", choices=["csv", "pdf"], help=argparse.SUPPRESS)
    arguments = parser.parse_args()

    if arguments.export_only:
        result = asyncio.run(
            export(arguments.database_url, arguments.export_only, arguments.batch_size)
        )
        print(json.dumps(result))
        return

    if not arguments.no_seed:
        from customer_registry.migrations_runner import upgrade

        started = time.perf_counter()
        asyncio.run(recreate(arguments.database_url))
        upgrade(arguments.database_url)
        asyncio.run(seed(arguments.database_url, arguments.customers))
        print(f"seeded {arguments.customers} customers in {time.perf_counter() - started:.1f} s")
    formats = ["csv", "pdf"] if arguments.format == "both" else [arguments.format]
    for label_format in formats:
        # A fresh process per export, so that its peak memory is the export's own.
        completed = subprocess.run(
            [
                sys.executable,
                __file__,
                "--database-url",
                arguments.database_url,
                "--batch-size",
                str(arguments.batch_size),
                "--export-only",
                label_format,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        print(completed.stdout.strip())


if __name__ == "__main__":
    main()
