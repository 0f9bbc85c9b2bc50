"""The benchmark database: created, migrated with `customer-registry migrate`, seeded in
bulk on the server (INSERT ... SELECT generate_series), and dropped at the end."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg
from pydantic import SecretStr

from bench.requests import FIRST_NAMES, ID_PREFIX, LAST_NAMES, customer_id

if TYPE_CHECKING:
    from customer_registry.config import Settings

SEED_CHUNK = 250_000


def _sql_array(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]"


# Customers $1 to $2 with ids $3 + the number in hex and e-mail $4 + the number @example.fi.
# Four in five customers are private persons, the rest companies with a business id; every
# customer has an e-mail, phone and address, every tenth relationship has ended.
SEED_SQL = f"""
INSERT INTO customers (
    id, type, first_name, last_name, organisation_name, organisation_business_id,
    email, email_normalized, phone, street, postal_code, city, country,
    language, legal_basis, source, relationship_started_on, relationship_ended_on,
    is_contact_person, version, created_at, updated_at)
SELECT
    ($3::text || lpad(to_hex(i), 12, '0'))::uuid,
    CASE WHEN i % 5 = 0 THEN 'company' ELSE 'private_person' END,
    ({_sql_array(FIRST_NAMES)})[1 + i % {len(FIRST_NAMES)}],
    ({_sql_array(LAST_NAMES)})[1 + (i / 7) % {len(LAST_NAMES)}],
    CASE WHEN i % 5 = 0 THEN 'Yritys ' || i || ' Oy' END,
    CASE WHEN i % 5 = 0 THEN '1234567-1' END,
    $4::text || i || '@example.fi',
    $4::text || i || '@example.fi',
    '+35840' || lpad((i % 10000000)::text, 7, '0'),
    'Esimerkkikatu ' || (1 + i % 99) || ' A ' || (1 + i % 40),
    lpad(((i * 37) % 99999)::text, 5, '0'),
    'Helsinki',
    'FI',
    'fi',
    'contract',
    'web_shop',
    DATE '2015-01-01' + (i % 3650)::int,
    CASE WHEN i % 10 = 0 THEN DATE '2025-06-30' END,
    i % 5 = 0,
    1,
    now(),
    now()
