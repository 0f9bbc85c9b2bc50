"""The command line, against a real uvicorn: serve, migrate, users create, openapi."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import anyio
import anyio.to_thread
import httpx
import pytest

from tests.factories import (
    PASSWORD,
    TEST_SECRET,
    _postgres_admin,
    _postgres_url_for,
    customer_body,
    is_postgres,
)
from tests.processes import BOOTSTRAP, run, serving


def _walk_through(base_url: str) -> None:
    """Log in as the bootstrap admin, create and read a customer, see both in the audit."""
    with httpx.Client(base_url=base_url, timeout=10) as http:
        token = http.post(
            "/api/v1/auth/token", data={"username": "root-admin", "password": PASSWORD}
        )
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        created = http.post("/api/v1/customers", json=customer_body(), headers=headers)
        assert created.status_code == 201, created.text
        customer_id = created.json()["id"]
        assert http.get(f"/api/v1/customers/{customer_id}", headers=headers).status_code == 200
        events = http.get(
            "/api/v1/audit-events", params={"customer_id": customer_id}, headers=headers
        ).json()["items"]
        assert [event["action"] for event in events] == ["create", "read"]
        assert "email" in events[0]["fields"]
        assert created.json()["email"] not in str(events)


@pytest.mark.skipif(is_postgres(), reason="the embedded default is SQLite")
def test_serve_on_the_embedded_default_migrates_and_bootstraps(tmp_path: Path) -> None:
    with serving(tmp_path, **BOOTSTRAP) as base_url:
        _walk_through(base_url)
        assert (tmp_path / "customer_registry.db").exists()
        secret = (tmp_path / "customer_registry.db.secret").read_text()

    # A restart keeps the generated secret, so tokens survive it.
    with serving(tmp_path, **BOOTSTRAP):
        assert (tmp_path / "customer_registry.db.secret").read_text() == secret
    assert (tmp_path / "customer_registry.db.secret").stat().st_mode & 0o077 == 0


@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL")
def test_serve_refuses_an_unmigrated_postgres_until_migrate(tmp_path: Path) -> None:
    name = f"cr_cli_{uuid.uuid4().hex[:12]}"
    anyio.run(_postgres_admin, f"CREATE DATABASE {name}")
    try:
        settings = {"database_url": _postgres_url_for(name), "secret_key": TEST_SECRET}
        refused = run(["serve"], tmp_path, **settings)
        assert refused.returncode == 1
        assert "customer-registry migrate" in refused.stderr
        assert "Traceback" not in refused.stderr

        migrated = run(["migrate"], tmp_path, **settings)
        assert migrated.returncode == 0, migrated.stderr

        with serving(tmp_path, **settings, **BOOTSTRAP) as base_url:
            _walk_through(base_url)
    finally:
        anyio.run(_postgres_admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.anyio
async def test_users_create_and_clear_errors(tmp_path: Path, database_url: str) -> None:
    settings = {"database_url": database_url, "secret_key": TEST_SECRET}
    arguments = ["users", "create", "--username", "Ville", "--full-name", "Ville V"]

    def run_all() -> list[subprocess.CompletedProcess[str]]:
        return [
            run(
                [*arguments, "--role", "privacy_officer", "--password", PASSWORD],
                tmp_path,
                **settings,
            ),
            run([*arguments, "--password", PASSWORD], tmp_path, **settings),
            run(
                ["users", "create", "--username", "weak", "--full-name", "W", "--password", "x"],
                tmp_path,
                **settings,
            ),
            run(["migrate"], tmp_path, database_url=database_url, secret_key="short"),
        ]

    created, duplicate, weak, bad_setting = await anyio.to_thread.run_sync(run_all)

    assert created.returncode == 0, created.stderr
    assert "created account ville (privacy_officer)" in created.stdout
    assert duplicate.returncode == 1
    assert (
        duplicate.stderr.strip()
        == "customer-registry: error: An account with this username exists."
    )
    assert weak.returncode == 1
    assert "password" in weak.stderr
    assert bad_setting.returncode == 1
    assert "at least 32 bytes" in bad_setting.stderr
    for result in (duplicate, weak, bad_setting):
        assert "Traceback" not in result.stderr


def test_production_refuses_sqlite_and_a_missing_secret(tmp_path: Path) -> None:
    result = run(["migrate"], tmp_path, env="production")

    assert result.returncode == 1
    assert "SECRET_KEY is required in production" in result.stderr
