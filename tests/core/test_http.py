"""HTTP conventions: problem+json, request ids, health probes, offline docs."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.factories import Staff

pytestmark = pytest.mark.anyio


class TestProblemDetails:
    async def test_unknown_route(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/nothing-here")

        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert {"type", "title", "status", "detail"} <= problem.keys()
        assert problem["status"] == 404

    async def test_malformed_json(self, client: httpx.AsyncClient, staff: Staff) -> None:
        response = await client.post(
            "/api/v1/customers",
            content=b'{"type": ',
            headers={**staff.headers, "content-type": "application/json"},
        )

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"]

    @pytest.mark.parametrize(
        ("method", "path", "allowed"),
        [
            ("DELETE", "/api/v1/customers", "GET, POST"),
            ("PUT", "/api/v1/customers/0190a000-0000-7000-8000-000000000001/consents", "GET, POST"),
            ("POST", "/api/v1/customers/0190a000-0000-7000-8000-000000000001", "GET, PATCH"),
            ("DELETE", "/api/v1/auth/token", "POST"),
        ],
    )
    async def test_a_method_not_allowed_names_the_ones_that_are(
        self, client: httpx.AsyncClient, method: str, path: str, allowed: str
    ) -> None:
        response = await client.request(method, path)

        assert response.status_code == 405
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["allow"] == allowed


class TestRequestId:
    async def test_generated_when_absent(self, client: httpx.AsyncClient) -> None:
        responses = [await client.get("/healthz") for _ in range(3)]

        generated = {response.headers["x-request-id"] for response in responses}
        assert len(generated) == 3
        assert all(re.fullmatch(r"[0-9a-f]{32}", request_id) for request_id in generated)

    async def test_echoed_when_given_and_in_problems(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/customers", headers={"X-Request-ID": "abc-123"})

        assert response.headers["x-request-id"] == "abc-123"
        assert response.json()["request_id"] == "abc-123"

    async def test_malformed_one_is_replaced(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith tab"})

        assert response.headers["x-request-id"] != "bad id\twith tab"


class TestHealth:
    async def test_healthz_and_readyz(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/healthz")).json() == {"status": "ok", "detail": None}
        ready = await client.get("/readyz")
        assert ready.status_code == 200

    async def test_readyz_on_an_unmigrated_database(
        self, client: httpx.AsyncClient, database_url: str
    ) -> None:
        import anyio.to_thread

        from customer_registry.migrations_runner import downgrade

        await anyio.to_thread.run_sync(downgrade, database_url, "base")

        response = await client.get("/readyz")

        assert response.status_code == 503
        assert "not migrated" in response.json()["detail"]


class TestDocs:
    async def test_swagger_and_redoc_use_local_assets(self, client: httpx.AsyncClient) -> None:
        for path in ("/docs", "/redoc"):
            page = await client.get(path)
            assert page.status_code == 200
            assert "cdn." not in page.text
            assert "https://" not in page.text.replace("https://fonts.googleapis.com", "")
        assert (await client.get("/static-offline-docs/swagger-ui-bundle.js")).status_code == 200
        assert (await client.get("/static-offline-docs/redoc.standalone.js")).status_code == 200


class TestOversizedCursors:
    async def test_a_cursor_past_bigint_is_refused_not_sent_to_the_database(
        self, client: httpx.AsyncClient, admin: Staff
    ) -> None:
        from customer_registry.core.pagination import encode_cursor
        from tests.factories import create_customer, customer_body

        customer = await create_customer(client, admin.headers, customer_body())
        huge = encode_cursor("9" * 30)
        for path in (
            "/api/v1/audit-events",
            "/api/v1/disclosures",
            f"/api/v1/customers/{customer['id']}/consents",
        ):
            response = await client.get(path, params={"cursor": huge}, headers=admin.headers)
            assert response.status_code == 422, path
