"""The processing policy over HTTP: every operation that touches a person, in every state of
the person, for every kind of caller, answers as the policy table says.

The operations come from the OpenAPI document: each must be mapped to a policy operation
(`PERSON_OPERATIONS`) or named as touching no person (`NO_PERSON`), so that a route added
later without a rule fails `test_every_operation_of_the_document_is_classified`. Callers
that the route's permissions refuse (`tests.test_authorization_matrix.EXPECTED`) are left to
that test; here every caller that gets past them must meet the policy's decision: a refusal
with its problem type and status, or an answer that no policy refusal stopped (2xx for the
requests built to succeed).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from customer_registry.config import Settings
from customer_registry.gdpr_requests.deadlines import today_in_finland
from customer_registry.orders.schemas import BILLING_CUSTOMER_FIELDS, ORDER_FIELDS
from customer_registry.policy import Caller, Operation, State, decide, policy_table_markdown
from customer_registry.policy.rules import (
    PURPOSE_ORDER_FIELDS,
    CustomerErased,
    CustomerNotLinked,
    CustomerRestricted,
    CustomerRestrictedConflict,
    FieldsNotAllowed,
    NoRule,
)
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
    execute_sql,
    is_postgres,
    key_headers,
    link_customer,
    order_body,
)
from tests.test_authorization_matrix import ADMIN as ADMIN_CALLER
from tests.test_authorization_matrix import (
    EXPECTED,
    FINANCE,
    PRIVACY_OFFICER,
    STAFF,
    WEB_SHOP,
)

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = "/api/v1/gdpr-requests"
POLICY_PROBLEMS = {
    problem.code
    for problem in (
        CustomerErased,
        CustomerNotLinked,
        CustomerRestricted,
        CustomerRestrictedConflict,
        FieldsNotAllowed,
        NoRule,
    )
}

# Every operation of the document that uses a person's data, and the policy operation it is.
PERSON_OPERATIONS: dict[tuple[str, str], Operation] = {
    ("POST", "/api/v1/customers"): Operation.customer_create,
    ("GET", "/api/v1/customers"): Operation.customer_list,
    ("POST", "/api/v1/customers/lookup"): Operation.customer_lookup,
    ("GET", "/api/v1/customers/{customer_id}"): Operation.customer_read,
    ("PATCH", "/api/v1/customers/{customer_id}"): Operation.customer_rectify,
    ("POST", "/api/v1/customers/{customer_id}/links"): Operation.customer_rectify,
    ("GET", "/api/v1/customers/{customer_id}/orders"): Operation.order_read,
    ("GET", "/api/v1/customers/{customer_id}/consents"): Operation.consent_read,
    ("POST", "/api/v1/customers/{customer_id}/consents"): Operation.consent_record,
    ("GET", "/api/v1/customers/{customer_id}/restriction"): Operation.restriction_manage,
    ("PUT", "/api/v1/customers/{customer_id}/restriction"): Operation.restriction_manage,
    ("DELETE", "/api/v1/customers/{customer_id}/restriction"): Operation.restriction_manage,
    ("POST", "/api/v1/orders"): Operation.order_create,
    ("GET", "/api/v1/orders"): Operation.order_read,
    ("GET", "/api/v1/orders/{order_id}"): Operation.order_read,
    ("POST", "/api/v1/orders/{order_id}/status"): Operation.order_change,
    ("POST", "/api/v1/orders/{order_id}/invoice-status"): Operation.invoice_change,
    ("GET", "/api/v1/orders/{order_id}/invoice-history"): Operation.order_read,
    ("GET", "/api/v1/billing/invoices"): Operation.billing_disclose,
    ("GET", "/api/v1/billing/customers/{customer_id}"): Operation.billing_disclose,
    ("GET", "/api/v1/billing/customers/{customer_id}/orders"): Operation.billing_disclose,
    ("GET", "/api/v1/billing/orders/{order_id}"): Operation.billing_disclose,
    ("GET", "/api/v1/recipient-notices"): Operation.recipient_notice,
    ("POST", "/api/v1/recipient-notices/{notice_id}/acknowledge"): Operation.recipient_notice,
    ("GET", "/api/v1/exports/mailing-labels"): Operation.labels_export,
    ("GET", "/api/v1/statistics/customers"): Operation.statistics,
    ("GET", "/api/v1/statistics/orders"): Operation.statistics,
    ("POST", "/api/v1/gdpr-requests"): Operation.request_submit,
    ("GET", "/api/v1/gdpr-requests"): Operation.request_handle,
    ("GET", "/api/v1/gdpr-requests/{request_id}"): Operation.request_handle,
    ("POST", "/api/v1/gdpr-requests/{request_id}/verify"): Operation.request_handle,
    ("POST", "/api/v1/gdpr-requests/{request_id}/extend"): Operation.request_handle,
    ("POST", "/api/v1/gdpr-requests/{request_id}/complete"): Operation.request_handle,
    ("POST", "/api/v1/gdpr-requests/{request_id}/refuse"): Operation.request_handle,
    ("GET", "/api/v1/gdpr-requests/{request_id}/access-report"): Operation.access_report,
    ("GET", "/api/v1/gdpr-requests/{request_id}/portability-archive"): Operation.portability,
    ("POST", "/api/v1/retention/runs"): Operation.retention,
    ("POST", "/api/v1/address-updates"): Operation.address_update,
    ("GET", "/api/v1/audit-events"): Operation.audit_read,
    ("GET", "/api/v1/disclosures"): Operation.audit_read,
}
# Operations that use no person's data: accounts, recipients and keys, the register's own
# documents and health.
NO_PERSON = frozenset(
    {
        ("POST", "/api/v1/auth/token"),
        ("POST", "/api/v1/auth/logout"),
        ("GET", "/api/v1/users/me"),
        ("POST", "/api/v1/users"),
        ("GET", "/api/v1/users"),
        ("GET", "/api/v1/users/{user_id}"),
        ("POST", "/api/v1/users/{user_id}/disable"),
        ("POST", "/api/v1/users/{user_id}/enable"),
        ("POST", "/api/v1/users/{user_id}/confidentiality-commitment"),
        ("POST", "/api/v1/recipients"),
        ("GET", "/api/v1/recipients"),
        ("GET", "/api/v1/recipients/{recipient_id}"),
        ("PATCH", "/api/v1/recipients/{recipient_id}"),
        ("POST", "/api/v1/recipients/{recipient_id}/api-keys"),
        ("GET", "/api/v1/recipients/{recipient_id}/api-keys"),
        ("POST", "/api/v1/recipients/{recipient_id}/api-keys/{key_id}/revoke"),
        ("POST", "/api/v1/recipients/{recipient_id}/api-keys/{key_id}/rotate"),
        ("GET", "/api/v1/privacy-notice"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
    }
)
# The states a subject is put in, each as its own customer.
STATES = (
    State.active,
    State.relationship_ended,
    State.objected,
    State.restricted,
    State.partially_erased,
    State.erased,
)
# The callers, as the authorisation matrix names them, and as the policy knows them.
CALLERS: dict[str, Caller] = {
    STAFF: Caller.staff,
    PRIVACY_OFFICER: Caller.privacy_officer,
    ADMIN_CALLER: Caller.admin,
    WEB_SHOP: Caller.web_shop,
    "web_shop_key:unlinked": Caller.web_shop,
    **{name: Caller(name.replace("finance_key:", "finance:")) for name in FINANCE},
}


def document_operations() -> list[tuple[str, str]]:
    document = json.loads((ROOT / "openapi" / "openapi.json").read_text())
    return sorted(
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    )


def test_every_operation_of_the_document_is_classified() -> None:
    unclassified = [
        operation
        for operation in document_operations()
        if operation not in PERSON_OPERATIONS and operation not in NO_PERSON
    ]
    assert unclassified == [], "give these a policy operation in PERSON_OPERATIONS"
    assert set(PERSON_OPERATIONS) | NO_PERSON == set(document_operations())


def test_readme_carries_the_policy_table() -> None:
    readme = (ROOT / "README.md").read_text()
    assert policy_table_markdown() in readme, "paste `customer-registry policy` into the README"


@dataclass
class Subject:
    state: State
    customer: dict[str, Any]
    open_order: dict[str, Any]
    claimed_order: dict[str, Any]
    access_request: str
    portability_request: str
    last_name: str


@dataclass
class World:
    client: httpx.AsyncClient
    database_url: str
    headers: dict[str, dict[str, str]]
    subjects: dict[State, Subject] = field(default_factory=dict)
    shop_recipient: str = ""
    checked: Counter[str] = field(default_factory=Counter)


async def _subject(world: World, state: State, officer: Staff, staff: Staff) -> Subject:
    client = world.client
    last_name = f"Tila{state.value.replace('_', '')}{uuid.uuid4().hex[:6]}"
    customer = await create_customer(
        client, staff.headers, customer_body(last_name=last_name, email=f"{last_name}@example.fi")
    )
    await link_customer(client, officer.headers, customer["id"], world.shop_recipient)
    open_order = await create_order(client, staff.headers, order_body(customer["id"]))
    claimed_order = await create_order(client, staff.headers, order_body(customer["id"]))
    moved = await client.post(
        f"/api/v1/orders/{claimed_order['id']}/invoice-status",
        json={"status": "in_collection"},
        headers={**staff.headers, "If-Match": '"1"'},
    )
    assert moved.status_code == 200, moved.text
    requests = []
    for request_type in ("access", "portability"):
        submitted = await client.post(
            REQUESTS,
            json={"type": request_type, "customer_id": customer["id"], "channel": "email"},
            headers=staff.headers,
        )
        assert submitted.status_code == 201, submitted.text
        verified = await client.post(
            f"{REQUESTS}/{submitted.json()['id']}/verify",
            json={"method": "registered_email_address"},
            headers=officer.headers,
        )
        assert verified.status_code == 200, verified.text
        requests.append(submitted.json()["id"])
    await _put_in_state(world, customer, state, officer)
    return Subject(state, customer, open_order, claimed_order, requests[0], requests[1], last_name)


async def _put_in_state(
    world: World, customer: dict[str, Any], state: State, officer: Staff
) -> None:
    key = customer["id"] if is_postgres() else uuid.UUID(customer["id"]).hex
    moment = dt.datetime.now(dt.UTC)
    now: object = moment if is_postgres() else moment.replace(tzinfo=None).isoformat(sep=" ")
    if state is State.relationship_ended:
        await execute_sql(
            world.database_url,
            "UPDATE customers SET relationship_ended_on = :day WHERE id = :id",
            day=today_in_finland() - dt.timedelta(days=1),
            id=key,
        )
    elif state is State.objected:
        forbidden = await world.client.post(
            f"/api/v1/customers/{customer['id']}/consents",
            json={"purpose": "listing", "decision": "forbidden", "channel": "customer_service"},
            headers=officer.headers,
        )
        assert forbidden.status_code == 201, forbidden.text
    elif state is State.restricted:
        restricted = await world.client.put(
            f"/api/v1/customers/{customer['id']}/restriction",
            json={"reason": "The accuracy is contested.", "ground": "accuracy_contested"},
            headers=officer.headers,
        )
        assert restricted.status_code == 200, restricted.text
    elif state is State.partially_erased:
        await execute_sql(
            world.database_url,
            "UPDATE customers SET restricted_at = :now, erasure_requested_at = :now, "
            "email = NULL, email_normalized = NULL, phone = NULL WHERE id = :id",
            now=now,
            id=key,
        )
    elif state is State.erased:
        await execute_sql(
            world.database_url,
            "UPDATE customers SET erased_at = :now, first_name = NULL, last_name = NULL, "
            "email = NULL, email_normalized = NULL, phone = NULL, street = NULL, "
            "postal_code = NULL, city = NULL WHERE id = :id",
            now=now,
            id=key,
        )


async def _version(world: World, table: str, row_id: str) -> str:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(world.database_url)
    try:
        async with engine.connect() as connection:
            version = await connection.scalar(
                text(f"SELECT version FROM {table} WHERE id = :id"),
                {"id": row_id if is_postgres() else uuid.UUID(row_id).hex},
            )
    finally:
        await engine.dispose()
    return f'"{version}"'


# How each operation on one subject is asked: method, path, and the request's extras.
Request = tuple[str, str, dict[str, Any]]
Builder = Callable[[World, Subject], Awaitable[Request]]


def _on_subject(method: str, template: str, **extra: Any) -> Builder:
    async def build(world: World, subject: Subject) -> Request:
        path = template.format(
            customer_id=subject.customer["id"],
            open_order=subject.open_order["id"],
            claimed_order=subject.claimed_order["id"],
            access=subject.access_request,
            portability=subject.portability_request,
        )
        return method, path, dict(extra)

    return build


async def _rectify(world: World, subject: Subject) -> Request:
    version = await _version(world, "customers", subject.customer["id"])
    return (
        "PATCH",
        f"/api/v1/customers/{subject.customer['id']}",
        {"json": {"phone": "+358401112233"}, "headers": {"If-Match": version}},
    )


def _order_change(suffix: str, status: str) -> Builder:
    """A change of the open order's status or invoice status, with its current version."""

    async def build(world: World, subject: Subject) -> Request:
        version = await _version(world, "orders", subject.open_order["id"])
        return (
            "POST",
            f"/api/v1/orders/{subject.open_order['id']}/{suffix}",
            {"json": {"status": status}, "headers": {"If-Match": version}},
        )

    return build


