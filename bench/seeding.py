"""What S2, S5 and S6 need beyond customers and staff: recipients with API keys, orders in
bulk (INSERT ... SELECT generate_series, on the server), and customers with a long history
whose access requests are verified and ready to answer.

Recipients, keys and requests are made through the registry's own services, as an admin
would make them; orders and audit events are inserted in SQL, as many as asked for.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import asyncpg

from bench.requests import ORDER_LINES, order_line_cents

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bench.database import BenchDatabase
    from customer_registry.config import Settings

T = TypeVar("T")

ORDER_CHUNK = 50_000
# Order ids: this prefix, then the series (4 hex digits), then the order's number.
ORDER_ID_PREFIX = "018f0001-0000-7000-"
# The finance partner's invoices (S5); the report customers' orders are series 9000 + n.
FEED_SERIES = "8005"
# Customers with a long history (S6): their own id prefix, so they never meet the others.
REPORT_ID_PREFIX = "018f0000-0000-7000-9000-"
FINANCE_PURPOSE = "invoicing"


@dataclass(frozen=True)
class ApiKey:
    plaintext: str
    id: str
    recipient_id: str
    purposes: tuple[str, ...]


@dataclass(frozen=True)
class ApiKeys:
    web_shop: ApiKey
    finance: ApiKey

    def baseline_json(self) -> str:
        """The keys as the baseline takes them: it looks a key up, it does not verify it."""
        return json.dumps(
            {
                key.plaintext: {"id": key.id, "recipient_id": key.recipient_id}
                for key in (self.web_shop, self.finance)
            }
        )


def create_api_keys(settings: Settings) -> ApiKeys:
    """The web shop's key and the finance partner's (whose two purposes make it name one in
    X-Purpose), each for a recipient found by name or recorded now."""
    from customer_registry.models import DisclosurePurpose, RecipientRole

    web_shop = _recipient_key(
        settings,
        "Bench Verkkokauppa Oy",
        RecipientRole.web_shop_operator,
        ["customers:write", "customers:lookup", "orders:write"],
        [],
    )
    finance = _recipient_key(
        settings,
        "Bench Talouskumppani Oy",
        RecipientRole.finance_partner,
        ["billing:read", "invoices:write"],
        [DisclosurePurpose.invoicing, DisclosurePurpose.debt_collection],
    )
    return ApiKeys(web_shop, finance)


# The web shop acts on the customers it created: in the story, all of them.
LINK_CUSTOMERS_SQL = (
    "INSERT INTO customer_links (customer_id, recipient_id, created_at, created_by) "
    "SELECT id, $1, now(), 'bench' FROM customers ON CONFLICT DO NOTHING"
)


def _recipient_key(
    settings: Settings, name: str, role: str, scopes: list[str], purposes: list[str]
) -> ApiKey:
    from sqlalchemy import select

    from customer_registry.auth.api_keys import ApiKeyHasher
    from customer_registry.auth.principal import SYSTEM_ACTOR, ApiKeyScope
    from customer_registry.models import DisclosurePurpose, Recipient, RecipientRole
    from customer_registry.partners.schemas import ApiKeyCreate, RecipientCreate
    from customer_registry.partners.service import RecipientService

    async def create(session: AsyncSession) -> ApiKey:
        service = RecipientService(session, ApiKeyHasher(settings.signing_secret()))
        recipient_id = await session.scalar(select(Recipient.id).where(Recipient.name == name))
        if recipient_id is None:
            data = RecipientCreate(name=name, country="FI", role=RecipientRole(role))
            recipient_id = (await service.create(data, SYSTEM_ACTOR)).id
        key = await service.create_key(
            recipient_id,
            ApiKeyCreate(
                name="benchmark",
                scopes=[ApiKeyScope(scope) for scope in scopes],
                purposes=[DisclosurePurpose(purpose) for purpose in purposes],
            ),
            SYSTEM_ACTOR,
        )
        return ApiKey(key.key, str(key.id), str(recipient_id), tuple(purposes))

    return _in_registry(settings, create)


def _in_registry(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        async with _session(settings) as session:
            return await work(session)

    return asyncio.run(run())


@asynccontextmanager
async def _session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session of the registry's own, in one transaction committed at the end."""
    from customer_registry.core.database import create_engine, create_session_factory

    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            yield session
    finally:
        await engine.dispose()


def _line_values() -> str:
    rows = []
    for position, (code, name, quantity, unit_price, vat_rate) in enumerate(ORDER_LINES, 1):
        cents = order_line_cents(quantity, unit_price, vat_rate)
        rows.append(f"({position}, '{code}', '{name}', {quantity}, {', '.join(map(str, cents))})")
    return ", ".join(rows)


_LINES = [order_line_cents(*line[2:]) for line in ORDER_LINES]
_NET, _VAT, _GROSS = (sum(line[index] for line in _LINES) for index in (2, 3, 4))