FROM generate_series($1::bigint, $2::bigint) AS i
"""


@dataclass(frozen=True)
class Counter:
    """Rows of one kind written after a marker: `marker` reads the position, `count` the
    rows past it."""

    name: str
    marker: str
    count: str


AUDIT_ROWS = Counter(
    "audit",
    "SELECT coalesce(max(id), 0) FROM audit_events",
    "SELECT count(*) FROM audit_events WHERE id > $1",
)
DISCLOSURES = Counter(
    "disclosures",
    "SELECT coalesce(max(id), 0) FROM disclosures",
    "SELECT count(*) FROM disclosures WHERE id > $1",
)
IDEMPOTENCY_KEYS = Counter(
    "idempotency keys",
    "SELECT coalesce(max(id), 0) FROM idempotency_keys",
    "SELECT count(*) FROM idempotency_keys WHERE id > $1",
)
# A replayed order is audited as a read of the order; a new one as its creation.
REPLAYS = Counter(
    "replays",
    "SELECT coalesce(max(id), 0) FROM audit_events",
    "SELECT count(*) FROM audit_events WHERE id > $1 AND action = 'read' AND entity = 'order'",
)
ORDERS = Counter("orders", "SELECT now()", "SELECT count(*) FROM orders WHERE created_at > $1")

T = TypeVar("T")


@dataclass(frozen=True)
class BenchDatabase:
    """A PostgreSQL database of its own for one benchmark run."""

    server_url: str  # postgresql://user@host:port, without a database
    name: str

    @property
    def dsn(self) -> str:
        return f"{self.server_url}/{self.name}"

    @property
    def sqlalchemy_url(self) -> str:
        return self.dsn.replace("postgresql://", "postgresql+asyncpg://", 1)

    def run(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """Run `work` on a connection of its own to the benchmark database."""

        async def connected() -> T:
            connection = await asyncpg.connect(self.dsn)
            try:
                return await work(connection)
            finally:
                await connection.close()

        return asyncio.run(connected())

    def value(self, query: str, *arguments: object) -> Any:
        return self.run(lambda connection: connection.fetchval(query, *arguments))

    async def _admin(self, statement: str) -> None:
        connection = await asyncpg.connect(f"{self.server_url}/postgres")
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    def create(self) -> None:
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        asyncio.run(self._admin(f'CREATE DATABASE "{self.name}"'))

    def drop(self) -> None:
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))

    def migrate(self, environment: dict[str, str]) -> None:
        self._command(environment, "migrate")

    def seal_audit_chain(self, environment: dict[str, str]) -> None:
        """Seal every audit event now, so that a server's sealer does not do it under load."""
        self._command(environment, "audit", "seal")

    def _command(self, environment: dict[str, str], *arguments: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "customer_registry", *arguments],
            env=environment,
            check=True,
            capture_output=True,
        )

    def seed(self, customers: int) -> float:
        """Insert `customers` customers; returns the seconds it took."""
        started = time.perf_counter()
        self.seed_customers(1, customers)
        return time.perf_counter() - started

    def seed_customers(
        self, first: int, last: int, prefix: str = ID_PREFIX, email: str = "customer"
    ) -> None:
        """Customers number `first` to `last` (ids `prefix` + the number), in chunks."""

        async def insert(connection: asyncpg.Connection) -> None:
            for start in range(first, last + 1, SEED_CHUNK):
                end = min(last, start + SEED_CHUNK - 1)
                await connection.execute(SEED_SQL, start, end, prefix, email)
            await connection.execute("VACUUM ANALYZE customers")

        self.run(insert)

    def remove_customers(self, first: int, last: int) -> None:
        """Delete seeded customers `first` to `last` again (they must have no orders)."""

        async def delete(connection: asyncpg.Connection) -> None:
            await connection.execute(
                "DELETE FROM customers WHERE id BETWEEN $1 AND $2",
                uuid.UUID(customer_id(first)),
                uuid.UUID(customer_id(last)),
            )
            await connection.execute("VACUUM ANALYZE customers")

        self.run(delete)

    def create_accounts(
        self, secret: str, count: int, password: str, role: str = "staff"
    ) -> list[tuple[str, str]]:
        """Accounts `bench-<role>-<n>` through the registry's own code; (username, id) pairs."""
        from customer_registry.accounts.bootstrap import create_account
        from customer_registry.accounts.schemas import UserCreate
        from customer_registry.models import Role

        settings = self.settings(secret)
        accounts = []
        for number in range(1, count + 1):
            data = UserCreate(
                username=f"bench-{role}-{number}",
                full_name=f"Bench {role.replace('_', ' ').title()} {number}",
                role=Role(role),
                password=password,
                confidentiality_committed=True,
            )
            user = asyncio.run(create_account(settings, data, only_if_none=False))
            assert user is not None
            accounts.append((user.username, str(user.id)))
        return accounts

    def accounts(self, role: str = "staff") -> list[tuple[str, str]]:
        """The (username, id) of the accounts of a role that an earlier call created."""
        rows = self.run(
            lambda connection: connection.fetch(
                "SELECT username, id FROM users WHERE username LIKE $1 ORDER BY username",
                f"bench-{role}-%",
            )
        )
        return [(row["username"], str(row["id"])) for row in rows]

    def settings(self, secret: str) -> Settings:
        """The registry's settings for code of the registry run by the benchmark itself."""
        from customer_registry.config import Settings

        return Settings(database_url=self.sqlalchemy_url, secret_key=SecretStr(secret))

    def markers(self, counters: Sequence[Counter]) -> list[object]:
        """Where each counter stands now; `counted_since` counts the rows written after."""

        async def read(connection: asyncpg.Connection) -> list[object]:
            return [await connection.fetchval(counter.marker) for counter in counters]

        return self.run(read)

    def counted_since(self, counters: Sequence[Counter], markers: list[object]) -> dict[str, int]:
        async def count(connection: asyncpg.Connection) -> dict[str, int]:
            return {
                counter.name: int(await connection.fetchval(counter.count, marker))
                for counter, marker in zip(counters, markers, strict=True)
            }

        return self.run(count)


def service_environment(database: BenchDatabase, secret: str, pool_size: int) -> dict[str, str]:
    """The environment of `customer-registry` processes for this benchmark."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("CUSTOMER_REGISTRY_")
    }
    environment.update(
        {
            "CUSTOMER_REGISTRY_ENV": "production",
            "CUSTOMER_REGISTRY_DATABASE_URL": database.sqlalchemy_url,
            "CUSTOMER_REGISTRY_SECRET_KEY": secret,
            "CUSTOMER_REGISTRY_DATABASE_POOL_SIZE": str(pool_size),
            "CUSTOMER_REGISTRY_ACCESS_TOKEN_MINUTES": "240",
            # S6 exports more often than staff may in a minute; the limit is still counted.
            "CUSTOMER_REGISTRY_RATE_LIMIT_EXPORTS_PER_MINUTE": "1000",
            # S4's login storm comes from one address and measures hashing capacity, not
            # the per-address limit of 60 a minute (still counted on every login).
            "CUSTOMER_REGISTRY_RATE_LIMIT_LOGIN_PER_MINUTE": "1000000",
            "CUSTOMER_REGISTRY_ERASURE_LOG_FILE": str(
                Path(tempfile.gettempdir()) / f"{database.name}.erasures.jsonl"
            ),
            # The checkpoints of this run's secret only: another run's would not verify.
            "CUSTOMER_REGISTRY_AUDIT_CHECKPOINT_FILE": str(
                Path(tempfile.gettempdir())
                / f"{database.name}-{os.getpid()}.audit-checkpoints.jsonl"
            ),
        }
    )
    return environment
