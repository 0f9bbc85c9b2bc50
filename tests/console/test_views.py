"""The console over HTTP: sign-in and its session, CSRF, roles, and each screen's service."""

from __future__ import annotations

import datetime as dt
import io

import httpx
import pytest
from fastapi import FastAPI
from pypdf import PdfReader

from customer_registry.app import create_app
from customer_registry.auth.tokens import TokenCodec
from customer_registry.config import Environment, Settings
from customer_registry.gdpr_requests.deadlines import FINNISH_TIME, add_months, today_in_finland
from customer_registry.models import Role
from tests.console.data import ConsoleData, csrf_of, seed, sign_in
from tests.factories import (
    PASSWORD,
    CreateStaff,
    Staff,
    audit_events,
    create_customer,
    customer_body,
    execute_sql,
    submit,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
async def officer(create_staff: CreateStaff) -> Staff:
    return await create_staff(Role.privacy_officer)


@pytest.fixture
async def data(client: httpx.AsyncClient, officer: Staff) -> ConsoleData:
    return await seed(client, officer.headers)


async def signed_in(client: httpx.AsyncClient, who: Staff, language: str = "fi") -> None:
    response = await sign_in(client, who.username, PASSWORD, language)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/console/"


class TestSignIn:
    async def test_session_cookie_is_http_only_strict_and_today_shows_the_overdue_request(
        self, client: httpx.AsyncClient, officer: Staff, data: ConsoleData
    ) -> None:
        response = await sign_in(client, officer.username, PASSWORD)
        cookie = next(
            value
            for name, value in response.headers.multi_items()
            if name == "set-cookie" and value.startswith("console_session=")
        )
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
        assert "Path=/console" in cookie
        today = await client.get("/console/")
        assert today.status_code == 200
        assert "Myöhässä" in today.text  # the erasure received 40 days ago
        assert f"/console/requests/{data.overdue_erasure['id']}" in today.text
        assert "Erääntyy 7 päivän sisällä" in today.text  # the access request of 26 days ago
        policy = today.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert today.headers["x-frame-options"] == "DENY"
        assert today.headers["cache-control"] == "no-store"
        assert "<script>" not in today.text

    async def test_outside_development_the_cookies_are_secure(
        self, settings: Settings, officer: Staff
    ) -> None:
        production = create_app(settings.model_copy(update={"env": Environment.production}))
        transport = httpx.ASGITransport(app=production)
        try:
            async with httpx.AsyncClient(
                transport=transport, base_url="https://registry.test"
            ) as https:
                response = await sign_in(https, officer.username, PASSWORD)
                assert response.status_code == 303
                cookies = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
                session = next(c for c in cookies if c.startswith("console_session="))
                assert "Secure" in session
        finally:
            await production.state.engine.dispose()

    async def test_wrong_password_is_refused_audited_and_throttled_as_the_api_does(
        self, client: httpx.AsyncClient, officer: Staff, admin: Staff
    ) -> None:
        for _ in range(5):
            refused = await sign_in(client, officer.username, "not-the-password")
            assert refused.status_code == 401
            assert "Incorrect username or password." in refused.text
        throttled = await sign_in(client, officer.username, PASSWORD)
        assert throttled.status_code == 429
        assert "Retry-After" in throttled.headers
        failures = await audit_events(client, admin.headers, action="login_failed")
        assert [event["entity_id"] for event in failures] == [officer.id] * 5

    async def test_an_account_without_its_confidentiality_commitment_cannot_sign_in(
        self, client: httpx.AsyncClient, create_staff: CreateStaff
    ) -> None:
        uncommitted = await create_staff(Role.staff, committed=False, login=False)
        refused = await sign_in(client, uncommitted.username, PASSWORD)
        # The password was right: the refusal says what is missing, as the API's does.
        assert refused.status_code == 403
        assert "confidentiality" in refused.text.lower()
        assert "console_session" not in client.cookies

    async def test_a_sign_in_form_from_elsewhere_is_refused(
        self, client: httpx.AsyncClient, officer: Staff
    ) -> None:
        response = await client.post(
            "/console/sign-in", data={"username": officer.username, "password": PASSWORD}
        )
        assert response.status_code == 403
        assert "console_session" not in client.cookies

    async def test_pages_without_a_session_lead_to_sign_in(self, client: httpx.AsyncClient) -> None:
        for path in ("/console/", "/console/customers", "/console/audit", "/console/admin"):
            response = await client.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"] == "/console/sign-in"

    async def test_the_api_never_accepts_the_console_cookie(
        self, client: httpx.AsyncClient, officer: Staff, data: ConsoleData
    ) -> None:
        await signed_in(client, officer)
        token = client.cookies["console_session"]
        for path in (
            "/api/v1/customers",
            f"/api/v1/customers/{data.erasure_customer['id']}",
            "/api/v1/gdpr-requests",
        ):
            response = await client.get(path, headers={"Cookie": f"console_session={token}"})
            assert response.status_code == 401, path
            # Nor the token inside it: it is issued for the console's audience only.
            response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401, path

    async def test_a_signed_out_session_cookie_is_refused(
        self, client: httpx.AsyncClient, officer: Staff
    ) -> None:
        await signed_in(client, officer)
        token = client.cookies["console_session"]
        today = await client.get("/console/")
        signed_out = await client.post("/console/sign-out", data={"csrf_token": csrf_of(today)})
        assert signed_out.status_code == 303
        client.cookies.clear()
        replayed = await client.get("/console/", headers={"Cookie": f"console_session={token}"})
        assert replayed.status_code == 303
        assert replayed.headers["location"] == "/console/sign-in"
        # The token itself is revoked, as an API logout revokes it.
        api = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 401

    async def test_an_idle_session_ends_on_the_server(
        self, client: httpx.AsyncClient, officer: Staff, database_url: str
    ) -> None:
        await signed_in(client, officer)
        token = client.cookies["console_session"]
        await execute_sql(
            database_url,
            "UPDATE console_sessions SET last_seen_at = :moment",
            moment=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16),
        )
        response = await client.get("/console/")
        assert response.status_code == 303
        api = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 401

    async def test_a_token_near_its_expiry_is_replaced_and_the_old_one_revoked(
        self, client: httpx.AsyncClient, app: FastAPI, officer: Staff, database_url: str
    ) -> None:
        await signed_in(client, officer)
        (console,) = [route for route in app.routes if getattr(route, "path", "") == "/console"]
        codec: TokenCodec = console.app.state.token_codec  # type: ignore[attr-defined]
        old, claims = codec.issue(
            officer.id, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
        )
        await execute_sql(
            database_url,
            "UPDATE console_sessions SET token_id = :token_id",
            token_id=claims.token_id,
        )
        client.cookies.set("console_session", old, domain="registry.test", path="/console")
        renewed = await client.get("/console/")
        assert renewed.status_code == 200
        new = client.cookies["console_session"]
        assert new != old
        assert (await client.get("/console/customers")).status_code == 200
        client.cookies.set("console_session", old, domain="registry.test", path="/console")
        assert (await client.get("/console/")).status_code == 303  # the old one is revoked

    async def test_a_disabled_account_is_signed_out(
        self, client: httpx.AsyncClient, officer: Staff, admin: Staff
    ) -> None:
        await signed_in(client, officer)
        assert (await client.get("/console/")).status_code == 200
        disabled = await client.post(f"/api/v1/users/{officer.id}/disable", headers=admin.headers)
        assert disabled.status_code == 200
        response = await client.get("/console/")
        assert response.status_code == 303
        assert response.headers["location"] == "/console/sign-in"

    async def test_the_language_is_the_sessions_choice(
        self, client: httpx.AsyncClient, officer: Staff
    ) -> None:
        await signed_in(client, officer, language="fi")
        today = await client.get("/console/")
        assert "Tänään" in today.text
        changed = await client.post(
            "/console/language",
            data={"csrf_token": csrf_of(today), "language": "en", "back": "/console/"},
        )
        assert changed.status_code == 303
        assert "<h1>Today</h1>" in (await client.get("/console/")).text