async def _new_order(world: World, subject: Subject) -> Request:
    return "POST", "/api/v1/orders", {"json": order_body(subject.customer["id"])}


async def _submit(world: World, subject: Subject) -> Request:
    body = {"type": "access", "customer_id": subject.customer["id"], "channel": "email"}
    return "POST", REQUESTS, {"json": body}


# The operations on one subject, each with its request (the invoice of `claimed_order` is
# in collection, that of `open_order` open).
SUBJECT_REQUESTS: dict[tuple[str, str], Builder] = {
    ("GET", "/api/v1/customers/{customer_id}"): _on_subject(
        "GET", "/api/v1/customers/{customer_id}"
    ),
    ("PATCH", "/api/v1/customers/{customer_id}"): _rectify,
    ("GET", "/api/v1/customers/{customer_id}/orders"): _on_subject(
        "GET", "/api/v1/customers/{customer_id}/orders"
    ),
    ("GET", "/api/v1/customers/{customer_id}/consents"): _on_subject(
        "GET", "/api/v1/customers/{customer_id}/consents"
    ),
    ("POST", "/api/v1/customers/{customer_id}/consents"): _on_subject(
        "POST",
        "/api/v1/customers/{customer_id}/consents",
        json={"purpose": "direct_marketing", "decision": "forbidden", "channel": "email"},
    ),
    ("GET", "/api/v1/customers/{customer_id}/restriction"): _on_subject(
        "GET", "/api/v1/customers/{customer_id}/restriction"
    ),
    ("POST", "/api/v1/orders"): _new_order,
    ("GET", "/api/v1/orders/{order_id}"): _on_subject("GET", "/api/v1/orders/{open_order}"),
    ("POST", "/api/v1/orders/{order_id}/status"): _order_change("status", "delivered"),
    ("GET", "/api/v1/orders/{order_id}/invoice-history"): _on_subject(
        "GET", "/api/v1/orders/{open_order}/invoice-history"
    ),
    ("GET", "/api/v1/billing/customers/{customer_id}"): _on_subject(
        "GET", "/api/v1/billing/customers/{customer_id}"
    ),
    ("GET", "/api/v1/billing/orders/{order_id}"): _on_subject(
        "GET", "/api/v1/billing/orders/{claimed_order}"
    ),
    ("POST", "/api/v1/gdpr-requests"): _submit,
    ("GET", "/api/v1/gdpr-requests/{request_id}"): _on_subject("GET", f"{REQUESTS}/{{access}}"),
    ("GET", "/api/v1/gdpr-requests/{request_id}/access-report"): _on_subject(
        "GET", f"{REQUESTS}/{{access}}/access-report"
    ),
    ("GET", "/api/v1/gdpr-requests/{request_id}/portability-archive"): _on_subject(
        "GET", f"{REQUESTS}/{{portability}}/portability-archive"
    ),
    # Last: it pays the open invoice, which the billing view of some purposes needs.
    ("POST", "/api/v1/orders/{order_id}/invoice-status"): _order_change("invoice-status", "paid"),
}
# Of the same operations, those whose rule may ask for a stated purpose, and the parameter.
STATED_PURPOSE = {"purpose": "legal_claims"}
TAKES_STATED_PURPOSE = frozenset(
    {
        ("GET", "/api/v1/customers/{customer_id}"),
        ("GET", "/api/v1/customers/{customer_id}/orders"),
        ("GET", "/api/v1/customers/{customer_id}/consents"),
        ("GET", "/api/v1/orders/{order_id}"),
        ("GET", "/api/v1/orders/{order_id}/invoice-history"),
    }
)


