"""Login, tokens, account states and role checks (R8, R16)."""

from __future__ import annotations

import statistics
import time
import uuid
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from customer_registry.app import create_app
from customer_registry.config import Settings
from customer_registry.models import Role
from customer_registry.server import server_options
from tests.factories import (
    PASSWORD,
    CreateStaff,
    Staff,
    audit_events,
    create_customer,
    customer_body,
    is_postgres,
)

pytestmark = pytest.mark.anyio


async def login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )


async def execute(database_url: str, statement: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def scalar(database_url: str, statement: str) -> Any:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text(statement))
    finally:
        await engine.dispose()


class TestLogin:
    async def test_good_credentials_give_a_bearer_token(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        response = await login(client, staff.username, PASSWORD)

        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 15 * 60
        me = await client.get(
            "/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert me.status_code == 200
        assert me.json()["username"] == staff.username
        assert "password_hash" not in me.json()

    async def test_wrong_password_and_unknown_user_look_the_same(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        wrong_password = await login(client, staff.username, "not-the-password-at-all")
        unknown_user = await login(client, "nobody-by-this-name", "not-the-password-at-all")

        assert wrong_password.status_code == unknown_user.status_code == 401
        assert wrong_password.headers["content-type"] == "application/problem+json"
        first, second = wrong_password.json(), unknown_user.json()
        first.pop("request_id")
        second.pop("request_id")
        assert first == second

    async def test_disabled_account_cannot_log_in_and_its_token_stops_working(
        self, client: httpx.AsyncClient, admin: Staff, staff: Staff
    ) -> None:
        disabled = await client.post(f"/api/v1/users/{staff.id}/disable", headers=admin.headers)
        assert disabled.status_code == 200
        assert disabled.json()["is_active"] is False

        assert (await login(client, staff.username, PASSWORD)).status_code == 401
        assert (await client.get("/api/v1/users/me", headers=staff.headers)).status_code == 401

        await client.post(f"/api/v1/users/{staff.id}/enable", headers=admin.headers)
        assert (await login(client, staff.username, PASSWORD)).status_code == 200

    async def test_disable_and_enable_take_effect_at_once_for_a_token_in_use(
        self, client: httpx.AsyncClient, admin: Staff, staff: Staff
    ) -> None:
        # The token has been used, so this process remembers the account as usable.
        assert (await client.get("/api/v1/users/me", headers=staff.headers)).status_code == 200

        await client.post(f"/api/v1/users/{staff.id}/disable", headers=admin.headers)
        assert (await client.get("/api/v1/users/me", headers=staff.headers)).status_code == 401

        await client.post(f"/api/v1/users/{staff.id}/enable", headers=admin.headers)
        assert (await client.get("/api/v1/users/me", headers=staff.headers)).status_code == 200

    async def test_account_without_confidentiality_commitment_cannot_log_in(
        self, client: httpx.AsyncClient, admin: Staff, create_staff: CreateStaff
    ) -> None:
        newcomer = await create_staff(Role.staff, committed=False, login=False)

        right = await login(client, newcomer.username, PASSWORD)
        wrong = await login(client, newcomer.username, "not-the-password-at-all")
        unknown = await login(client, "nobody-by-this-name", "not-the-password-at-all")

        assert right.status_code == 403
        assert right.json()["type"].endswith("/confidentiality-commitment-missing")
        assert right.json()["detail"].startswith("The password is correct, but the account")
        assert "Incorrect username or password" not in right.text
        assert wrong.status_code == 401
        assert wrong.json()["detail"] == unknown.json()["detail"]
        assert wrong.json()["detail"] == "Incorrect username or password."

        recorded = await client.post(
            f"/api/v1/users/{newcomer.id}/confidentiality-commitment", headers=admin.headers
        )
        assert recorded.status_code == 200
        assert recorded.json()["confidentiality_committed_at"] is not None
        assert (await login(client, newcomer.username, PASSWORD)).status_code == 200

    async def test_failures_and_successes_are_audited_without_the_password(
        self, client: httpx.AsyncClient, admin: Staff, staff: Staff
    ) -> None:
        await login(client, staff.username, "not-the-password-at-all")
        await login(client, "nobody-by-this-name", "not-the-password-at-all")

        failed = await audit_events(client, admin.headers, action="login_failed")
        assert len(failed) == 2
        assert failed[0]["actor_id"] == staff.id
        assert failed[0]["entity_id"] == staff.id
        assert failed[1]["actor_id"] is None
        succeeded = await audit_events(client, admin.headers, action="login", actor_id=staff.id)
        assert len(succeeded) == 1
        dump = str(failed + succeeded)
        assert "not-the-password-at-all" not in dump
        assert "nobody-by-this-name" not in dump

    @pytest.mark.parametrize(
        "header",
        [
            "Bearer not-a-token",
            "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0.",
            "Basic YWRtaW46YWRtaW4=",
        ],
    )
    async def test_bad_credentials_are_refused(
        self, client: httpx.AsyncClient, header: str
    ) -> None:
        response = await client.get("/api/v1/customers", headers={"Authorization": header})

        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"


class TestRoles:
    async def test_anonymous_is_refused(self, client: httpx.AsyncClient) -> None:
        for path in ("/api/v1/customers", "/api/v1/audit-events", "/api/v1/users"):
            assert (await client.get(path)).status_code == 401

    async def test_staff_cannot_read_the_audit_log_or_manage_accounts(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        assert (await client.get("/api/v1/audit-events", headers=staff.headers)).status_code == 403
        assert (await client.get("/api/v1/users", headers=staff.headers)).status_code == 403
        created = await client.post(
            "/api/v1/users",
            json={
                "username": "someone",
                "full_name": "Some One",
                "role": "admin",
                "password": PASSWORD,
            },
            headers=staff.headers,
        )
        assert created.status_code == 403

    async def test_privacy_officer_reads_the_audit_log_but_does_not_manage_accounts(
        self, client: httpx.AsyncClient, privacy_officer: Staff
    ) -> None:
        headers = privacy_officer.headers
        assert (await client.get("/api/v1/audit-events", headers=headers)).status_code == 200
        assert (await client.get("/api/v1/users", headers=headers)).status_code == 403


class TestAccounts:
    async def test_admin_creates_and_lists_accounts(
        self, client: httpx.AsyncClient, admin: Staff
    ) -> None:
        created = await client.post(
            "/api/v1/users",
            json={
                "username": "Maija.Meikalainen",
                "full_name": "Maija Meikäläinen",
                "role": "privacy_officer",
                "password": PASSWORD,
                "confidentiality_committed": True,
            },
            headers=admin.headers,
        )
        assert created.status_code == 201
        assert created.json()["username"] == "maija.meikalainen"
        assert (await login(client, "maija.meikalainen", PASSWORD)).status_code == 200

        listed = await client.get("/api/v1/users", params={"limit": 1}, headers=admin.headers)
        assert len(listed.json()["items"]) == 1
        assert listed.json()["next_cursor"] is not None

        again = await client.post(
            "/api/v1/users",
            json={
                "username": "maija.meikalainen",
                "full_name": "Other",
                "role": "staff",
                "password": PASSWORD,
            },
            headers=admin.headers,
        )
        assert again.status_code == 409

    async def test_short_password_and_unknown_fields_are_rejected(
        self, client: httpx.AsyncClient, admin: Staff
    ) -> None:
        short = await client.post(
            "/api/v1/users",
            json={"username": "short", "full_name": "S", "role": "staff", "password": "short"},
            headers=admin.headers,
        )
        assert short.status_code == 422
        extra = await client.post(
            "/api/v1/users",
            json={
                "username": "extra",
                "full_name": "E",
                "role": "staff",
                "password": PASSWORD,
                "is_superuser": True,
            },
            headers=admin.headers,
        )
        assert extra.status_code == 422


class TestLogout:
    async def test_logout_revokes_only_that_token(
        self, client: httpx.AsyncClient, staff: Staff, admin: Staff
    ) -> None:
        other = await login(client, staff.username, PASSWORD)
        other_headers = {"Authorization": f"Bearer {other.json()['access_token']}"}

        response = await client.post("/api/v1/auth/logout", headers=staff.headers)

        assert response.status_code == 204
        assert (await client.get("/api/v1/users/me", headers=staff.headers)).status_code == 401
        again = await client.post("/api/v1/auth/logout", headers=staff.headers)
        assert again.status_code == 401
        assert (await client.get("/api/v1/users/me", headers=other_headers)).status_code == 200
        logouts = await audit_events(client, admin.headers, action="logout")
        assert [event["actor_id"] for event in logouts] == [staff.id]

    async def test_a_logged_out_token_reads_no_customer(
        self, client: httpx.AsyncClient, staff: Staff, admin: Staff
    ) -> None:
        customer = await create_customer(client, admin.headers, customer_body())
        await client.post("/api/v1/auth/logout", headers=staff.headers)

        read = await client.get(f"/api/v1/customers/{customer['id']}", headers=staff.headers)
        missing = await client.get(f"/api/v1/customers/{uuid.uuid4()}", headers=staff.headers)

        # The same 401 whether the customer exists or not, and nothing read is audited.
        assert read.status_code == missing.status_code == 401
        assert read.json()["detail"] == missing.json()["detail"]
        assert await audit_events(client, admin.headers, actor_id=staff.id, action="read") == []

    async def test_a_logged_out_token_lists_and_finds_no_customer(
        self, client: httpx.AsyncClient, staff: Staff, admin: Staff
    ) -> None:
        await create_customer(client, admin.headers, customer_body())
        other = await login(client, staff.username, PASSWORD)
        other_headers = {"Authorization": f"Bearer {other.json()['access_token']}"}
        await client.post("/api/v1/auth/logout", headers=staff.headers)

        listed = await client.get("/api/v1/customers", headers=staff.headers)
        found = await client.get("/api/v1/customers?q=Virtanen", headers=staff.headers)
        none = await client.get("/api/v1/customers?q=no-such-name", headers=staff.headers)

        # The same 401 whether the page has customers or not, and nothing read is audited;
        # the same account's other token still reads.
        assert listed.status_code == found.status_code == none.status_code == 401
        assert await audit_events(client, admin.headers, actor_id=staff.id, action="read") == []
        still = await client.get("/api/v1/customers?q=Virtanen", headers=other_headers)
        assert still.status_code == 200
        assert len(still.json()["items"]) == 1

    @pytest.mark.parametrize("idempotency_key", [None, "after-logout-1"])
    async def test_a_logged_out_token_creates_no_customer(
        self, client: httpx.AsyncClient, staff: Staff, admin: Staff, idempotency_key: str | None
    ) -> None:
        await client.post("/api/v1/auth/logout", headers=staff.headers)
        body = customer_body()
        headers = dict(staff.headers)
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key

        response = await client.post("/api/v1/customers", json=body, headers=headers)

        # Nothing is written: no creation in the audit, and the e-mail address is free.
        assert response.status_code == 401
        assert await audit_events(client, admin.headers, actor_id=staff.id, action="create") == []
        created = await client.post("/api/v1/customers", json=body, headers=admin.headers)
        assert created.status_code == 201

    async def test_logout_needs_a_token(self, client: httpx.AsyncClient) -> None:
        assert (await client.post("/api/v1/auth/logout")).status_code == 401

    async def test_expired_revocations_are_purged(
        self, client: httpx.AsyncClient, staff: Staff, admin: Staff, database_url: str
    ) -> None:
        await client.post("/api/v1/auth/logout", headers=staff.headers)
        await execute(
            database_url, "UPDATE revoked_tokens SET expires_at = '2000-01-01 00:00:00+00:00'"
        )

        await client.post("/api/v1/auth/logout", headers=admin.headers)

        assert await scalar(database_url, "SELECT count(*) FROM revoked_tokens") == 1


class TestLoginThrottling:
    async def fail(self, client: httpx.AsyncClient, username: str, times: int) -> list[int]:
        return [
            (await login(client, username, "not-the-password-at-all")).status_code
            for _ in range(times)
        ]

    async def test_five_failures_throttle_the_account_not_others(
        self, client: httpx.AsyncClient, staff: Staff, create_staff: CreateStaff
    ) -> None:
        colleague = await create_staff(Role.staff, login=False)

        assert await self.fail(client, staff.username, 5) == [401] * 5
        throttled = await login(client, staff.username, PASSWORD)

        assert throttled.status_code == 429
        assert throttled.headers["content-type"] == "application/problem+json"
        assert 850 <= int(throttled.headers["retry-after"]) <= 900
        assert (await login(client, colleague.username, PASSWORD)).status_code == 200
        # The username is matched as the login matches it: case makes no difference.
        assert (await login(client, staff.username.upper(), PASSWORD)).status_code == 429

    async def test_unknown_usernames_are_throttled_the_same_way(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        await self.fail(client, staff.username, 5)
        await self.fail(client, "nobody-by-this-name", 5)

        known = await login(client, staff.username, "not-the-password-at-all")
        unknown = await login(client, "nobody-by-this-name", "not-the-password-at-all")

        assert known.status_code == unknown.status_code == 429
        first, second = known.json(), unknown.json()
        first.pop("request_id")
        second.pop("request_id")
        assert first == second

    async def test_the_window_passing_lets_the_user_in_again(
        self, client: httpx.AsyncClient, staff: Staff, database_url: str
    ) -> None:
        await self.fail(client, staff.username, 5)
        assert (await login(client, staff.username, PASSWORD)).status_code == 429

        # Fifteen minutes later (the failures age in the database):
        await execute(
            database_url,
            "UPDATE login_failures SET failed_at = '2000-01-01 00:00:00+00:00'",
        )

        assert (await login(client, staff.username, PASSWORD)).status_code == 200
        # A success clears the count: five more failures are needed to throttle again.
        assert await self.fail(client, staff.username, 5) == [401] * 5

    async def test_throttled_attempts_are_audited_and_no_name_is_stored(
        self, client: httpx.AsyncClient, staff: Staff, admin: Staff, database_url: str
    ) -> None:
        await self.fail(client, staff.username, 6)
        await self.fail(client, "nobody-by-this-name", 6)

        throttled = await audit_events(client, admin.headers, action="login_throttled")
        assert [event["actor_id"] for event in throttled] == [staff.id, None]
        failed = await audit_events(client, admin.headers, action="login_failed")
        assert len(failed) == 10
        keys = (
            await scalar(database_url, "SELECT string_agg(account_key, ',') FROM login_failures")
            if is_postgres()
            else await scalar(database_url, "SELECT group_concat(account_key) FROM login_failures")
        )
        assert "nobody" not in str(keys)
        assert staff.username not in str(keys)

    async def test_concurrent_failures_do_not_slip_past_the_limit(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        statuses: list[int] = []

        async def attempt() -> None:
            response = await login(client, staff.username, "not-the-password-at-all")
            statuses.append(response.status_code)

        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(attempt)

        assert sorted(statuses) == [401] * 5 + [429] * 5

    async def test_control_characters_are_refused_before_any_lookup(
        self, client: httpx.AsyncClient
    ) -> None:
        for username, password in (("nul\x00name", "x"), ("name", "pass\x00word")):
            response = await login(client, username, password)
            assert response.status_code == 422
            assert response.headers["content-type"] == "application/problem+json"


def client_from(app: Any, address: str) -> httpx.AsyncClient:
    """A client of the app whose requests come from `address`."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://registry.test")


class TestThrottlingSlowsTheAttackerNotTheOwner:
    async def test_the_right_password_works_from_another_address_while_one_is_throttled(
        self, app: Any, staff: Staff
    ) -> None:
        async with (
            client_from(app, "203.0.113.10") as attacker,
            client_from(app, "198.51.100.20") as owner,
        ):
            failures = [
                (await login(attacker, staff.username, "not-the-password-at-all")).status_code
                for _ in range(5)
            ]
            throttled = await login(attacker, staff.username, PASSWORD)
            owners = await login(owner, staff.username, PASSWORD)
            still_throttled = await login(attacker, staff.username, PASSWORD)

        assert failures == [401] * 5
        assert throttled.status_code == 429
        assert owners.status_code == 200
        assert still_throttled.status_code == 429

    async def test_an_account_failing_from_many_addresses_is_not_locked(
        self, app: Any, staff: Staff, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        waited: list[float] = []

        async def sleep(seconds: float) -> None:  # the clock: the one outside boundary
            waited.append(seconds)

        monkeypatch.setattr("customer_registry.accounts.service.anyio.sleep", sleep)
        statuses = []
        for number in range(12):
            async with client_from(app, f"203.0.113.{number + 1}") as attacker:
                response = await login(attacker, staff.username, "not-the-password-at-all")
                statuses.append(response.status_code)
        async with client_from(app, "198.51.100.20") as owner:
            owners = await login(owner, staff.username, PASSWORD)

        # Twelve failures for one account from twelve addresses: no address is throttled,
        # and the owner's right password (after a short delay) is accepted.
        assert statuses == [401] * 12
        assert owners.status_code == 200
        # A cost, not a lock: from the tenth failure on, each attempt waits a step longer,
        # the owner's too (12 failures: 0.75 s).
        assert waited == [0.25, 0.5, 0.75]

    async def test_one_address_trying_many_accounts_is_throttled(
        self, app: Any, create_staff: CreateStaff
    ) -> None:
        other = await create_staff(Role.staff, login=False)
        async with (
            client_from(app, "203.0.113.10") as attacker,
            client_from(app, "198.51.100.20") as owner,
        ):
            failures = [
                (await login(attacker, f"guess-{number}", "not-the-password-at-all")).status_code
                for number in range(50)
            ]
            throttled = await login(attacker, other.username, PASSWORD)
            owners = await login(owner, other.username, PASSWORD)

        assert failures == [401] * 50
        assert throttled.status_code == 429
        assert owners.status_code == 200

    async def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(
        self, app: Any, staff: Staff
    ) -> None:
        async with client_from(app, "203.0.113.10") as attacker:
            statuses = [
                (
                    await attacker.post(
                        "/api/v1/auth/token",
                        data={"username": staff.username, "password": "not-the-password"},
                        headers={"X-Forwarded-For": f"192.0.2.{number}"},
                    )
                ).status_code
                for number in range(6)
            ]

        assert statuses == [401] * 5 + [429]

    async def test_behind_a_trusted_proxy_each_forwarded_client_is_throttled_apart(
        self, settings: Settings, staff: Staff
    ) -> None:
        proxied = settings.model_copy(update={"trusted_proxies": ["10.0.0.0/8"]})
        application = create_app(proxied)
        # What `customer-registry serve` runs: uvicorn's forwarded-header handling, with the
        # trusted proxies of the settings.
        options = server_options(proxied)
        served = ProxyHeadersMiddleware(application, trusted_hosts=options["forwarded_allow_ips"])
        try:
            async with client_from(served, "10.1.2.3") as proxy:

                async def attempt(client_address: str, password: str) -> int:
                    response = await proxy.post(
                        "/api/v1/auth/token",
                        data={"username": staff.username, "password": password},
                        headers={"X-Forwarded-For": client_address},
                    )
                    return response.status_code

                failures = [await attempt("203.0.113.10", "not-the-password") for _ in range(5)]
                throttled = await attempt("203.0.113.10", PASSWORD)
                owners = await attempt("198.51.100.20", PASSWORD)
        finally:
            await application.state.engine.dispose()

        assert failures == [401] * 5
        assert throttled == 429
        assert owners == 200


class TestPasswordLength:
    async def test_a_huge_password_is_a_wrong_password_at_login(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        huge = await login(client, staff.username, "x" * 100_000)
        wrong = await login(client, staff.username, "not-the-password-at-all")

        assert huge.status_code == wrong.status_code == 401
        first, second = huge.json(), wrong.json()
        first.pop("request_id")
        second.pop("request_id")
        assert first == second

    async def test_a_huge_password_is_refused_with_422_on_account_creation(
        self, client: httpx.AsyncClient, admin: Staff
    ) -> None:
        response = await client.post(
            "/api/v1/users",
            json={
                "username": "long-password",
                "full_name": "L",
                "role": "staff",
                "password": "x" * 100_000,
            },
            headers=admin.headers,
        )

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert "x" * 200 not in response.text
        assert "128" in response.text


class TestLoginTiming:
    async def test_unknown_user_and_wrong_password_take_about_as_long(
        self, client: httpx.AsyncClient, staff: Staff, create_staff: CreateStaff
    ) -> None:
        """A loose check (a shared CI machine is noisy): medians within a factor of two."""
        accounts = [staff.username] + [
            (await create_staff(Role.staff, login=False)).username for _ in range(2)
        ]

        async def timed(username: str) -> float:
            started = time.perf_counter()
            response = await login(client, username, "not-the-password-at-all")
            assert response.status_code == 401
            return time.perf_counter() - started

        wrong_password, unknown_user = [], []
        for round_number in range(4):
            for account in accounts:
                wrong_password.append(await timed(account))
                unknown_user.append(await timed(f"nobody-{round_number}-{account}"))

        ratio = statistics.median(unknown_user) / statistics.median(wrong_password)
        print(f"login timing: unknown/wrong-password median ratio {ratio:.2f}")  # noqa: T201
        assert 0.5 < ratio < 2.0