class TestForms:
    async def test_a_form_without_the_sessions_csrf_token_is_refused(
        self, client: httpx.AsyncClient, officer: Staff, data: ConsoleData
    ) -> None:
        await signed_in(client, officer)
        request_id = data.overdue_erasure["id"]
        for token in (None, "0" * 64):
            fields = {"method": "signed_letter", "letter_signed": "true"}
            if token is not None:
                fields["csrf_token"] = token
            response = await client.post(f"/console/requests/{request_id}/verify", data=fields)
            assert response.status_code == 403
        unchanged = await client.get(f"/api/v1/gdpr-requests/{request_id}", headers=officer.headers)
        assert unchanged.json()["status"] == "received"

    async def test_staff_are_refused_the_audit_and_administration_by_the_server(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        await signed_in(client, staff)
        today = await client.get("/console/")
        assert "/console/audit" not in today.text
        assert "/console/admin" not in today.text
        for path in ("/console/audit", "/console/admin", "/console/requests"):
            response = await client.get(path)
            assert response.status_code == 403, path
        token = csrf_of(today)
        for path in ("/console/audit/verify", "/console/admin/accounts"):
            response = await client.post(
                path,
                data={
                    "csrf_token": token,
                    "username": "someone",
                    "full_name": "Someone",
                    "role": "admin",
                    "password": "a-long-enough-password",
                },
            )
            assert response.status_code == 403, path


class TestCustomers:
    async def test_opening_a_persons_page_is_audited_as_the_apis_read(
        self, client: httpx.AsyncClient, officer: Staff, admin: Staff, data: ConsoleData
    ) -> None:
        customer_id = data.erasure_customer["id"]
        await signed_in(client, officer)
        page = await client.get(f"/console/customers/{customer_id}")
        assert page.status_code == 200
        assert "Lahtinen" in page.text
        assert "Kuka on käsitellyt tietoja" in page.text
        api = await client.get(f"/api/v1/customers/{customer_id}", headers=officer.headers)
        assert api.status_code == 200
        events = await audit_events(client, admin.headers, customer_id=customer_id)
        compared = ("action", "actor_type", "actor_id", "actor_role", "entity", "entity_id")
        compared += ("customer_id", "fields", "purpose")

        def written_by(response: httpx.Response) -> list[tuple[object, ...]]:
            request_id = response.headers["x-request-id"]
            return [
                tuple(event[name] for name in compared)
                for event in events
                if event["request_id"] == request_id
            ]

        (api_read,) = written_by(api)
        assert api_read[0] == "read"
        assert api_read[4] == "customer"
        assert api_read in written_by(page)

    async def test_search_lists_customers_and_records_a_prohibition(
        self, client: httpx.AsyncClient, staff: Staff, data: ConsoleData
    ) -> None:
        await signed_in(client, staff)
        found = await client.get("/console/customers", params={"q": "Korhonen"})
        assert found.status_code == 200
        customer_id = data.access_customer["id"]
        assert f"/console/customers/{customer_id}" in found.text
        page = await client.get(f"/console/customers/{customer_id}")
        recorded = await client.post(
            f"/console/customers/{customer_id}/consents",
            data={
                "csrf_token": csrf_of(page),
                "purpose": "direct_advertising",
                "decision": "forbidden",
                "channel": "email",
                "evidence": "Sähköposti 3.12.",
            },
        )
        assert recorded.status_code == 303
        ledger = await client.get(
            f"/api/v1/customers/{customer_id}/consents", headers=staff.headers
        )
        states = {state["purpose"]: state["decision"] for state in ledger.json()["state"]}
        assert states["direct_advertising"] == "forbidden"
        history = ledger.json()["history"]["items"]
        assert any(
            item["channel"] == "email" and item["evidence"] == "Sähköposti 3.12."
            for item in history
        )


class TestRequests:
    async def test_verify_see_blockers_complete_a_partial_erasure_and_print_the_letter(
        self, client: httpx.AsyncClient, officer: Staff, data: ConsoleData
    ) -> None:
        request_id = data.overdue_erasure["id"]
        await signed_in(client, officer)
        page = await client.get(f"/console/requests/{request_id}")
        assert "Laskua ei ole maksettu" in page.text  # the open invoice blocks erasure
        assert "Kirjanpitolaki" in page.text
        verified = await client.post(
            f"/console/requests/{request_id}/verify",
            data={"csrf_token": csrf_of(page), "method": "signed_letter", "letter_signed": "true"},
        )
        assert verified.status_code == 303
        page = await client.get(f"/console/requests/{request_id}")
        completed = await client.post(
            f"/console/requests/{request_id}/complete", data={"csrf_token": csrf_of(page)}
        )
        assert completed.status_code == 303
        api = await client.get(f"/api/v1/gdpr-requests/{request_id}", headers=officer.headers)
        assert api.json()["outcome"]["result"] == "partially_erased"
        letter = await client.get(f"/console/requests/{request_id}/letter")
        assert letter.status_code == 200
        assert "Tietosuojavaltuutetun toimisto" in letter.text
        assert "sähköpostiosoite" in letter.text  # erased
        assert "Lahtinen" in letter.text  # the name stays for the invoice
        pdf = await client.get(f"/console/requests/{request_id}/letter", params={"format": "pdf"})
        assert pdf.headers["content-type"] == "application/pdf"
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        assert "Tietosuojavaltuutetun toimisto" in text
        assert "29 56 66700" in text

    async def test_a_refusal_letter_is_in_the_requesters_language_with_the_ombudsman(
        self, client: httpx.AsyncClient, officer: Staff, data: ConsoleData
    ) -> None:
        request_id = data.due_soon_access["id"]
        await signed_in(client, officer)
        page = await client.get(f"/console/requests/{request_id}")
        refused = await client.post(
            f"/console/requests/{request_id}/refuse",
            data={"csrf_token": csrf_of(page), "reasons": "The identity could not be verified."},
        )
        assert refused.status_code == 303
        letter = await client.get(f"/console/requests/{request_id}/letter")
        assert '<html lang="en">' in letter.text
        assert "Office of the Data Protection Ombudsman" in letter.text
        assert "The identity could not be verified." in letter.text

    async def test_a_letter_to_a_person_abroad_carries_the_country(
        self, client: httpx.AsyncClient, officer: Staff
    ) -> None:
        abroad = await create_customer(
            client,
            officer.headers,
            customer_body(
                address={
                    "street": "Storgatan 1",
                    "postal_code": "11122",
                    "city": "Stockholm",
                    "country": "SE",
                },
                language="en",
            ),
        )
        request = await submit(
            client,
            officer.headers,
            type="access",
            customer_id=abroad["id"],
            channel="email",
            language="en",
        )
        await signed_in(client, officer)
        page = await client.get(f"/console/requests/{request['id']}")
        refused = await client.post(
            f"/console/requests/{request['id']}/refuse",
            data={"csrf_token": csrf_of(page), "reasons": "The identity could not be verified."},
        )
        assert refused.status_code == 303
        letter = await client.get(f"/console/requests/{request['id']}/letter")
        # As a mailing label: the country line outside Finland.
        assert "Storgatan 1<br>11122 Stockholm<br>SE<br></address>" in letter.text

    async def test_an_extension_is_allowed_once_and_the_refusal_is_the_services(
        self, client: httpx.AsyncClient, officer: Staff, data: ConsoleData
    ) -> None:
        request_id = data.new_objection["id"]
        await signed_in(client, officer)
        page = await client.get(f"/console/requests/{request_id}")
        fields = {"csrf_token": csrf_of(page), "months": "2", "reason": "Laaja selvitys."}
        first = await client.post(f"/console/requests/{request_id}/extend", data=fields)
        assert first.status_code == 303
        second = await client.post(f"/console/requests/{request_id}/extend", data=fields)
        assert second.status_code == 409
        assert "The deadline has already been extended once." in second.text
        letter = await client.get(
            f"/console/requests/{request_id}/letter", params={"kind": "extension"}
        )
        assert "Laaja selvitys." in letter.text
        assert "12 artiklan 3 kohdan" in letter.text

    async def test_register_a_request_received_by_letter(
        self, client: httpx.AsyncClient, officer: Staff, data: ConsoleData
    ) -> None:
        await signed_in(client, officer)
        form = await client.get("/console/requests/new")
        created = await client.post(
            "/console/requests",
            data={
                "csrf_token": csrf_of(form),
                "type": "access",
                "channel": "letter",
                "language": "en",
                "customer_id": data.contact_person["id"],
                "signed_letter": "true",
                "reference": "KIRJE-2026-041",
                "received_on": today_in_finland().isoformat(),
            },
        )
        assert created.status_code == 303
        request_id = created.headers["location"].rsplit("/", 1)[-1]
        api = await client.get(f"/api/v1/gdpr-requests/{request_id}", headers=officer.headers)
        received = dt.datetime.fromisoformat(api.json()["received_at"])
        assert received.astimezone(FINNISH_TIME).date() == today_in_finland()
        assert received.astimezone(FINNISH_TIME).time() == dt.time()
        assert api.json()["due_on"] == add_months(today_in_finland(), 1).isoformat()
        assert api.json()["channel"] == "letter"
        assert api.json()["signed"] is True
        assert api.json()["details"]["reference"] == "KIRJE-2026-041"
        page = await client.get(f"/console/requests/{request_id}")
        assert "KIRJE-2026-041" in page.text

    @pytest.mark.parametrize("received_on", ["2026-02-30", "tomorrow"])
    async def test_a_receipt_date_that_is_no_date_is_refused(
        self, client: httpx.AsyncClient, officer: Staff, data: ConsoleData, received_on: str
    ) -> None:
        await signed_in(client, officer)
        form = await client.get("/console/requests/new")
        if received_on == "tomorrow":
            received_on = (today_in_finland() + dt.timedelta(days=1)).isoformat()
        refused = await client.post(
            "/console/requests",
            data={
                "csrf_token": csrf_of(form),
                "type": "access",
                "channel": "letter",
                "language": "en",
                "customer_id": data.contact_person["id"],
                "received_on": received_on,
            },
        )
        assert refused.status_code == 422
        assert "received" in refused.text.lower()

    async def test_an_unsigned_letter_cannot_be_verified_and_the_page_says_why(
        self, client: httpx.AsyncClient, officer: Staff, data: ConsoleData
    ) -> None:
        await signed_in(client, officer)
        form = await client.get("/console/requests/new")
        created = await client.post(
            "/console/requests",
            data={
                "csrf_token": csrf_of(form),
                "type": "erasure",
                "channel": "letter",
                "language": "fi",
                "customer_id": data.contact_person["id"],
            },
        )
        request_id = created.headers["location"].rsplit("/", 1)[-1]
        page = await client.get(f"/console/requests/{request_id}")
        refused = await client.post(
            f"/console/requests/{request_id}/verify",
            data={"csrf_token": csrf_of(page), "method": "signed_letter"},
        )
        assert refused.status_code == 422
        assert "A written request must be signed" in refused.text


class TestExportsAuditAdministration:
    async def test_labels_left_out_are_counted_by_reason(
        self, client: httpx.AsyncClient, officer: Staff, data: ConsoleData
    ) -> None:
        await signed_in(client, officer)
        page = await client.get("/console/exports")
        assert page.status_code == 200
        assert "kieltänyt luovutuksen tai suoramainonnan</th><td>1</td>" in page.text
        assert "Tarroille tulee</th><td>2</td>" in page.text
        labels = await client.get("/console/exports/mailing-labels", params={"format": "csv"})
        assert labels.status_code == 200
        assert "Lahtinen" in labels.text
        assert "Korhonen" not in labels.text

    async def test_a_chain_verification_is_run_recorded_and_shown_on_today(
        self, client: httpx.AsyncClient, officer: Staff
    ) -> None:
        await signed_in(client, officer)
        audit = await client.get("/console/audit", params={"action": "login"})
        assert audit.status_code == 200
        verified = await client.post("/console/audit/verify", data={"csrf_token": csrf_of(audit)})
        assert verified.status_code == 200
        assert "eheä" in verified.text
        today = await client.get("/console/")
        assert "eheä" in today.text

    async def test_an_admin_creates_an_account_and_a_key_shown_once(
        self, client: httpx.AsyncClient, admin: Staff
    ) -> None:
        await signed_in(client, admin)
        page = await client.get("/console/admin")
        created = await client.post(
            "/console/admin/accounts",
            data={
                "csrf_token": csrf_of(page),
                "username": "tiina.testaaja",
                "full_name": "Tiina Testaaja",
                "role": "staff",
                "password": "a-long-enough-password",
            },
        )
        assert created.status_code == 303
        page = await client.get("/console/admin")
        assert "tiina.testaaja" in page.text
        recipient = await client.post(
            "/console/admin/recipients",
            data={
                "csrf_token": csrf_of(page),
                "name": "Talouskumppani Oy",
                "country": "FI",
                "role": "finance_partner",
            },
        )
        assert recipient.status_code == 303, recipient.text
        page = await client.get("/console/admin")
        recipient_id = page.text.split("/console/admin/recipients/")[1].split("/")[0]
        key = await client.post(
            f"/console/admin/recipients/{recipient_id}/keys",
            data={
                "csrf_token": csrf_of(page),
                "name": "Laskutus",
                "scopes": ["billing:read"],
                "purposes": ["invoicing"],
            },
        )
        assert key.status_code == 200
        secret = key.text.split('id="created-key">')[1].split("<")[0]
        assert secret.startswith("crk_")
        assert secret not in (await client.get("/console/admin")).text
        billing = await client.get("/api/v1/billing/invoices", headers={"X-API-Key": secret})
        assert billing.status_code != 401


async def test_a_restricted_persons_page_asks_the_officer_for_a_purpose(
    client: httpx.AsyncClient, officer: Staff, staff: Staff
) -> None:
    from tests.factories import customer_body

    customer = await create_customer(client, staff.headers, customer_body())
    restricted = await client.put(
        f"/api/v1/customers/{customer['id']}/restriction",
        json={"reason": "Tietojen oikeellisuus kiistetty"},
        headers=officer.headers,
    )
    assert restricted.status_code in (200, 201), restricted.text
    await signed_in(client, officer)
    asked = await client.get(f"/console/customers/{customer['id']}")
    assert asked.status_code == 403
    assert 'name="purpose"' in asked.text
    page = await client.get(
        f"/console/customers/{customer['id']}", params={"purpose": "legal_claims"}
    )
    assert page.status_code == 200


async def test_the_access_report_and_the_portability_archive_are_given_once_verified(
    client: httpx.AsyncClient, officer: Staff, data: ConsoleData
) -> None:
    await signed_in(client, officer)
    access_id = data.due_soon_access["id"]
    early = await client.get(f"/console/requests/{access_id}/access-report")
    assert early.status_code == 409
    assert "identity must be verified first." in early.text
    page = await client.get(f"/console/requests/{access_id}")
    await client.post(
        f"/console/requests/{access_id}/verify",
        data={"csrf_token": csrf_of(page), "method": "registered_email_address"},
    )
    report = await client.get(f"/console/requests/{access_id}/access-report")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/html")
    assert "Korhonen" in report.text
    form = await client.get("/console/requests/new")
    created = await client.post(
        "/console/requests",
        data={
            "csrf_token": csrf_of(form),
            "type": "portability",
            "channel": "email",
            "language": "fi",
            "customer_id": data.access_customer["id"],
        },
    )
    portability_id = created.headers["location"].rsplit("/", 1)[-1]
    page = await client.get(f"/console/requests/{portability_id}")
    await client.post(
        f"/console/requests/{portability_id}/verify",
        data={"csrf_token": csrf_of(page), "method": "registered_email_address"},
    )
    archive = await client.get(f"/console/requests/{portability_id}/portability-archive")
    assert archive.status_code == 200
    assert archive.headers["content-type"] == "application/zip"
    assert archive.content.startswith(b"PK")