def _callers_of(route: tuple[str, str]) -> list[str]:
    allowed = EXPECTED[route]
    return [
        name
        for name in CALLERS
        if name in allowed or (name.startswith(WEB_SHOP) and WEB_SHOP in allowed)
    ]


def _problem_code(response: httpx.Response) -> str | None:
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return None
    return str(response.json()["type"]).rsplit("/", 1)[-1]


def _expected_invoices_ok(route: tuple[str, str], decision_invoices: Any) -> bool:
    """The billing order asked for is the claimed one (in collection)."""
    if route != ("GET", "/api/v1/billing/orders/{order_id}") or decision_invoices is None:
        return True
    return "in_collection" in {status.value for status in decision_invoices}


async def _check(
    world: World,
    route: tuple[str, str],
    subject: Subject,
    name: str,
    failures: list[str],
) -> None:
    operation = PERSON_OPERATIONS[route]
    caller = CALLERS[name]
    linked = name != "web_shop_key:unlinked"
    state = subject.state
    if state is State.objected and operation not in (Operation.labels_export,):
        state = State.active  # an objection counts only where its purposes are used
    decision = decide(caller, state, operation, linked=linked)
    method, path, extra = await SUBJECT_REQUESTS[route](world, subject)
    headers = {**world.headers[name], **extra.pop("headers", {})}
    label = f"{name} {method} {route[1]} [{subject.state.value}]"
    response = await world.client.request(method, path, headers=headers, **extra)
    code = _problem_code(response)
    world.checked[route[1]] += 1
    if not decision.allowed or not _expected_invoices_ok(route, decision.invoices):
        problem = decision.problem or CustomerRestricted
        if decision.allowed:
            problem = CustomerRestricted
        if response.status_code != problem.status_code or code != problem.code:
            failures.append(f"{label}: {response.status_code} {code}, expected {problem.code}")
        return
    if decision.needs_stated_purpose:
        if response.status_code != 403 or code != CustomerRestricted.code:
            failures.append(f"{label}: {response.status_code} without a purpose, expected 403")
        if route not in TAKES_STATED_PURPOSE:
            return
        response = await world.client.request(
            method, path, headers=headers, params=STATED_PURPOSE, **extra
        )
        code = _problem_code(response)
        world.checked[route[1]] += 1
    if response.status_code in (401, 403) or response.status_code >= 500 or code in POLICY_PROBLEMS:
        failures.append(f"{label}: {response.status_code} {code}, expected allowed")
        return
    if operation is Operation.billing_disclose and response.status_code == 200:
        _check_fields(label, caller, response.json(), decision.fields, failures)


