"""The benchmark database: created, migrated with `customer-registry migrate`, seeded in
bulk on the server (INSERT ... SELECT generate_series), and dropped at the end."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from pydantic import SecretStr

from bench.requests import FIRST_NAMES, ID_PREFIX, LAST_NAMES

SEED_CHUNK = 250_000


def _sql_array(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]"


# Four in five customers are private persons, the rest companies with a business id; every
# customer has an e-mail, phone and address, every tenth relationship has ended.
SEED_SQL = f"""
INSERT INTO customers (
    id, type, first_name, last_name, organisation_name, organisation_business_id,
    email, email_normalized, phone, street, postal_code, city, country,
    language, legal_basis, source, relationship_started_on, relationship_ended_on,
    is_contact_person, version, created_at, updated_at)
SELECT
    ('{ID_PREFIX}' || lpad(to_hex(i), 12, '0'))::uuid,
    CASE WHEN i % 5 = 0 THEN 'company' ELSE 'private_person' END,
    ({_sql_array(FIRST_NAMES)})[1 + i % {len(FIRST_NAMES)}],
    ({_sql_array(LAST_NAMES)})[1 + (i / 7) % {len(LAST_NAMES)}],
    CASE WHEN i % 5 = 0 THEN 'Yritys ' || i || ' Oy' END,
    CASE WHEN i % 5 = 0 THEN '1234567-1' END,
    'customer' || i || '@example.fi',
    'customer' || i || '@example.fi',
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
        subprocess.run(
            [sys.executable, "-m", "customer_registry", "migrate"],
            env=environment,
            check=True,
            capture_output=True,
        )

    def seed(self, customers: int) -> float:
        """Insert `customers` customers; returns the seconds it took."""

        async def insert() -> None:
            connection = await asyncpg.connect(self.dsn)
            try:
                for first in range(1, customers + 1, SEED_CHUNK):
                    last = min(customers, first + SEED_CHUNK - 1)
                    await connection.execute(SEED_SQL, first, last)
                await connection.execute("VACUUM ANALYZE customers")
            finally:
                await connection.close()

        started = time.perf_counter()
        asyncio.run(insert())
        return time.perf_counter() - started

    def create_staff(self, secret: str, count: int, password: str) -> list[tuple[str, str]]:
        """Staff accounts through the registry's own code; returns (username, id) pairs."""
        from customer_registry.accounts.bootstrap import create_account
        from customer_registry.accounts.schemas import UserCreate
        from customer_registry.config import Settings
        from customer_registry.models import Role

        settings = Settings(database_url=self.sqlalchemy_url, secret_key=SecretStr(secret))
        accounts = []
        for number in range(1, count + 1):
            data = UserCreate(
                username=f"bench-staff-{number}",
                full_name=f"Bench Staff {number}",
                role=Role.staff,
                password=password,
                confidentiality_committed=True,
            )
            user = asyncio.run(create_account(settings, data, only_if_none=False))
            assert user is not None
            accounts.append((user.username, str(user.id)))
        return accounts

    def staff_accounts(self) -> list[tuple[str, str]]:
        """The (username, id) of the staff accounts an earlier run created."""

        async def fetch() -> list[tuple[str, str]]:
            connection = await asyncpg.connect(self.dsn)
            try:
                rows = await connection.fetch(
                    "SELECT username, id FROM users WHERE username LIKE 'bench-staff-%' "
                    "ORDER BY username"
                )
            finally:
                await connection.close()
            return [(row["username"], str(row["id"])) for row in rows]

        return asyncio.run(fetch())

    def audit_marker(self) -> int:
        """The newest audit event id: rows written after it belong to the next measurement."""
        return asyncio.run(self._fetch("SELECT coalesce(max(id), 0) FROM audit_events"))

    def audit_rows_since(self, marker: int) -> int:
        return asyncio.run(self._fetch("SELECT count(*) FROM audit_events WHERE id > $1", marker))

    async def _fetch(self, query: str, *arguments: object) -> int:
        connection = await asyncpg.connect(self.dsn)
        try:
            return int(await connection.fetchval(query, *arguments))
        finally:
            await connection.close()


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
            "CUSTOMER_REGISTRY_ERASURE_LOG_FILE": str(
                Path(tempfile.gettempdir()) / f"{database.name}.erasures.jsonl"
            ),
        }
    )
    return environment
