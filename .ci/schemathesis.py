"""Schemathesis against a real `customer-registry serve` on a scratch PostgreSQL database.

Usage: python .ci/schemathesis.py POSTGRES_URL [SCHEMATHESIS_ARGS...]

The database in the URL is only used to create and drop a scratch one. Extra arguments after
the URL go to every `schemathesis run`. Against one server, one run after the other, each
with every check (`--checks all`), every phase (stateful included), a fixed seed and a
bounded number of examples:

- `admin`: the bootstrap administrator's bearer token, every operation but EXCLUDED_PATHS.
- `web shop`: the `X-API-Key` of a `web_shop_operator` recipient holding every scope that
  role can hold.
- `finance/<purpose>`: the `X-API-Key` of a `finance_partner` recipient holding every scope
  that role can hold and every disclosure purpose, one run per purpose, named in
  `X-Purpose`.

A key run covers the operations whose OpenAPI security admits an API key (the key's own and
the other kind's) plus STAFF_ONLY_SAMPLE, a fixed sample of the operations that take a bearer
token only, with KEY_MAX_EXAMPLES examples: this keeps the five key runs together at about
twice the admin run. An operation that the key may not call answers 401 (staff only) or 403
(a scope the key lacks); both are correct, documented answers, which the checks that judge a
status (positive_data_acceptance, negative_data_rejection) accept by default and in
schemathesis.toml, so no check is switched off or loosened for a key run.

Because a key that stopped working would turn every answer into an accepted 401, the
recipients and keys are made over HTTP by the administrator only after the admin run (which
therefore cannot revoke, rotate or change them, and still covers those operations), and each
key must authenticate (`GET /api/v1/recipient-notices`, 200) before and after its run. The
administrator also records one customer with an invoiced order; the finance runs read it in
the billing feed, and half of the ids they put in billing and order paths are its ids (a
dictionary added to schemathesis.toml for those runs), so that the billing views of one
customer or order answer 200 and are checked against their schemas, not only 404.

At the end a table gives, per run, the operations tested, the test cases run, and the
failures and errors; the exit status is non-zero if any run failed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from customer_registry.models import DisclosurePurpose, RecipientRole
from customer_registry.partners.rules import PURPOSE_HEADER, ROLE_SCOPES

REGISTRY = [sys.executable, "-m", "customer_registry"]
SEED = "20261127"
MAX_EXAMPLES = 20
KEY_MAX_EXAMPLES = 10
ADMIN = "schemathesis-admin"
PASSWORD = "a-long-schemathesis-password"  # noqa: S105 - a throwaway account
API_KEY_HEADER = "X-API-Key"
API_KEY_SCHEME = "APIKeyHeader"
# Logging out would revoke the one token the whole run uses, and disabling an account would
# sooner or later disable the administrator the run logs in as (schemathesis reuses ids it
# has seen in responses).
EXCLUDED_PATHS = ["/api/v1/auth/logout", "/api/v1/users/{user_id}/disable"]
# Operations that take a bearer token only, run with each key too: what a leaked key would
# be tried on first (accounts, reading customers and orders in full, the audit and disclosure
# logs, making keys, bulk export). Each must refuse the key.
STAFF_ONLY_SAMPLE = [
    "GET /api/v1/users/me",
    "POST /api/v1/users",
    "GET /api/v1/customers",
    "GET /api/v1/customers/{customer_id}",
    "GET /api/v1/orders/{order_id}",
    "GET /api/v1/audit-events",
    "GET /api/v1/disclosures",
    "POST /api/v1/recipients/{recipient_id}/api-keys",
    "GET /api/v1/exports/mailing-labels",
]
# Any recipient's key may read its own notices: a 200 here shows that the key authenticates.
KEY_PROBE = "/api/v1/recipient-notices"
CONFIG = Path(__file__).with_name("schemathesis.toml")
# How often a finance run puts the recorded customer or order into a path (else: generated).
RECORDED_ID_PROBABILITY = 0.5


@dataclass(frozen=True, slots=True)
class Run:
    """One `schemathesis run`: who it authenticates as and what it covers."""

    name: str
    headers: dict[str, str]
    max_examples: int
    scope: str
    # Operation names ("GET /api/v1/customers") to include; None: every operation.
    operations: list[str] | None = None
    config: Path = CONFIG


@dataclass(slots=True)
class Outcome:
    """What a run found, from its JSON report."""

    run: Run
    exit_code: int | None = None
    selected: int = 0
    tested: int = 0
    cases: int = 0
    failures: int = 0
    errors: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and not (self.failures or self.errors or self.problems)


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


def _print(*lines: str) -> None:
    print(*lines, sep="\n", flush=True)  # noqa: T201


def _created(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 201:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text}"
        )
    body: dict[str, Any] = response.json()
    return body


def _login(client: httpx.Client) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": ADMIN, "password": PASSWORD})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _make_key(
    client: httpx.Client, admin: dict[str, str], role: RecipientRole, purposes: list[str]
) -> str:
    """A new recipient of this role and a key with every scope the role can hold."""
    recipient = _created(
        client.post(
            "/api/v1/recipients",
            headers=admin,
            json={"name": f"Schemathesis {role.value}", "country": "FI", "role": role.value},
        )
    )
    key = _created(
        client.post(
            f"/api/v1/recipients/{recipient['id']}/api-keys",
            headers=admin,
            json={
                "name": "schemathesis",
                "scopes": sorted(scope.value for scope in ROLE_SCOPES[role]),
                "purposes": purposes,
            },
        )
    )
    secret: str = key["key"]
    return secret


def _record_invoiced_customer(client: httpx.Client, admin: dict[str, str]) -> tuple[str, str]:
    """A customer with an open invoice; its id and the order's."""
    customer = _created(
        client.post(
            "/api/v1/customers",
            headers=admin,
            json={
                "type": "private_person",
                "first_name": "Aino",
                "last_name": "Virtanen",
                "email": "aino.virtanen@example.fi",
                "address": {
                    "street": "Esimerkkikatu 1 A 2",
                    "postal_code": "00100",
                    "city": "Helsinki",
                    "country": "FI",
                },
                "source": "shop",
            },
        )
    )
    today = dt.date.today()
    order = _created(
        client.post(
            "/api/v1/orders",
            headers=admin,
            json={
                "customer_id": customer["id"],
                "number": "SCHEMATHESIS-1",
                "ordered_on": today.isoformat(),
                "channel": "shop",
                "lines": [
                    {
                        "product_code": "KAHVI-500",
                        "product_name": "Kahvi 500 g",
                        "quantity": 3,
                        "unit_price": "0.99",
                        "vat_rate": "14",
                    }
                ],
                "invoice": {
                    "number": "SCHEMATHESIS-INV-1",
                    "issued_on": today.isoformat(),
                    "due_on": (today + dt.timedelta(days=14)).isoformat(),
                },
            },
        )
    )
    return customer["id"], order["id"]


