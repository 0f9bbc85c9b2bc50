"""Fixtures: a freshly migrated database per test, the app over ASGI, and logged-in staff.

The database is SQLite unless CUSTOMER_REGISTRY_TEST_DATABASE_URL names a PostgreSQL server.
The schema is built by the Alembic migrations once per run into a template; every test
gets its own copy of it, so tests may commit, run concurrently and fail freely. On
PostgreSQL a copy that a test left with the template's schema is emptied for a later test
instead of dropped (`_Copies`): copying takes about half a second, emptying a few
milliseconds.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from customer_registry.accounts.bootstrap import create_account
from customer_registry.accounts.schemas import UserCreate
from customer_registry.app import create_app
from customer_registry.config import Settings
from customer_registry.migrations_runner import upgrade
from customer_registry.models import Role
from tests.factories import (
    PASSWORD,
    POSTGRES_URL,
    TEST_SECRET,
    CreateStaff,
    Staff,
    _postgres_admin,
    _postgres_url_for,
)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head, to copy for each test: a file or a database name."""
    if POSTGRES_URL is None:
        path = tmp_path_factory.mktemp("template") / "template.db"
        upgrade(f"sqlite+aiosqlite:///{path}")
        yield str(path)
        return
    name = f"cr_template_{os.getpid()}"
    anyio.run(_postgres_admin, f"DROP DATABASE IF EXISTS {name}")
    anyio.run(_postgres_admin, f"CREATE DATABASE {name}")
    upgrade(_postgres_url_for(name))
    yield name
    for copy in _COPIES.pop(name).free:
        anyio.run(_postgres_admin, f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)")
    anyio.run(_postgres_admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# What a database holds besides its tables' rows: its schema objects, as the catalogs
# describe them (every object's id included: a copy has its template's), and the settings
# made for it. A test that changed any of these leaves a copy that is not used again.
_SCHEMA_STATE = """
SELECT md5(string_agg(item, ',' ORDER BY item)) FROM (
    SELECT concat_ws(':', 'class', c.oid, c.relname, c.relkind, c.relnatts, c.relhastriggers,
                     c.relrowsecurity, c.relacl::text)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    UNION ALL
    SELECT concat_ws(':', 'column', a.attrelid, a.attname, a.atttypid, a.attnotnull,
                     a.atthasdef, a.attisdropped)
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
    UNION ALL
    SELECT concat_ws(':', 'default', adrelid, adnum, pg_get_expr(adbin, adrelid))
    FROM pg_attrdef
    UNION ALL
    SELECT concat_ws(':', 'trigger', oid, tgname, tgenabled, tgfoid) FROM pg_trigger
    UNION ALL
    SELECT concat_ws(':', 'function', p.oid, p.proname, md5(p.prosrc), p.proacl::text)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
    UNION ALL
    SELECT concat_ws(':', 'constraint', oid, conname, convalidated) FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace
    UNION ALL
    SELECT concat_ws(':', 'policy', oid, polname) FROM pg_policy
    UNION ALL
    SELECT concat_ws(':', 'namespace', oid, nspname, nspacl::text) FROM pg_namespace
    UNION ALL
    SELECT concat_ws(':', 'extension', extname, extversion) FROM pg_extension
    UNION ALL
    SELECT concat_ws(':', 'setting', setrole, setconfig::text) FROM pg_db_role_setting
    WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
) AS state(item)
"""
# Every sequence of the schema back at its start, as in a new copy.
_RESTART_SEQUENCES = """
SELECT setval(c.oid, s.seqstart, false) FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid
WHERE n.nspname = 'public'
"""
_TABLES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname
"""


@dataclass
class _Copies:
    """A template's copies that tests left as the template is, emptied for the next tests.

    `state` is the template's schema state (`_SCHEMA_STATE`) and the rows of the tables
    the migrations filled (`seeded`); every other table is emptied (`emptied`).
    """

    state: tuple[str, ...]
    seeded: tuple[str, ...]
    emptied: tuple[str, ...]
    free: list[str] = field(default_factory=list)


_COPIES: dict[str, _Copies] = {}


async def _state(connection: AsyncConnection, seeded: Sequence[str]) -> tuple[str, ...]:
    schema = (await connection.execute(text(_SCHEMA_STATE))).scalar_one()
    rows = [
        (
            await connection.execute(
                text(
                    f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                    f'FROM "{table}" AS t'
                )
            )
        ).scalar_one()
        for table in seeded
    ]
    return (schema, *rows)


async def _copies_of(template: str) -> _Copies:
    copies = _COPIES.get(template)
    if copies is None:
        engine = create_async_engine(_postgres_url_for(template), isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                tables = (await connection.execute(text(_TABLES))).scalars().all()
                seeded = []
                for table in tables:
                    if (
                        await connection.execute(text(f'SELECT EXISTS (SELECT FROM "{table}")'))
                    ).scalar_one():
                        seeded.append(table)
                state = await _state(connection, seeded)
        finally:
            await engine.dispose()
        emptied = tuple(table for table in tables if table not in seeded)
        copies = _COPIES[template] = _Copies(state, tuple(seeded), emptied)
    return copies


async def _emptied(name: str, copies: _Copies) -> bool:
    """Empty a copy a test used, if the test left it with the template's schema and seeded
    rows: every other table, its sequences restarted. False when the copy cannot be used
    again. Its connections that the test left open are ended first."""
    await _postgres_admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    )
    engine = create_async_engine(_postgres_url_for(name), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            if await _state(connection, copies.seeded) != copies.state:
                return False
            # The append-only tables' triggers refuse a DELETE, as they must in use; a
            # replication session fires no triggers (foreign keys' included). A DELETE of a
            # test's few rows writes less than a TRUNCATE's new files.
            await connection.execute(text("SET session_replication_role = replica"))
            for table in copies.emptied:
                await connection.execute(text(f'DELETE FROM "{table}"'))
            await connection.execute(text(_RESTART_SEQUENCES))
    except Exception:  # a copy that cannot be emptied is dropped instead
        return False
    finally:
        await engine.dispose()
    return True


@pytest.fixture
async def database_url(template_database: str, tmp_path: Path) -> AsyncIterator[str]:
    """A private database at the newest migration, for one test."""
    if POSTGRES_URL is None:
        path = tmp_path / "registry.db"
        shutil.copyfile(template_database, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    copies = await _copies_of(template_database)
    if copies.free:
        name = copies.free.pop()
    else:
        name = f"cr_test_{uuid.uuid4().hex[:12]}"
        await _postgres_admin(f"CREATE DATABASE {name} TEMPLATE {template_database}")
    try:
        yield _postgres_url_for(name)
    finally:
        if await _emptied(name, copies):
            copies.free.append(name)
        else:
            await _postgres_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SecretStr(TEST_SECRET),
        erasure_log_file=tmp_path / "erasures.jsonl",
        audit_checkpoint_file=tmp_path / "audit-checkpoints.jsonl",
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[object]:
    application = create_app(settings)
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
        yield http


@pytest.fixture
def create_staff(settings: Settings, client: httpx.AsyncClient) -> CreateStaff:
    """Make an account and, when it can log in, a bearer header for it."""

    async def create(
        role: Role = Role.staff,
        *,
        username: str | None = None,
        committed: bool = True,
        login: bool = True,
    ) -> Staff:
        username = username or f"{role.value.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
        user = await create_account(
            settings,
            UserCreate(
                username=username,
                full_name=f"Test {role.value}",
                role=role,
                password=PASSWORD,
                confidentiality_committed=committed,
            ),
            only_if_none=False,
        )
        assert user is not None
        headers: dict[str, str] = {}
        if login:
            response = await client.post(
                "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        return Staff(id=str(user.id), username=username, role=role, headers=headers)

    return create


@pytest.fixture
async def admin(create_staff: CreateStaff) -> Staff:
    return await create_staff(Role.admin)


@pytest.fixture
async def staff(create_staff: CreateStaff) -> Staff:
    return await create_staff(Role.staff)


@pytest.fixture
async def privacy_officer(create_staff: CreateStaff) -> Staff:
    return await create_staff(Role.privacy_officer)
