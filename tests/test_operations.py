"""Operations: JSON logs free of personal data, metrics, production settings, proxies, CLI."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from opentelemetry import trace
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr, ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.app import create_app
from customer_registry.cli import build_parser, main
from customer_registry.config import Settings
from customer_registry.core.logs import logging_config
from customer_registry.core.metrics import GaugeReading, database_gauges
from customer_registry.core.progress import Progress, track
from customer_registry.models import Customer
from customer_registry.server import server_options
from tests.factories import (
    PASSWORD,
    TEST_SECRET,
    Staff,
    audit_events,
    create_customer,
    customer_body,
)
from tests.processes import COMMAND, _environment, _free_port, run

pytestmark = pytest.mark.anyio

METRICS_TOKEN = "metrics-token-for-the-tests-0123"

# Values nobody would log by accident: if any of them appears in a log line, it leaked.
FIRST_NAME = "Zyxwinka"
LAST_NAME = "Quorvalainen"
STREET = "Salaisuudenkatu 77 B 9"
CITY = "Tuntemattomala"
ORGANISATION = "Kryptinen Osakeyhtiö"
PHONE_LOCAL = "040 765 4329"
PERSONAL_VALUES = [
    FIRST_NAME,
    LAST_NAME,
    "Salaisuudenkatu",
    CITY,
    "Kryptinen",
    "7654329",
    "765 4329",
    "zyxwinka.quorvalainen",
    "quorvalainen.example",
]


def personal_customer(**overrides: Any) -> dict[str, Any]:
    body = customer_body(
        type="company",
        first_name=FIRST_NAME,
        last_name=LAST_NAME,
        email=f"zyxwinka.quorvalainen.{uuid.uuid4().hex[:6]}@quorvalainen.example",
        phone=PHONE_LOCAL,
        organisation={"name": ORGANISATION, "business_id": "0112038-9"},
        address={"street": STREET, "postal_code": "00100", "city": CITY, "country": "FI"},
    )
    body.update(overrides)
    return body


async def send_personal_data_everywhere(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> list[int]:
    """Every customer route, succeeding and failing, with recognisable personal values."""
    statuses = []

    async def call(method: str, url: str, **options: Any) -> httpx.Response:
        response = await http.request(method, url, **options)
        statuses.append(response.status_code)
        return response

    first = personal_customer()
    created = await call("POST", "/api/v1/customers", json=first, headers=headers)
    assert created.status_code == 201, created.text
    customer_id = created.json()["id"]
    second = personal_customer()
    assert (await call("POST", "/api/v1/customers", json=second, headers=headers)).is_success
    # 409: the e-mail is taken; 422: unknown field and invalid e-mail, both with the values.
    await call("POST", "/api/v1/customers", json=first, headers=headers)
    await call(
        "POST",
        "/api/v1/customers",
        json={**first, "email": f"{FIRST_NAME}@@{CITY}", "nickname": LAST_NAME},
        headers=headers,
    )
    await call("GET", "/api/v1/customers", params={"q": LAST_NAME}, headers=headers)
    await call("GET", "/api/v1/customers", params={"email": first["email"]}, headers=headers)
    await call("GET", "/api/v1/customers", params={"q": f"{FIRST_NAME}\x01"}, headers=headers)
    await call("GET", f"/api/v1/customers/{customer_id}", headers=headers)
    await call("GET", f"/api/v1/customers/{uuid.uuid4()}", headers=headers)
    await call("GET", f"/api/v1/customers/{LAST_NAME}", headers=headers)
    change = {"address": {"street": STREET + " C", "postal_code": "00100", "city": CITY}}
    await call("PATCH", f"/api/v1/customers/{customer_id}", json=change, headers=headers)
    stale = {**headers, "If-Match": '"99"'}
    await call("PATCH", f"/api/v1/customers/{customer_id}", json=change, headers=stale)
    current = {**headers, "If-Match": '"1"'}
    await call(
        "PATCH",
        f"/api/v1/customers/{customer_id}",
        json={"email": second["email"]},
        headers=current,
    )
    await call("PATCH", f"/api/v1/customers/{customer_id}", json=change, headers=current)
    await call("PATCH", f"/api/v1/customers/{uuid.uuid4()}", json=change, headers=current)
    await call("GET", "/api/v1/customers", params={"q": LAST_NAME})  # 401
    await call(
        "POST", "/api/v1/auth/token", data={"username": first["email"], "password": LAST_NAME}
    )
    return statuses


def leaked(text: str) -> list[str]:
    return [value for value in PERSONAL_VALUES if value.lower() in text.lower()]


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """What the production logging configuration writes at DEBUG (to stderr in production)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    touched = ["customer_registry", "uvicorn", "uvicorn.error", "uvicorn.access"]
    touched.append("alembic.runtime.migration")
    levels = {name: logging.getLogger(name).level for name in touched}
    output = io.StringIO()
    config = logging_config("DEBUG")
    config["handlers"]["stderr"]["stream"] = output
    logging.config.dictConfig(config)
    yield output
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, previous in levels.items():
        logging.getLogger(name).setLevel(previous)