def _finance_config(workdir: Path, customer_id: str, order_id: str) -> Path:
    """schemathesis.toml, and the recorded customer and order as values of the finance paths.

    Without them every id a finance run sends is made up, and the billing views of a
    customer or an order would only ever answer 404.
    """
    config = workdir / "finance.toml"
    probability = RECORDED_ID_PROBABILITY
    config.write_text(
        CONFIG.read_text()
        + f"""
# Added for the finance runs by {Path(__file__).name}.
[dictionaries.recorded-customer]
values = [{json.dumps(customer_id)}]

[dictionaries.recorded-order]
values = [{json.dumps(order_id)}]

[[operations]]
include-path-regex = "^/api/v1/(billing/customers|billing/orders|orders)/[{{]"
parameters."path.customer_id" = {{ dictionary = "recorded-customer", probability = {probability} }}
parameters."path.order_id" = {{ dictionary = "recorded-order", probability = {probability} }}
"""
    )
    return config


def _operation_names(document: dict[str, Any]) -> Iterator[tuple[str, list[list[str]]]]:
    """Every operation of the OpenAPI document as ("METHOD /path", its security schemes)."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "patch", "delete"}:
                schemes = [list(requirement) for requirement in operation.get("security", [])]
                yield f"{method.upper()} {path}", schemes


def _key_operations(document: dict[str, Any]) -> list[str]:
    """The operations an API key may reach, and STAFF_ONLY_SAMPLE."""
    operations = dict(_operation_names(document))
    missing = [name for name in STAFF_ONLY_SAMPLE if name not in operations]
    if missing:
        raise RuntimeError(f"STAFF_ONLY_SAMPLE names unknown operations: {missing}")
    admit_keys = [
        name
        for name, schemes in operations.items()
        if any(API_KEY_SCHEME in requirement for requirement in schemes)
    ]
    return admit_keys + STAFF_ONLY_SAMPLE


def _key_works(client: httpx.Client, run: Run) -> bool:
    return client.get(KEY_PROBE, headers=run.headers).status_code == 200


def _schemathesis(run: Run, base_url: str, workdir: Path, extra: list[str]) -> Outcome:
    """Run schemathesis once and read its JSON report."""
    report = workdir / f"{run.name.replace('/', '-').replace(' ', '-')}.json"
    filters = [
        *[argument for path in EXCLUDED_PATHS for argument in ("--exclude-path", path)],
        *[argument for name in run.operations or [] for argument in ("--include-name", name)],
    ]
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(run.config),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--seed",
        SEED,
        "--max-examples",
        str(run.max_examples),
        "--generation-database",
        "none",
        # The headers below authenticate every request; generated credentials would not.
        "--generation-with-security-parameters",
        "false",
        *[
            argument
            for name, value in run.headers.items()
            for argument in ("--header", f"{name}: {value}")
        ],
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        *filters,
        *extra,
    ]
    # In a scratch directory: schemathesis keeps a cache in its working directory.
    exit_code = subprocess.run(command, check=False, cwd=workdir).returncode  # noqa: S603
    outcome = Outcome(run=run, exit_code=exit_code)
    if not report.exists():
        outcome.problems.append("no JSON report")
        return outcome
    document = json.loads(report.read_text())
    operations = document.get("operations") or {}
    outcome.selected = operations.get("selected", 0)
    outcome.tested = operations.get("tested", 0)
    outcome.cases = document["test_cases"]["generated"]
    outcome.failures = document["test_cases"]["unique_failures"]
    outcome.errors = sum(error["count"] for error in document["errors"])
    return outcome


def _summary(outcomes: list[Outcome], total_operations: int) -> str:
    """The table of the runs: name, operations tested/selected, cases, failures, errors, scope."""
    rows = [("run", "operations tested/selected", "test cases", "failures", "errors", "covers")]
    for outcome in outcomes:
        notes = [outcome.run.scope, *outcome.problems]
        if outcome.exit_code not in {0, None}:
            notes.append(f"exit status {outcome.exit_code}")
        rows.append(
            (
                outcome.run.name,
                f"{outcome.tested}/{outcome.selected}",
                str(outcome.cases),
                str(outcome.failures),
                str(outcome.errors),
                "; ".join(notes),
            )
        )
    rows.append(
        (
            "total",
            "",
            str(sum(outcome.cases for outcome in outcomes)),
            str(sum(outcome.failures for outcome in outcomes)),
            str(sum(outcome.errors for outcome in outcomes)),
            f"{total_operations} operations in the API",
        )
    )
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    return "\n".join(
        "  ".join(
            [
                row[0].ljust(widths[0]),
                *(cell.rjust(width) for cell, width in zip(row[1:5], widths[1:], strict=True)),
                row[5],
            ]
        )
        for row in rows
    )


def _serve(environment: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """Migrate the scratch database and start the server on it."""
    subprocess.run(  # noqa: S603 - our own command
        [*REGISTRY, "migrate"], env=environment, check=True, capture_output=True
    )
    with log.open("w") as output:
        return subprocess.Popen(  # noqa: S603 - our own command
            [*REGISTRY, "serve", "--port", str(port)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _ready(server: subprocess.Popen[bytes], base_url: str) -> bool:
    deadline = time.monotonic() + 60
    while server.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    return False


def _runs(
    client: httpx.Client,
    document: dict[str, Any],
    outcomes: list[Outcome],
    workdir: Path,
    extra: list[str],
) -> None:
    """The admin run, then the key runs; each outcome is appended as soon as it is known."""
    base_url = str(client.base_url).rstrip("/")
    admin_run = Run(
        name="admin",
        headers=_login(client),
        max_examples=MAX_EXAMPLES,
        scope=f"all operations but {len(EXCLUDED_PATHS)} excluded paths",
    )
    _print("", f"== schemathesis as {admin_run.name}: {admin_run.scope}")
    outcomes.append(_schemathesis(admin_run, base_url, workdir, extra))
    # After the admin run, so that it cannot revoke, rotate or change what the key runs use.
    admin = _login(client)
    web_shop = _make_key(client, admin, RecipientRole.web_shop_operator, [])
    purposes = [purpose.value for purpose in DisclosurePurpose]
    finance = _make_key(client, admin, RecipientRole.finance_partner, purposes)
    finance_config = _finance_config(workdir, *_record_invoiced_customer(client, admin))
    operations = _key_operations(document)
    scope = (
        f"only the {len(operations) - len(STAFF_ONLY_SAMPLE)} operations that admit a key"
        f" + a sample of {len(STAFF_ONLY_SAMPLE)} staff-only ones"
    )
    key_runs = [
        Run(
            name="web shop",
            headers={API_KEY_HEADER: web_shop},
            max_examples=KEY_MAX_EXAMPLES,
            scope=scope,
            operations=operations,
        )
    ] + [
        Run(
            name=f"finance/{purpose}",
            headers={API_KEY_HEADER: finance, PURPOSE_HEADER: purpose},
            max_examples=KEY_MAX_EXAMPLES,
            scope=scope,
            operations=operations,
            config=finance_config,
        )
        for purpose in purposes
    ]
    for run in key_runs:
        _print("", f"== schemathesis as {run.name}: {run.scope}")
        if not _key_works(client, run):
            outcomes.append(Outcome(run=run, problems=["the key did not authenticate"]))
            continue
        outcome = _schemathesis(run, base_url, workdir, extra)
        if not _key_works(client, run):
            outcome.problems.append("the key stopped authenticating during the run")
        outcomes.append(outcome)


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
        # The runs exercise every operation far more often than a person would.
        "CUSTOMER_REGISTRY_RATE_LIMIT_AUDIT_EVENTS_PER_MINUTE": "100000",
        "CUSTOMER_REGISTRY_RATE_LIMIT_LOGIN_PER_MINUTE": "100000",
        "CUSTOMER_REGISTRY_RATE_LIMIT_EXPORTS_PER_MINUTE": "100000",
    }
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp())
    log = workdir / "serve.log"
    started = time.monotonic()
    outcomes: list[Outcome] = []
    server = None
    try:
        server = _serve(environment, port, log)
        if not _ready(server, base_url):
            _print("the server did not become ready")
            return 1
        with httpx.Client(base_url=base_url, timeout=30) as client:
            document: dict[str, Any] = client.get("/openapi.json").json()
            _runs(client, document, outcomes, workdir, extra)
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
        if server is not None and (not outcomes or "Traceback" in log.read_text()):
            _print(log.read_text())
        asyncio.run(_admin(postgres_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    _print(
        "",
        f"== schemathesis summary (seed {SEED}, {time.monotonic() - started:.0f} s in all)",
        _summary(outcomes, sum(1 for _ in _operation_names(document))),
    )
    return 0 if outcomes and all(outcome.passed for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