def _check_fields(
    label: str,
    caller: Caller,
    body: dict[str, Any],
    fields: frozenset[str] | None,
    failures: list[str],
) -> None:
    """A partner receives only the fields its purpose needs."""
    customer = body.get("customer", body)
    allowed_customer = fields if fields is not None else frozenset(BILLING_CUSTOMER_FIELDS)
    sent = {name for name in BILLING_CUSTOMER_FIELDS if customer.get(name) is not None}
    if not sent <= allowed_customer:
        failures.append(f"{label}: customer fields {sorted(sent - allowed_customer)} sent")
    if "customer" in body:
        order_sent = {name for name in ORDER_FIELDS if body.get(name) is not None}
        allowed_order = PURPOSE_ORDER_FIELDS[caller]
        if not order_sent <= allowed_order:
            failures.append(f"{label}: order fields {sorted(order_sent - allowed_order)} sent")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The conftest's settings, with room for the matrix's many reports and archives."""
    return settings.model_copy(
        update={"rate_limit_exports_per_minute": 1000, "invoice_feed_delay_seconds": 0}
    )


@pytest.fixture
async def world(
    client: httpx.AsyncClient,
    database_url: str,
    create_staff: CreateStaff,
    admin: Staff,
    staff: Staff,
    privacy_officer: Staff,
) -> World:
    shop = await create_recipient(
        client, admin.headers, name="Verkkokauppa Oy", role="web_shop_operator"
    )
    shop_key = await create_api_key(client, admin.headers, shop["id"], scopes=WEB_SHOP_SCOPES)
    other_shop = await create_recipient(
        client, admin.headers, name="Toinen kauppa Oy", role="web_shop_operator"
    )
    other_key = await create_api_key(
        client, admin.headers, other_shop["id"], scopes=WEB_SHOP_SCOPES
    )
    finance = await create_recipient(client, admin.headers)
    finance_key = await create_api_key(
        client, admin.headers, finance["id"], scopes=FINANCE_SCOPES, purposes=ALL_PURPOSES
    )
    headers = {
        STAFF: staff.headers,
        PRIVACY_OFFICER: privacy_officer.headers,
        ADMIN_CALLER: admin.headers,
        WEB_SHOP: key_headers(shop_key),
        "web_shop_key:unlinked": key_headers(other_key),
        **{name: key_headers(finance_key, name.removeprefix("finance_key:")) for name in FINANCE},
    }
    built = World(client, database_url, headers, shop_recipient=shop["id"])
    for state in STATES:
        built.subjects[state] = await _subject(built, state, privacy_officer, staff)
    return built


async def test_every_operation_on_a_subject_answers_as_the_policy_decides(world: World) -> None:
    failures: list[str] = []
    combinations = 0
    for route in SUBJECT_REQUESTS:
        for state in STATES:
            for name in _callers_of(route):
                combinations += 1
                await _check(world, route, world.subjects[state], name, failures)
    assert failures == []
    print(  # noqa: T201
        f"\nprocessing policy matrix: {len(SUBJECT_REQUESTS)} operations x {len(STATES)} "
        f"states x {len(CALLERS)} callers; {combinations} combinations past the permissions, "
        f"{sum(world.checked.values())} requests checked"
    )


async def test_lists_and_feeds_hold_only_whom_the_policy_admits(world: World) -> None:
    """The bulk paths: the customer list, the order list, the invoice feed per purpose, the
    web shop's lookup, and the mailing labels."""
    client = world.client
    failures: list[str] = []
    for state, subject in world.subjects.items():
        listed_state = State.active if state is State.objected else state
        page = await client.get(
            "/api/v1/customers", params={"q": subject.last_name}, headers=world.headers[STAFF]
        )
        listed = bool(page.json()["items"]) if page.status_code == 200 else None
        expected = decide(Caller.staff, listed_state, Operation.customer_list).allowed
        if state is not State.erased and listed != expected:
            failures.append(f"customer list [{state.value}]: {listed}, expected {expected}")

        orders = await client.get(
            "/api/v1/orders", params={"limit": 200}, headers=world.headers[STAFF]
        )
        ids = {item["id"] for item in orders.json()["items"]}
        decision = decide(Caller.staff, listed_state, Operation.order_read)
        expected = decision.allowed and not decision.needs_stated_purpose
        if (subject.open_order["id"] in ids) != expected:
            failures.append(f"order list [{state.value}]: expected {expected}")

        for name in FINANCE:
            feed = await client.get(
                "/api/v1/billing/invoices", params={"limit": 200}, headers=world.headers[name]
            )
            fed = {item["id"] for item in feed.json()["items"]}
            decision = decide(CALLERS[name], listed_state, Operation.billing_disclose)
            for order, status in (
                (subject.open_order, "open"),
                (subject.claimed_order, "in_collection"),
            ):
                allowed = decision.allowed and (
                    decision.invoices is None or status in {s.value for s in decision.invoices}
                )
                if (order["id"] in fed) != allowed:
                    failures.append(f"{name} feed, {status} [{state.value}]: expected {allowed}")
            world.checked["/api/v1/billing/invoices"] += 1

        email = subject.customer["email"]
        for name in (WEB_SHOP, "web_shop_key:unlinked"):
            found = await client.post(
                "/api/v1/customers/lookup", json={"email": email}, headers=world.headers[name]
            )
            decision = decide(
                Caller.web_shop,
                listed_state,
                Operation.customer_lookup,
                linked=name == WEB_SHOP,
            )
            # An erased or partially erased customer has no e-mail left to find.
            allowed = decision.allowed and state not in (State.erased, State.partially_erased)
            if (found.status_code == 200) != allowed:
                failures.append(f"{name} lookup [{state.value}]: {found.status_code}")

    labels = await client.get(
        "/api/v1/exports/mailing-labels",
        params={"format": "csv"},
        headers=world.headers[PRIVACY_OFFICER],
    )
    assert labels.status_code == 200
    for state, subject in world.subjects.items():
        expected = decide(Caller.privacy_officer, state, Operation.labels_export).allowed
        if (subject.last_name in labels.text) != expected:
            failures.append(f"labels [{state.value}]: expected {expected}")
    assert failures == []


def test_the_command_prints_the_table_the_readme_holds(tmp_path: Path) -> None:
    from tests.processes import run

    printed = run(["policy"], tmp_path)
    assert printed.returncode == 0, printed.stdout
    assert printed.stdout == policy_table_markdown()
