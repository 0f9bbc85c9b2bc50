"""Every route of the app with every kind of caller: nobody gets in where they should not.

The test walks the routes of the running app, so a route added later is covered the moment
it exists: add it to EXPECTED (test_every_route_has_an_expectation fails until you do).
Until then it is treated as staff-only, so anonymous callers and API keys must be refused.

For each route and caller the request uses real ids (a customer with an invoiced order, a
user, a recipient and key that are not the callers themselves) and an empty JSON body, so
an allowed caller gets a 2xx or a validation error, never 401/403, and a refused caller gets
exactly 401 or 403: never a 2xx, a 404 that reveals a record, or a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from customer_registry.models import Role
from tests.factories import (
    ALL_PURPOSES,
    FINANCE_SCOPES,
    WEB_SHOP_SCOPES,
    CreateStaff,
    Staff,
    create_api_key,
    create_customer,
    create_order,
    create_recipient,
    customer_body,
    order_body,
)

pytestmark = pytest.mark.anyio

# The kinds of caller.
ANONYMOUS = "anonymous"
STAFF = "staff"
PRIVACY_OFFICER = "privacy_officer"
ADMIN = "admin"
WEB_SHOP = "web_shop_key"
FINANCE = tuple(f"finance_key:{purpose}" for purpose in ALL_PURPOSES)
EXPIRED_KEY = "expired_key"
REVOKED_KEY = "revoked_key"
# An administrator's token after its logout: refused everywhere, whatever the route.
LOGGED_OUT = "logged_out_token"

EVERYONE = frozenset({ANONYMOUS, STAFF, PRIVACY_OFFICER, ADMIN, WEB_SHOP, *FINANCE})
EVERYONE |= {EXPIRED_KEY, REVOKED_KEY, LOGGED_OUT}
ALL_STAFF = frozenset({STAFF, PRIVACY_OFFICER, ADMIN})
AUDITORS = frozenset({PRIVACY_OFFICER, ADMIN})
ADMINS = frozenset({ADMIN})
FINANCE_KEYS = frozenset(FINANCE)

# Who may use each route: (method, path) -> the callers that get past authorisation.
EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    # Public
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/readyz"): EVERYONE,
    ("GET", "/openapi.json"): EVERYONE,
    ("GET", "/docs"): EVERYONE,
    ("GET", "/docs/oauth2-redirect"): EVERYONE,
    ("GET", "/redoc"): EVERYONE,
    ("POST", "/api/v1/auth/token"): EVERYONE,
    ("POST", "/api/v1/auth/logout"): ALL_STAFF,
    # Staff accounts
    ("GET", "/api/v1/users/me"): ALL_STAFF,
    ("POST", "/api/v1/users"): ADMINS,
    ("GET", "/api/v1/users"): ADMINS,
    ("GET", "/api/v1/users/{user_id}"): ADMINS,
    ("POST", "/api/v1/users/{user_id}/disable"): ADMINS,
    ("POST", "/api/v1/users/{user_id}/enable"): ADMINS,
    ("POST", "/api/v1/users/{user_id}/confidentiality-commitment"): ADMINS,
    # Customers
    ("POST", "/api/v1/customers"): ALL_STAFF | {WEB_SHOP},
    ("GET", "/api/v1/customers"): ALL_STAFF,
    ("POST", "/api/v1/customers/lookup"): ALL_STAFF | {WEB_SHOP},
    ("GET", "/api/v1/customers/{customer_id}"): ALL_STAFF,
    ("PATCH", "/api/v1/customers/{customer_id}"): ALL_STAFF | {WEB_SHOP},
    ("POST", "/api/v1/customers/{customer_id}/links"): AUDITORS,
    # Orders
    ("GET", "/api/v1/customers/{customer_id}/orders"): ALL_STAFF,
    ("POST", "/api/v1/orders"): ALL_STAFF | {WEB_SHOP},
    ("GET", "/api/v1/orders"): ALL_STAFF,
    ("GET", "/api/v1/orders/{order_id}"): ALL_STAFF,
    ("POST", "/api/v1/orders/{order_id}/status"): ALL_STAFF | {WEB_SHOP},
    ("POST", "/api/v1/orders/{order_id}/invoice-status"): ALL_STAFF | FINANCE_KEYS,
    ("GET", "/api/v1/orders/{order_id}/invoice-history"): ALL_STAFF,
    # The finance partner's billing view
    ("GET", "/api/v1/billing/invoices"): FINANCE_KEYS,
    ("GET", "/api/v1/billing/customers/{customer_id}"): FINANCE_KEYS,
    ("GET", "/api/v1/billing/customers/{customer_id}/orders"): FINANCE_KEYS,
    ("GET", "/api/v1/billing/orders/{order_id}"): FINANCE_KEYS,
    # Recipients and their keys
    ("POST", "/api/v1/recipients"): ADMINS,
    ("GET", "/api/v1/recipients"): ADMINS,
    ("GET", "/api/v1/recipients/{recipient_id}"): ADMINS,
    ("PATCH", "/api/v1/recipients/{recipient_id}"): ADMINS,
    ("POST", "/api/v1/recipients/{recipient_id}/api-keys"): ADMINS,
    ("GET", "/api/v1/recipients/{recipient_id}/api-keys"): ADMINS,
    ("POST", "/api/v1/recipients/{recipient_id}/api-keys/{key_id}/revoke"): ADMINS,
    ("POST", "/api/v1/recipients/{recipient_id}/api-keys/{key_id}/rotate"): ADMINS,
    # The audit trail and the disclosure log
    ("GET", "/api/v1/audit-events"): AUDITORS,
    ("GET", "/api/v1/disclosures"): AUDITORS,
    # Consents (the web shop records what the customer chose), restriction, exports,
    # statistics and address updates
    ("GET", "/api/v1/customers/{customer_id}/consents"): ALL_STAFF,
    ("POST", "/api/v1/customers/{customer_id}/consents"): ALL_STAFF | {WEB_SHOP},
    ("GET", "/api/v1/customers/{customer_id}/restriction"): AUDITORS,
    ("PUT", "/api/v1/customers/{customer_id}/restriction"): AUDITORS,
    ("DELETE", "/api/v1/customers/{customer_id}/restriction"): AUDITORS,
    ("GET", "/api/v1/exports/mailing-labels"): AUDITORS,
    ("GET", "/api/v1/statistics/customers"): ALL_STAFF,
    ("GET", "/api/v1/statistics/orders"): ALL_STAFF,
    ("POST", "/api/v1/address-updates"): ADMINS,
    # Rectified and erased customers, for the recipients that hold their data (Art. 19)
    ("GET", "/api/v1/recipient-notices"): FINANCE_KEYS | {WEB_SHOP},
    ("POST", "/api/v1/recipient-notices/{notice_id}/acknowledge"): FINANCE_KEYS | {WEB_SHOP},
    # Data-subject requests: registered by staff and the web shop, handled by the privacy
    # officer
    ("POST", "/api/v1/gdpr-requests"): ALL_STAFF | {WEB_SHOP},
    ("GET", "/api/v1/gdpr-requests"): AUDITORS,
    ("GET", "/api/v1/gdpr-requests/{request_id}"): AUDITORS,
    ("POST", "/api/v1/gdpr-requests/{request_id}/verify"): AUDITORS,
    ("POST", "/api/v1/gdpr-requests/{request_id}/extend"): AUDITORS,
    ("POST", "/api/v1/gdpr-requests/{request_id}/complete"): AUDITORS,
    ("POST", "/api/v1/gdpr-requests/{request_id}/refuse"): AUDITORS,
    ("GET", "/api/v1/gdpr-requests/{request_id}/access-report"): AUDITORS,
    ("GET", "/api/v1/gdpr-requests/{request_id}/portability-archive"): AUDITORS,
    ("POST", "/api/v1/retention/runs"): ADMINS,
    ("GET", "/api/v1/privacy-notice"): EVERYONE,
    # Guarded by its own scrape token (and absent, 404, without one).
    ("GET", "/metrics"): EVERYONE,
}
# Routes that end the caller's session run after every other route.
SESSION_ENDING = frozenset({("POST", "/api/v1/auth/logout")})
# A route nobody has classified yet is held to this: no anonymous caller, no API key.
UNLISTED_ROUTE = ALL_STAFF


def app_routes(app: Any) -> list[tuple[str, str]]:
    """Every (method, path) the app serves; HEAD mirrors GET, static files are left out."""
    routes = set()
    for route in iter_route_contexts(app.routes):
        if route.methods is None or route.path_format is None:
            continue  # a mount (the offline docs' static files)
        for method in route.methods:
            if method != "HEAD":
                # The path as documented, without convertors.
                routes.add((method, route.path_format))
    return sorted(routes, key=lambda route: (route[1], route[0]))


@dataclass
class Fixtures:
    headers: dict[str, dict[str, str]]
    path_values: dict[str, str]


@pytest.fixture
async def fixtures(client: httpx.AsyncClient, create_staff: CreateStaff, admin: Staff) -> Fixtures:
    staff = await create_staff(Role.staff)
    privacy_officer = await create_staff(Role.privacy_officer)
    target_user = await create_staff(Role.staff, login=False)
    logged_out = await create_staff(Role.admin)
    logout = await client.post("/api/v1/auth/logout", headers=logged_out.headers)
    assert logout.status_code == 204

    shop = await create_recipient(client, admin.headers, name="Kauppa Oy", role="web_shop_operator")
    web_shop = await create_api_key(client, admin.headers, shop["id"], scopes=WEB_SHOP_SCOPES)
    finance = await create_recipient(client, admin.headers)
    finance_key = await create_api_key(
        client, admin.headers, finance["id"], scopes=FINANCE_SCOPES, purposes=ALL_PURPOSES
    )
    finance_headers = {"X-API-Key": finance_key["key"]}
    expired = await create_api_key(
        client, admin.headers, finance["id"], scopes=FINANCE_SCOPES, purposes=["invoicing"]
    )
    # Rotating with no overlap ends the old key at once: a key past its end.
    rotated = await client.post(
        f"/api/v1/recipients/{finance['id']}/api-keys/{expired['id']}/rotate",
        json={"old_key_valid_for_hours": 0},
        headers=admin.headers,
    )
    assert rotated.status_code == 201
    revoked = await create_api_key(
        client, admin.headers, finance["id"], scopes=FINANCE_SCOPES, purposes=["invoicing"]
    )
    revoke = await client.post(
        f"/api/v1/recipients/{finance['id']}/api-keys/{revoked['id']}/revoke",
        headers=admin.headers,
    )
    assert revoke.status_code == 200
    # The target of key management routes is a key no caller uses.
    target_recipient = await create_recipient(client, admin.headers, name="Kohde Oy")
    target_key = await create_api_key(
        client, admin.headers, target_recipient["id"], purposes=["invoicing"]
    )

    customer = await create_customer(client, staff.headers, customer_body())
    order = await create_order(client, staff.headers, order_body(customer["id"]))
    request = await client.post(
        "/api/v1/gdpr-requests",
        json={"type": "access", "customer_id": customer["id"], "channel": "email"},
        headers=staff.headers,
    )
    assert request.status_code == 201

    headers = {
        ANONYMOUS: {},
        STAFF: staff.headers,
        PRIVACY_OFFICER: privacy_officer.headers,
        ADMIN: admin.headers,
        WEB_SHOP: {"X-API-Key": web_shop["key"]},
        EXPIRED_KEY: {"X-API-Key": expired["key"]},
        REVOKED_KEY: {"X-API-Key": revoked["key"]},
        LOGGED_OUT: logged_out.headers,
    }
    for name, purpose in zip(FINANCE, ALL_PURPOSES, strict=True):
        headers[name] = {**finance_headers, "X-Purpose": purpose}
    return Fixtures(
        headers=headers,
        path_values={
            "customer_id": customer["id"],
            "order_id": order["id"],
            "user_id": target_user.id,
            "recipient_id": target_recipient["id"],
            "key_id": target_key["id"],
            "request_id": request.json()["id"],
            "notice_id": "1",
        },
    )


async def test_every_route_has_an_expectation(app: Any) -> None:
    unlisted = [route for route in app_routes(app) if route not in EXPECTED]
    assert unlisted == [], "add these routes to EXPECTED in tests/test_authorization_matrix.py"
    stale = [route for route in EXPECTED if route not in app_routes(app)]
    assert stale == [], "these routes no longer exist"


async def test_no_caller_gets_past_a_route_it_should_not(
    app: Any, client: httpx.AsyncClient, fixtures: Fixtures
) -> None:
    unexpected: list[str] = []
    for method, path in sorted(app_routes(app), key=lambda route: route in SESSION_ENDING):
        allowed = EXPECTED.get((method, path), UNLISTED_ROUTE)
        url = path.format(**fixtures.path_values)
        body = {} if method in {"POST", "PATCH", "PUT"} else None
        for caller, headers in fixtures.headers.items():
            response = await client.request(method, url, json=body, headers=headers)
            status = response.status_code
            if caller in allowed:
                if status in (401, 403) or status >= 500:
                    unexpected.append(f"{caller} {method} {path}: {status}, expected access")
            elif status not in (401, 403):
                unexpected.append(f"{caller} {method} {path}: {status}, expected 401 or 403")
    assert unexpected == []
