"""Bounded resources (OWASP API4): body size, hostile text, big integers, rate limits."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from customer_registry.app import create_app
from customer_registry.config import Settings
from customer_registry.core.pagination import encode_cursor
from customer_registry.models import Role
from tests.factories import PASSWORD, CreateStaff, Staff, customer_body

pytestmark = pytest.mark.anyio

MIB = 1024 * 1024


@asynccontextmanager
async def client_with(settings: Settings, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose settings differ from the test's in `changes`."""
    application = create_app(settings.model_copy(update=changes))
    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
            yield http
    finally:
        await application.state.engine.dispose()


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["request_id"] == response.headers["x-request-id"]
    return problem


class TestBodySize:
    async def test_a_declared_body_over_the_limit_is_refused(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        body = json.dumps(customer_body(first_name="A" * (2 * MIB))).encode()

        response = await client.post(
            "/api/v1/customers",
            content=body,
            headers={**staff.headers, "content-type": "application/json"},
        )

        problem = assert_problem(response, 413)
        assert problem["detail"] == f"The request body is larger than {MIB} bytes."

    async def test_a_chunked_body_is_cut_off_at_the_limit(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        sent = 0

        async def chunks() -> AsyncIterator[bytes]:
            nonlocal sent
            yield b'{"first_name": "'
            for _ in range(64):
                sent += 64 * 1024
                yield b"A" * (64 * 1024)
            yield b'"}'

        response = await client.post(
            "/api/v1/customers",
            content=chunks(),
            headers={**staff.headers, "content-type": "application/json"},
        )

        assert_problem(response, 413)
        assert "content-length" not in response.request.headers
        assert sent <= MIB + 64 * 1024

    async def test_login_forms_are_bounded_too(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/api/v1/auth/token", data={"username": "x", "password": "p" * (2 * MIB)}
        )

        assert_problem(response, 413)

    async def test_the_limit_is_a_setting(self, settings: Settings, staff: Staff) -> None:
        async with client_with(settings, max_request_body_bytes=2048) as http:
            small = await http.post(
                "/api/v1/customers", json=customer_body(), headers=staff.headers
            )
            large = await http.post(
                "/api/v1/customers",
                json=customer_body(first_name="A" * 100, last_name="B" * 100, extra="x" * 2000),
                headers=staff.headers,
            )

        assert small.status_code == 201
        assert_problem(large, 413)


HOSTILE_TEXT = ["nul\x00byte", "tab\there", "line\nbreak", "escape\x1b[31m", "delete\x7f"]


class TestHostileText:
    @pytest.mark.parametrize("value", HOSTILE_TEXT)
    @pytest.mark.parametrize(
        ("path", "parameter"),
        [
            ("/api/v1/customers", "q"),
            ("/api/v1/customers", "email"),
            ("/api/v1/customers", "cursor"),
            ("/api/v1/audit-events", "actor_id"),
            ("/api/v1/users", "cursor"),
        ],
    )
    async def test_in_query_parameters(
        self, client: httpx.AsyncClient, admin: Staff, path: str, parameter: str, value: str
    ) -> None:
        response = await client.get(path, params={parameter: value}, headers=admin.headers)

        problem = assert_problem(response, 422)
        assert problem["errors"][0]["loc"] == ["query", parameter]

    async def test_in_the_path(self, client: httpx.AsyncClient, staff: Staff) -> None:
        response = await client.get("/api/v1/customers/%00", headers=staff.headers)

        assert_problem(response, 422)

    @pytest.mark.parametrize("value", HOSTILE_TEXT)
    @pytest.mark.parametrize(
        "change",
        [
            lambda v: {"first_name": v},
            lambda v: {"last_name": v},
            lambda v: {"email": f"a{v}@example.fi"},
            lambda v: {"phone": f"+35840{v}1234567"},
            lambda v: {"address": {"street": v, "postal_code": "00100", "city": "Helsinki"}},
            lambda v: {"address": {"street": "Katu 1", "postal_code": "00100", "city": v}},
            lambda v: {"address": {"street": "Katu 1", "postal_code": v, "city": "Helsinki"}},
            lambda v: {"type": "company", "organisation": {"name": v}},
            lambda v: {
                "type": "company",
                "organisation": {"name": "Oy", "business_id": f"1234567-{v}"},
            },
        ],
    )
    async def test_in_customer_bodies(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        value: str,
        change: Callable[[str], dict[str, Any]],
    ) -> None:
        response = await client.post(
            "/api/v1/customers", json=customer_body(**change(value)), headers=staff.headers
        )

        assert_problem(response, 422)

    @pytest.mark.parametrize("field", ["username", "full_name", "password"])
    async def test_in_account_bodies(
        self, client: httpx.AsyncClient, admin: Staff, field: str
    ) -> None:
        body = {
            "username": "new-person",
            "full_name": "New Person",
            "role": "staff",
            "password": PASSWORD,
        }
        body[field] = f"{body[field]}\x00"

        response = await client.post("/api/v1/users", json=body, headers=admin.headers)

        assert_problem(response, 422)


class TestIntegers:
    @pytest.mark.parametrize("limit", ["0", "201", "-1", str(2**63), "1e3", "\uff19"])
    async def test_limit_out_of_range(
        self, client: httpx.AsyncClient, admin: Staff, limit: str
    ) -> None:
        for path in ("/api/v1/customers", "/api/v1/audit-events", "/api/v1/users"):
            response = await client.get(path, params={"limit": limit}, headers=admin.headers)
            assert_problem(response, 422)

    @pytest.mark.parametrize("position", [str(2**63), "9" * 40, "-1", "١٢"])
    async def test_audit_cursor_beyond_bigint(
        self, client: httpx.AsyncClient, admin: Staff, position: str
    ) -> None:
        response = await client.get(
            "/api/v1/audit-events",
            params={"cursor": encode_cursor(position)},
            headers=admin.headers,
        )

        assert_problem(response, 422)

    @pytest.mark.parametrize("version", [str(2**63), "9" * 40])
    async def test_if_match_beyond_bigint(
        self, client: httpx.AsyncClient, staff: Staff, version: str
    ) -> None:
        created = await client.post(
            "/api/v1/customers", json=customer_body(), headers=staff.headers
        )

        response = await client.patch(
            f"/api/v1/customers/{created.json()['id']}",
            json={"first_name": "Uusi"},
            headers={**staff.headers, "If-Match": f'"{version}"'},
        )

        assert response.status_code in (412, 422)
        assert response.headers["content-type"] == "application/problem+json"


Request = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


class TestRateLimits:
    async def test_audit_listing_is_limited_per_principal(
        self, settings: Settings, admin: Staff, privacy_officer: Staff
    ) -> None:
        async with client_with(settings, rate_limit_audit_events_per_minute=3) as http:
            statuses = [
                (await http.get("/api/v1/audit-events", headers=admin.headers)).status_code
                for _ in range(4)
            ]
            limited = await http.get("/api/v1/audit-events", headers=admin.headers)
            other = await http.get("/api/v1/audit-events", headers=privacy_officer.headers)
            anonymous = await http.get("/api/v1/audit-events")

        assert statuses == [200, 200, 200, 429]
        assert_problem(limited, 429)
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert other.status_code == 200
        assert anonymous.status_code == 401

    async def test_login_is_limited_per_client_address(
        self, settings: Settings, create_staff: CreateStaff
    ) -> None:
        staff = await create_staff(Role.staff, login=False)
        async with client_with(settings, rate_limit_login_per_minute=3) as http:
            statuses = [
                (
                    await http.post(
                        "/api/v1/auth/token",
                        data={"username": staff.username, "password": PASSWORD},
                    )
                ).status_code
                for _ in range(4)
            ]

        assert statuses == [200, 200, 200, 429]

    async def test_refused_requests_leave_the_quota_untouched(
        self, settings: Settings, staff: Staff, privacy_officer: Staff
    ) -> None:
        async with client_with(
            settings, rate_limit_exports_per_minute=2, rate_limit_audit_events_per_minute=2
        ) as http:
            labels = "/api/v1/exports/mailing-labels"
            forbidden = [
                (await http.get(labels, headers=staff.headers)).status_code for _ in range(4)
            ]
            missing = "/api/v1/gdpr-requests/00000000-0000-0000-0000-000000000000/access-report"
            refused = [
                (await http.get(missing, headers=privacy_officer.headers)).status_code,
                (
                    await http.get(
                        labels, params={"format": "xls"}, headers=privacy_officer.headers
                    )
                ).status_code,
            ]
            exports = [
                (await http.get(labels, headers=privacy_officer.headers)).status_code
                for _ in range(3)
            ]
            audit = "/api/v1/audit-events"
            audit_refused = [
                (await http.get(audit, headers=staff.headers)).status_code,
                (
                    await http.get(audit, params={"action": "x"}, headers=privacy_officer.headers)
                ).status_code,
            ]
            audit_reads = [
                (await http.get(audit, headers=privacy_officer.headers)).status_code
                for _ in range(3)
            ]

        # The forbidden caller keeps being told 403, never 429: its refusals count nothing.
        assert forbidden == [403] * 4
        assert refused == [404, 422]
        # The refusals used none of the two exports allowed a minute.
        assert exports == [200, 200, 429]
        assert audit_refused == [403, 422]
        assert audit_reads == [200, 200, 429]
