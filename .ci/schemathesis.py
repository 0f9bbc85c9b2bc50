"""Schemathesis against a real `customer-registry serve` on a scratch PostgreSQL database.

Usage: python .ci/schemathesis.py POSTGRES_URL (the database in the URL is only used to
create and drop a scratch one). Runs every check and every phase, stateful included,
authenticated as an administrator, with a fixed seed and a bounded number of examples;
exits with schemathesis' status. Extra arguments after the URL go to `schemathesis run`.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

REGISTRY = [sys.executable, "-m", "customer_registry"]
SEED = "20261127"
MAX_EXAMPLES = "20"
ADMIN = "schemathesis-admin"
PASSWORD = "a-long-schemathesis-password"  # noqa: S105 - a throwaway account
# Logging out would revoke the one token the whole run uses, and disabling an account would
# sooner or later disable the administrator the run logs in as (schemathesis reuses ids it
# has seen in responses).
EXCLUDED_PATHS = ["/api/v1/auth/logout", "/api/v1/users/{user_id}/disable"]


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main(postgres_url: str, extra: list[str]) -> int:
    name = f"cr_schemathesis_{uuid.uuid4().hex[:8]}"
    database_url = make_url(postgres_url).set(database=name).render_as_string(False)
    asyncio.run(_admin(postgres_url, f"CREATE DATABASE {name}"))
    environment = {
        **os.environ,
        "CUSTOMER_REGISTRY_DATABASE_URL": database_url,
        "CUSTOMER_REGISTRY_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "CUSTOMER_REGISTRY_BOOTSTRAP_ADMIN_USERNAME": ADMIN,
        "CUSTOMER_REGISTRY_BOOTSTRAP_ADMIN_PASSWORD": PASSWORD,
        # The run exercises every operation far more often than a person would.
        "CUSTOMER_REGISTRY_RATE_LIMIT_AUDIT_EVENTS_PER_MINUTE": "100000",
        "CUSTOMER_REGISTRY_RATE_LIMIT_LOGIN_PER_MINUTE": "100000",
        "CUSTOMER_REGISTRY_RATE_LIMIT_EXPORTS_PER_MINUTE": "100000",
    }
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkdtemp()) / "serve.log"
    server = None
    try:
        subprocess.run(  # noqa: S603 - our own command
            [*REGISTRY, "migrate"], env=environment, check=True, capture_output=True
        )
        with log.open("w") as output:
            server = subprocess.Popen(  # noqa: S603 - our own command
                [*REGISTRY, "serve", "--port", str(port)],
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                print(log.read_text(), file=sys.stderr)  # noqa: T201
                return 1
            try:
                if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                print("the server did not become ready", file=sys.stderr)  # noqa: T201
                return 1
            time.sleep(0.2)
        token = httpx.post(
            f"{base_url}/api/v1/auth/token", data={"username": ADMIN, "password": PASSWORD}
        ).json()["access_token"]
        command = [
            str(Path(sys.executable).with_name("schemathesis")),
            "--config-file",
            str(Path(__file__).with_name("schemathesis.toml")),
            "run",
            f"{base_url}/openapi.json",
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--seed",
            SEED,
            "--max-examples",
            MAX_EXAMPLES,
            "--generation-database",
            "none",
            # The token below authenticates every request; generated credentials would not.
            "--generation-with-security-parameters",
            "false",
            "--header",
            f"Authorization: Bearer {token}",
            "--no-color",
            *[argument for path in EXCLUDED_PATHS for argument in ("--exclude-path", path)],
            *extra,
        ]
        # In a scratch directory: schemathesis keeps a cache in its working directory.
        return subprocess.run(command, check=False, cwd=log.parent).returncode  # noqa: S603
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
        if server is not None and "Traceback" in log.read_text():
            print(log.read_text(), file=sys.stderr)  # noqa: T201
        asyncio.run(_admin(postgres_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