# Orders $1 to $2 of series $3, each of customer ($4 || hex($5 + n % $6)), ordered and
# invoiced with the lines of ORDER_LINES, the invoice stamped $7 + n milliseconds.
SEED_ORDERS_SQL = f"""
WITH new_orders AS (
    INSERT INTO orders (
        id, customer_id, number, ordered_on, channel, currency,
        net_total_cents, vat_total_cents, gross_total_cents, status,
        invoice_number, invoice_issued_on, invoice_due_on, invoice_status,
        invoice_updated_at, version, created_at, updated_at)
    SELECT
        ('{ORDER_ID_PREFIX}' || $3::text || '-' || lpad(to_hex(i), 12, '0'))::uuid,
        ($4::text || lpad(to_hex($5::bigint + i % $6::bigint), 12, '0'))::uuid,
        'B' || $3::text || '-' || i,
        DATE '2025-01-01' + (i % 365)::int,
        'web_shop',
        'EUR',
        {_NET}, {_VAT}, {_GROSS},
        'placed',
        'I' || $3::text || '-' || i,
        DATE '2025-01-01' + (i % 365)::int,
        DATE '2025-01-15' + (i % 365)::int,
        'open',
        $7::timestamptz + i * interval '1 millisecond',
        1,
        $7::timestamptz,
        $7::timestamptz
    FROM generate_series($1::bigint, $2::bigint) AS i
    RETURNING id
)
INSERT INTO order_lines (
    id, order_id, position, product_code, product_name, quantity, unit_price_cents,
    vat_rate_basis_points, net_cents, vat_cents, gross_cents)
SELECT gen_random_uuid(), new_orders.id, line.*
FROM new_orders CROSS JOIN (VALUES {_line_values()}) AS line
"""


def seed_orders(
    database: BenchDatabase,
    series: str,
    count: int,
    customer_prefix: str,
    first_customer: int,
    customers: int,
) -> int:
    """Orders 1 to `count` of a series, spread over the customers; the ones an earlier run
    made are kept. Returns how many were inserted."""

    async def insert(connection: asyncpg.Connection) -> int:
        existing = int(
            await connection.fetchval(
                "SELECT count(*) FROM orders WHERE number LIKE $1", f"B{series}-%"
            )
        )
        stamped = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        for first in range(existing + 1, count + 1, ORDER_CHUNK):
            last = min(count, first + ORDER_CHUNK - 1)
            arguments = (customer_prefix, first_customer, customers, stamped)
            await connection.execute(SEED_ORDERS_SQL, first, last, series, *arguments)
        await connection.execute("VACUUM ANALYZE orders")
        await connection.execute("VACUUM ANALYZE order_lines")
        return max(0, count - existing)

    return database.run(insert)


# $3 audit events about customer $1 by staff account $2, one a minute up to now.
SEED_AUDIT_SQL = """
INSERT INTO audit_events (
    occurred_at, action, actor_type, actor_id, actor_role, entity, entity_id, customer_id,
    fields, request_id, client_address, purpose)
SELECT
    now() - ($3::bigint - i) * interval '1 minute',
    (ARRAY['read', 'read', 'read', 'update', 'export'])[1 + i % 5],
    'user', $2::text, 'staff', 'customer', $1::text, $1::uuid,
    '["address", "email", "first_name", "last_name"]',
    'bench-seed-' || i, '127.0.0.1', NULL
FROM generate_series(1, $3::bigint) AS i
"""


@dataclass(frozen=True)
class ReportCustomer:
    """A customer with `orders` orders and `audit_events` audit events about them."""

    id: uuid.UUID
    orders: int
    audit_events: int


def seed_report_customer(
    database: BenchDatabase, number: int, orders: int, audit_events: int, actor_id: str
) -> ReportCustomer:
    """Customer `number` of the report customers, with its history; kept from an earlier
    run if there is one (then its own counts are returned)."""
    customer_id = uuid.UUID(f"{REPORT_ID_PREFIX}{number:012x}")
    series = f"{9000 + number}"
    if database.value("SELECT count(*) FROM customers WHERE id = $1", customer_id) == 0:
        database.seed_customers(number, number, REPORT_ID_PREFIX, "report")
        seed_orders(database, series, orders, REPORT_ID_PREFIX, number, 1)
        database.value(SEED_AUDIT_SQL, str(customer_id), actor_id, audit_events)

    async def counts(connection: asyncpg.Connection) -> ReportCustomer:
        return ReportCustomer(
            customer_id,
            int(await connection.fetchval(_COUNT_ORDERS, customer_id)),
            int(await connection.fetchval(_COUNT_AUDIT, customer_id)),
        )

    return database.run(counts)


_COUNT_ORDERS = "SELECT count(*) FROM orders WHERE customer_id = $1"
_COUNT_AUDIT = "SELECT count(*) FROM audit_events WHERE customer_id = $1"


def verified_access_request(settings: Settings, customer_id: uuid.UUID, officer_id: str) -> str:
    """A new access request of the customer, submitted and verified by the privacy officer
    of account `officer_id` (the processing policy admits staff, not the system)."""
    from customer_registry.auth.principal import ROLE_PERMISSIONS, Actor, Principal
    from customer_registry.gdpr_requests.schemas import GdprRequestCreate, Verification
    from customer_registry.gdpr_requests.service import GdprRequestService
    from customer_registry.models import (
        ActorType,
        RequestChannel,
        RequestType,
        Role,
        VerificationMethod,
    )

    officer = Actor(
        principal=Principal(
            kind=ActorType.user,
            id=officer_id,
            role=Role.privacy_officer,
            permissions=ROLE_PERMISSIONS[Role.privacy_officer],
        ),
        request_id=None,
        client_address=None,
    )

    async def create(session: AsyncSession) -> str:
        service = GdprRequestService(session, settings)
        request = await service.submit(
            GdprRequestCreate(
                type=RequestType.access, customer_id=customer_id, channel=RequestChannel.email
            ),
            officer,
        )
        method = Verification(method=VerificationMethod.registered_email_address)
        await service.verify(request.id, method, officer)
        return str(request.id)

    return _in_registry(settings, create)