def log_lines(output: io.StringIO) -> list[dict[str, Any]]:
    """The JSON lines written since the last call."""
    text = output.getvalue()
    output.seek(0)
    output.truncate()
    return [json.loads(line) for line in text.splitlines()]


class TestRequestLog:
    async def test_one_json_line_per_request_with_its_fields(
        self, client: httpx.AsyncClient, staff: Staff, json_logs: io.StringIO
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        log_lines(json_logs)

        response = await client.get(f"/api/v1/customers/{customer['id']}", headers=staff.headers)

        (line,) = [entry for entry in log_lines(json_logs) if entry["message"] == "request"]
        assert line["logger"] == "customer_registry.access"
        assert line["level"] == "INFO"
        assert line["method"] == "GET"
        assert line["route"] == "/api/v1/customers/{customer_id}"
        assert line["status"] == 200
        assert isinstance(line["duration_ms"], float)
        assert line["request_id"] == response.headers["x-request-id"]
        assert line["principal_kind"] == "user"
        assert line["principal_id"] == staff.id
        assert customer["id"] not in json.dumps(line)

    async def test_anonymous_and_unmatched_requests(
        self, client: httpx.AsyncClient, json_logs: io.StringIO
    ) -> None:
        await client.get("/api/v1/customers")
        await client.get("/api/v1/no-such-thing/aino.virtanen@example.fi")

        first, second = [entry for entry in log_lines(json_logs) if entry["message"] == "request"]
        assert (first["status"], first["principal_kind"], first["principal_id"]) == (
            401,
            None,
            None,
        )
        assert (second["status"], second["route"]) == (404, "<unmatched>")
        assert "aino" not in json.dumps(second)

    async def test_probes_are_logged_at_debug_only(
        self, client: httpx.AsyncClient, json_logs: io.StringIO
    ) -> None:
        await client.get("/healthz")

        (line,) = log_lines(json_logs)
        assert (line["route"], line["level"]) == ("/healthz", "DEBUG")

    async def test_failed_login_is_an_event_without_the_username(
        self, client: httpx.AsyncClient, staff: Staff, json_logs: io.StringIO
    ) -> None:
        await client.post(
            "/api/v1/auth/token", data={"username": staff.username, "password": "wrong-one"}
        )

        events = [entry for entry in log_lines(json_logs) if entry.get("event")]
        assert [(entry["event"], entry["user_id"]) for entry in events] == [
            ("login_failed", staff.id)
        ]
        assert staff.username not in json.dumps(events)


class TestNoPersonalDataInLogs:
    async def test_every_customer_route_in_process(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        json_logs: io.StringIO,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        statuses = await send_personal_data_everywhere(client, staff.headers)

        assert {200, 201, 401, 404, 409, 412, 422} <= set(statuses)
        lines = log_lines(json_logs)
        assert len([line for line in lines if line["message"] == "request"]) == len(statuses)
        assert leaked(json.dumps(lines, ensure_ascii=False)) == []
        assert caplog.records
        assert leaked(caplog.text) == []

    def test_every_customer_route_through_uvicorn(self, tmp_path: Path) -> None:
        port = _free_port()
        environment = _environment(
            log_level="debug",
            metrics_token=METRICS_TOKEN,
            bootstrap_admin_username="root-admin",
            bootstrap_admin_password=PASSWORD,
        )
        stderr_path = tmp_path / "stderr.log"
        with stderr_path.open("w") as stderr:
            process = subprocess.Popen(  # noqa: S603 - our own command
                [*COMMAND, "serve", "--port", str(port), "--workers", "2"],
                cwd=tmp_path,
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_ready(process, base_url)
            statuses, metrics = _through_http(base_url)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)

        assert {200, 201, 401, 404, 409, 412, 422} <= set(statuses)
        stderr_text = stderr_path.read_text()
        lines = [json.loads(line) for line in stderr_text.splitlines()]
        assert leaked(stderr_text) == []
        requests = [line for line in lines if line["message"] == "request"]
        assert len([line for line in requests if line["route"] != "/readyz"]) >= len(statuses)
        assert {line["event"] for line in lines if "event" in line} >= {
            "startup",
            "shutdown",
            "migration_applied",
            "login_failed",
        }
        # Both workers' requests are counted in one scrape.
        total = sum(
            sample.value
            for family in text_string_to_metric_families(metrics)
            if family.name == "customer_registry_http_requests"
            for sample in family.samples
            if sample.name.endswith("_total") and sample.labels["route"].startswith("/api/v1/")
        )
        assert total >= len(statuses)
        assert leaked(metrics) == []


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, "serve exited early"
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "serve did not become ready"
        time.sleep(0.2)


def _through_http(base_url: str) -> tuple[list[int], str]:
    import anyio

    async def scenario() -> tuple[list[int], str]:
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
            token = await http.post(
                "/api/v1/auth/token", data={"username": "root-admin", "password": PASSWORD}
            )
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            statuses = await send_personal_data_everywhere(http, headers)
            metrics = await http.get(
                "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
            )
            assert metrics.status_code == 200
            return statuses, metrics.text

    return anyio.run(scenario)


@pytest.fixture
async def metrics_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A second app on the test database with metrics enabled."""
    application = create_app(
        settings.model_copy(update={"metrics_token": SecretStr(METRICS_TOKEN)})
    )
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
        yield http
    await application.state.engine.dispose()


async def scrape(http: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


class RecordingTracerProvider(trace.TracerProvider):
    """A tracing backend an operator might configure: it keeps every span's attributes."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, dict[str, Any]]] = []

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return RecordingTracer(self.spans)


class RecordingTracer(trace.NoOpTracer):
    def __init__(self, spans: list[tuple[str, dict[str, Any]]]) -> None:
        self.spans = spans

    def start_span(self, name: str, *args: Any, **kwargs: Any) -> trace.Span:
        self.spans.append((name, dict(kwargs.get("attributes") or {})))
        return trace.INVALID_SPAN


class TestNoPersonalDataInTraces:
    async def test_a_configured_tracer_gets_no_request_spans(
        self, client: httpx.AsyncClient, staff: Staff, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """FastAPI would trace every request, with its query string (a search's name or
        e-mail address), to any OpenTelemetry provider configured in the process."""
        provider = RecordingTracerProvider()
        monkeypatch.setattr(trace, "_TRACER_PROVIDER", provider)
        assert trace.get_tracer_provider() is provider

        statuses = await send_personal_data_everywhere(client, staff.headers)
        searched = await client.get(
            "/api/v1/customers", params={"q": "Virtanen"}, headers=staff.headers
        )

        assert {200, 201, 404, 422} <= set(statuses)
        assert searched.status_code == 200
        assert provider.spans == []


class TestMetrics:
    async def test_disabled_without_a_token(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/metrics")

        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    async def test_refused_without_the_right_token(self, metrics_client: httpx.AsyncClient) -> None:
        assert (await metrics_client.get("/metrics")).status_code == 401
        wrong = {"Authorization": "Bearer not-the-metrics-token-at-all"}
        assert (await metrics_client.get("/metrics", headers=wrong)).status_code == 401

    async def test_requests_audit_rows_and_pool(
        self, client: httpx.AsyncClient, metrics_client: httpx.AsyncClient, staff: Staff
    ) -> None:
        route = "/api/v1/customers/{customer_id}"
        read_ok = (
            "customer_registry_http_requests_total",
            (("method", "GET"), ("route", route), ("status", "200")),
        )
        audit = ("customer_registry_audit_events_written_total", ())
        before = await scrape(metrics_client)

        customer = await create_customer(client, staff.headers, customer_body())
        await client.get(f"/api/v1/customers/{customer['id']}", headers=staff.headers)
        await client.get(f"/api/v1/customers/{customer['id']}", headers=staff.headers)
        after = await scrape(metrics_client)

        assert after[read_ok] - before.get(read_ok, 0) == 2
        assert after[audit] - before[audit] == 3  # a create and two reads
        histogram_count = (
            "customer_registry_http_request_duration_seconds_count",
            read_ok[1],
        )
        assert after[histogram_count] - before.get(histogram_count, 0) == 2
        assert ("customer_registry_logins_throttled_total", ()) in after
        assert after[("customer_registry_database_pool_size", ())] >= 1
        assert ("customer_registry_database_connections_checked_out", ()) in after
        assert not any(customer["id"] in str(key) for key in after)

    async def test_database_gauges_registered_by_a_feature(
        self, metrics_client: httpx.AsyncClient, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        await create_customer(client, staff.headers, customer_body(type="private_person"))

        async def customers_by_type(session: AsyncSession) -> list[GaugeReading]:
            rows = await session.execute(
                select(Customer.type, func.count()).group_by(Customer.type)
            )
            return [
                GaugeReading(
                    "customer_registry_test_customers",
                    "Customers by type.",
                    labels=("type",),
                    values={(str(kind),): count for kind, count in rows.all()},
                )
            ]

        async def broken(session: AsyncSession) -> list[GaugeReading]:
            raise RuntimeError("a table that does not exist yet")

        database_gauges.register(broken)
        database_gauges.register(customers_by_type)
        try:
            samples = await scrape(metrics_client)
        finally:
            database_gauges.unregister(broken)
            database_gauges.unregister(customers_by_type)

        assert samples[("customer_registry_test_customers", (("type", "private_person"),))] == 1
        assert "customer_registry_http_requests_total" in {name for name, _ in samples}


class TestProductionSettings:
    def production(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "env": "production",
            "database_url": "postgresql+asyncpg://registry@db.example/registry",
            "secret_key": SecretStr(TEST_SECRET),
            "secret_key_file": Path("/nonexistent/customer_registry.secret"),
            "erasure_log_file": Path("/srv/erasure-log/erasures.jsonl"),
        }
        values.update(overrides)
        return Settings(**values)

    def test_a_complete_production_configuration(self) -> None:
        settings = self.production(cors_origins=["https://shop.example.fi"])

        assert settings.cors_origins == ["https://shop.example.fi"]

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"secret_key": None}, "SECRET_KEY is required in production"),
            ({"secret_key": SecretStr("x" * 40)}, "development secret"),
            ({"database_url": "sqlite+aiosqlite:///./registry.db"}, "needs PostgreSQL"),
            ({"cors_origins": ["https://shop.example.fi", "*"]}, "CORS_ORIGINS may not be *"),
            ({"database_echo": True}, "DATABASE_ECHO"),
            ({"metrics_token": SecretStr("short")}, "METRICS_TOKEN must be at least"),
            ({"trusted_proxies": ["proxy.example"]}, "not an IP address"),
            ({"erasure_log_file": None}, "ERASURE_LOG_FILE is required in production"),
        ],
    )
    def test_refusals(self, overrides: dict[str, Any], message: str) -> None:
        with pytest.raises(ValidationError, match=re.escape(message)):
            self.production(**overrides)

    def test_the_generated_development_secret_is_refused(self, tmp_path: Path) -> None:
        development = Settings(secret_key_file=tmp_path / "dev.secret")
        secret = development.signing_secret()

        with pytest.raises(ValidationError, match="development secret"):
            self.production(secret_key=SecretStr(secret), secret_key_file=tmp_path / "dev.secret")

    def test_lists_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CUSTOMER_REGISTRY_CORS_ORIGINS", "https://a.example, https://b.example")
        monkeypatch.setenv("CUSTOMER_REGISTRY_TRUSTED_PROXIES", "10.0.0.0/8,192.0.2.1")
        monkeypatch.setenv("CUSTOMER_REGISTRY_LOG_LEVEL", "debug")

        settings = Settings()

        assert settings.cors_origins == ["https://a.example", "https://b.example"]
        assert settings.trusted_proxies == ["10.0.0.0/8", "192.0.2.1"]
        assert settings.log_level == "DEBUG"

    def test_serve_refuses_with_one_line(self, tmp_path: Path) -> None:
        result = run(
            ["serve"],
            tmp_path,
            env="production",
            secret_key=TEST_SECRET,
            database_url="postgresql+asyncpg://registry@127.0.0.1:1/registry",
            cors_origins="*",
        )

        assert result.returncode == 1
        assert result.stderr.count("\n") == 1
        assert "CORS_ORIGINS may not be *" in result.stderr


class TestCors:
    async def test_configured_origins_only(self, settings: Settings) -> None:
        application = create_app(
            settings.model_copy(update={"cors_origins": ["https://shop.example.fi"]})
        )
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
            allowed = await http.get("/healthz", headers={"Origin": "https://shop.example.fi"})
            other = await http.get("/healthz", headers={"Origin": "https://evil.example"})
        await application.state.engine.dispose()

        assert allowed.headers["access-control-allow-origin"] == "https://shop.example.fi"
        assert "access-control-allow-origin" not in other.headers


class TestTrustedProxies:
    """The client address in the audit, as uvicorn is configured by `serve`."""

    async def audited_address(
        self,
        settings: Settings,
        staff: Staff,
        client: httpx.AsyncClient,
        peer: str,
        trusted: list[str],
    ) -> str | None:
        customer = await create_customer(client, staff.headers, customer_body())
        application = create_app(settings.model_copy(update={"trusted_proxies": trusted}))
        config = uvicorn.Config(
            application, log_config=None, **server_options(application.state.settings)
        )
        config.load()
        transport = httpx.ASGITransport(app=config.loaded_app, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
            response = await http.get(
                f"/api/v1/customers/{customer['id']}",
                headers={**staff.headers, "X-Forwarded-For": "203.0.113.9"},
            )
        await application.state.engine.dispose()
        assert response.status_code == 200
        events = await audit_events(client, staff.headers, customer_id=customer["id"])
        (read,) = [event for event in events if event["action"] == "read"]
        address: str | None = read["client_address"]
        return address

    @pytest.fixture
    async def auditor(self, create_staff: Any) -> Staff:
        from customer_registry.models import Role

        staff: Staff = await create_staff(Role.privacy_officer)
        return staff

    async def test_forwarded_address_from_a_trusted_proxy(
        self, settings: Settings, auditor: Staff, client: httpx.AsyncClient
    ) -> None:
        address = await self.audited_address(
            settings, auditor, client, peer="10.1.2.3", trusted=["10.0.0.0/8"]
        )

        assert address == "203.0.113.9"

    async def test_forwarded_header_from_anyone_else_is_ignored(
        self, settings: Settings, auditor: Staff, client: httpx.AsyncClient
    ) -> None:
        address = await self.audited_address(
            settings, auditor, client, peer="198.51.100.7", trusted=["10.0.0.0/8"]
        )

        assert address == "198.51.100.7"

    async def test_no_proxy_is_trusted_by_default(
        self, settings: Settings, auditor: Staff, client: httpx.AsyncClient
    ) -> None:
        address = await self.audited_address(
            settings, auditor, client, peer="127.0.0.1", trusted=[]
        )

        assert address == "127.0.0.1"


class TestCommandLine:
    def test_version(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as exit_:
            main(["--version"])

        assert exit_.value.code == 0
        assert re.fullmatch(r"customer-registry \d+\.\d+\.\d+\n", capsys.readouterr().out)

    def test_every_subcommand_and_option_documents_itself(self) -> None:
        import argparse

        def walk(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, Any]]:
            assert parser.description, f"{path} has no description"
            for action in parser._actions:
                if isinstance(action, argparse._SubParsersAction):
                    for choice in action._choices_actions:
                        assert choice.help, f"{path} {choice.dest} has no help"
                    for name, subparser in action.choices.items():
                        yield from walk(subparser, f"{path} {name}")
                else:
                    yield path, action

        for path, action in walk(build_parser(), "customer-registry"):
            assert action.help, f"{path} {action.option_strings} has no help"

    @pytest.mark.parametrize(
        "arguments", [["--help"], ["serve", "--help"], ["users", "create", "--help"]]
    )
    def test_help_exits_cleanly(
        self, arguments: list[str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        with pytest.raises(SystemExit) as exit_:
            main(arguments)

        assert exit_.value.code == 0
        assert "usage: customer-registry" in capsys.readouterr().out

    def test_unreachable_database_is_one_line(self, tmp_path: Path) -> None:
        result = run(
            ["migrate"],
            tmp_path,
            database_url="postgresql+asyncpg://registry@127.0.0.1:1/registry",
            secret_key=TEST_SECRET,
        )

        assert result.returncode == 1
        assert result.stderr.splitlines()[-1].startswith("customer-registry: error: the database")
        assert "Traceback" not in result.stderr

    def test_zero_workers_is_refused(self, tmp_path: Path) -> None:
        result = run(["serve", "--workers", "0"], tmp_path)

        assert result.returncode == 2
        assert "must be at least 1" in result.stderr

    def test_migrate_shows_progress_and_logs_json(self, tmp_path: Path) -> None:
        result = run(["migrate"], tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path}/r.db")

        assert result.returncode == 0, result.stderr
        lines = result.stderr.splitlines()
        assert re.fullmatch(r"migrations: done, \d+ in \d+\.\d s", lines[-1])
        events = [json.loads(line) for line in lines[:-1]]
        assert "migration_applied" in {event.get("event") for event in events}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class TestProgress:
    def test_periodic_lines_when_not_a_terminal(self) -> None:
        stream, clock = io.StringIO(), FakeClock()

        with Progress("retention", total=300, stream=stream, interval=10, clock=clock) as progress:
            for _ in range(3):
                clock.now += 6
                progress.advance(100)

        assert stream.getvalue().splitlines() == [
            "retention: 200/300 (66%)",
            "retention: done, 300/300 (100%) in 18.0 s",
        ]

    def test_rewritten_line_on_a_terminal(self) -> None:
        stream = Terminal()

        list(track(range(3), "export", total=3, stream=stream))

        output = stream.getvalue()
        assert output.startswith("\r\x1b[Kexport: 0/3 (0%)")
        assert output.endswith("\r\x1b[Kexport: done, 3/3 (100%) in 0.0 s\n")

    def test_a_failed_run_says_stopped(self) -> None:
        stream = io.StringIO()

        with pytest.raises(RuntimeError), Progress("verify", stream=stream):
            raise RuntimeError

        assert stream.getvalue().startswith("verify: stopped, 0 in ")


class TestRunbook:
    def test_every_setting_is_documented(self) -> None:
        runbook = (Path(__file__).parents[1] / "docs" / "operations.md").read_text()

        missing = [
            name
            for name in Settings.model_fields
            if f"CUSTOMER_REGISTRY_{name.upper()}" not in runbook
        ]

        assert missing == []


class TestContainer:
    """What can be checked without a Docker engine (hadolint runs outside the test suite)."""

    root = Path(__file__).parents[1]

    def test_image_is_multi_stage_non_root_with_a_readiness_check(self) -> None:
        dockerfile = (self.root / "Dockerfile").read_text()
        stages = re.split(r"(?m)^FROM ", dockerfile)[1:]

        assert len(stages) >= 2
        final = stages[-1]
        assert "--from=build" in final
        (user,) = re.findall(r"(?m)^USER (\S+)", final)
        assert user.split(":")[0] not in {"root", "0"}
        assert re.search(r"(?ms)^HEALTHCHECK .*?/readyz", final)
        assert not re.search(r"gcc|build-essential|apt-get install", final)

    def test_compose_runs_the_service_with_postgresql_16(self) -> None:
        compose = (self.root / "compose.yaml").read_text()

        assert re.search(r"image: postgres:16", compose)
        assert "postgresql+asyncpg://" in compose
        assert "condition: service_healthy" in compose
