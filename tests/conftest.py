"""Fixtures: a freshly migrated database per test, the app over ASGI, and logged-in staff.

The database is SQLite unless CUSTOMER_REGISTRY_TEST_DATABASE_URL names a PostgreSQL server.
The schema is built by the Alembic migrations once per run into a template; every test
gets its own copy of it, so tests may commit, run concurrently and fail freely.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from customer_registry.accounts.bootstrap import create_account
from customer_registry.accounts.schemas import UserCreate
from customer_registry.app import create_app
from customer_registry.config import Settings
from customer_registry.migrations_runner import upgrade
from customer_registry.models import Role

POSTGRES_URL = os.environ.get("CUSTOMER_REGISTRY_TEST_DATABASE_URL")
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "a-long-test-password"


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


def is_postgres() -> bool:
    return POSTGRES_URL is not None


async def _postgres_admin(statement: str) -> None:
    assert POSTGRES_URL is not None
    engine = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def _postgres_url_for(database: str) -> str:
    assert POSTGRES_URL is not None
    return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


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
    anyio.run(_postgres_admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
async def database_url(template_database: str, tmp_path: Path) -> AsyncIterator[str]:
    """A private database at the newest migration, for one test."""
    if POSTGRES_URL is None:
        path = tmp_path / "registry.db"
        shutil.copyfile(template_database, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"cr_test_{uuid.uuid4().hex[:12]}"
    await _postgres_admin(f"CREATE DATABASE {name} TEMPLATE {template_database}")
    try:
        yield _postgres_url_for(name)
    finally:
        await _postgres_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SecretStr(TEST_SECRET),
        erasure_log_file=tmp_path / "erasures.jsonl",
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


@dataclass
class Staff:
    id: str
    username: str
    role: Role
    headers: dict[str, str]


CreateStaff = Callable[..., Awaitable[Staff]]


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


def customer_body(**overrides: object) -> dict[str, object]:
    """A valid customer as the web shop writes it, with a unique e-mail."""
    body: dict[str, object] = {
        "type": "private_person",
        "first_name": "Aino",
        "last_name": "Virtanen",
        "email": f"aino.{uuid.uuid4().hex[:8]}@example.fi",
        "phone": "+358401234567",
        "organisation": None,
        "address": {
            "street": "Esimerkkikatu 1 A 2",
            "postal_code": "00100",
            "city": "Helsinki",
            "country": "FI",
        },
        "language": "fi",
        "source": "web_shop",
    }
    body.update(overrides)
    return body
