"""The baseline's order routes: the web shop records an order (S2), the finance partner pages
through the invoice feed (S5).

An order with an Idempotency-Key claims the key, writes the order, its lines, the invoice's
first status, the audit row and the disclosure row, and keeps the response for retries, in
one transaction; a retry replays the kept response and audits it as a read. A feed page is
one keyset SELECT of orders, one of their lines and one of their customers, and the audit
and disclosure rows of everything on the page.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import asyncpg
import orjson
from starlette.requests import Request
from starlette.responses import Response

from bench.baseline.common import (
    Caller,
    Event,
    api_key_caller,
    json_response,
    record,
    request_id,
    staff,
    state,
)
from bench.baseline.customers import address_json, organisation_json
from customer_registry.config import Settings
from customer_registry.core.ids import uuid7
from customer_registry.orders.schemas import BILLING_CUSTOMER_FIELDS, ORDER_FIELDS

ORDER_COLUMNS = (
    "id, customer_id, number, ordered_on, channel, reseller_name, currency, net_total_cents, "
    "vat_total_cents, gross_total_cents, status, invoice_number, invoice_issued_on, "
    "invoice_due_on, invoice_status, invoice_updated_at, version, created_at, updated_at"
)
LINE_COLUMNS = (
    "position, product_code, product_name, quantity, unit_price_cents, "
    "vat_rate_basis_points, net_cents, vat_cents, gross_cents"
)
INSERT_ORDER = (
    f"INSERT INTO orders ({ORDER_COLUMNS}) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, "
    "$18, $19)"
)
INSERT_LINES = (
    f"INSERT INTO order_lines (id, order_id, {LINE_COLUMNS}) "
    "SELECT gen_random_uuid(), $1, * FROM unnest($2::int[], $3::text[], $4::text[], "
    "$5::int[], $6::bigint[], $7::int[], $8::bigint[], $9::bigint[], $10::bigint[])"
)
INSERT_INVOICE_CHANGE = (
    "INSERT INTO invoice_status_changes (order_id, from_status, to_status, actor_type, "
    "actor_id, changed_at, request_id) VALUES ($1, NULL, 'open', $2, $3, $4, $5)"
)
FORGET_OLD_KEY = (
    "DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2 "
    "AND created_at < now() - interval '24 hours'"
)
CLAIM_KEY = (
    "INSERT INTO idempotency_keys (principal, key, request_hash, created_at) "
    "VALUES ($1, $2, $3, now()) ON CONFLICT (principal, key) DO NOTHING RETURNING id"
)
SELECT_KEY = (
    "SELECT request_hash, response_status, response_body, response_headers, entity, "
    "entity_id, customer_id, fields FROM idempotency_keys WHERE principal = $1 AND key = $2"
)
COMPLETE_KEY = (
    "UPDATE idempotency_keys SET response_status = $2, response_body = $3, "
    "response_headers = $4::json, entity = $5, entity_id = $6, customer_id = $7, "
    "fields = $8::json WHERE id = $1"
)
SELECT_FEED = (
    f"SELECT {ORDER_COLUMNS} FROM orders "
    "WHERE invoice_updated_at IS NOT NULL AND invoice_updated_at <= $1 "
    "AND (invoice_updated_at, id) > ($2, $3) "
    "ORDER BY invoice_updated_at, id LIMIT $4"
)
SELECT_LINES = (
    f"SELECT order_id, {LINE_COLUMNS} FROM order_lines "
    "WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, position"
)
SELECT_BILLING_CUSTOMERS = (
    "SELECT id, first_name, last_name, organisation_name, organisation_business_id, email, "
    "street, postal_code, city, country FROM customers WHERE id = ANY($1::uuid[])"
)
FEED_DELAY = dt.timedelta(seconds=Settings.model_fields["invoice_feed_delay_seconds"].default)
FEED_START = (dt.datetime(1970, 1, 1, tzinfo=dt.UTC), uuid.UUID(int=0))
CENT = Decimal("0.01")


class Refused(Exception):
    def __init__(self, status: int, title: str) -> None:
        super().__init__(title)
        self.response = json_response({"title": title}, status)


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def line_json(line: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "position": line["position"],
        "product_code": line["product_code"],
        "product_name": line["product_name"],
        "quantity": line["quantity"],
        "unit_price": money(line["unit_price_cents"]),
        "vat_rate": f"{line['vat_rate_basis_points'] / 100:g}",
        "net": money(line["net_cents"]),
        "vat": money(line["vat_cents"]),
        "gross": money(line["gross_cents"]),
    }


def invoice_json(order: Mapping[str, Any], *, updated: bool = True) -> dict[str, Any] | None:
    if order["invoice_number"] is None:
        return None
    invoice = {
        "number": order["invoice_number"],
        "issued_on": order["invoice_issued_on"],
        "due_on": order["invoice_due_on"],
        "status": order["invoice_status"],
    }
    if updated:
        invoice["updated_at"] = order["invoice_updated_at"]
    return invoice


def order_json(order: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "id": str(order["id"]),
        "customer_id": str(order["customer_id"]),
        "number": order["number"],
        "ordered_on": order["ordered_on"],
        "channel": order["channel"],
        "reseller_name": order["reseller_name"],
        "currency": order["currency"],
        "status": order["status"],
        "lines": [line_json(line) for line in lines],
        "totals": {
            "net": money(order["net_total_cents"]),
            "vat": money(order["vat_total_cents"]),
            "gross": money(order["gross_total_cents"]),
        },
        "invoice": invoice_json(order),
        "version": order["version"],
        "created_at": order["created_at"],
        "updated_at": order["updated_at"],
    }


def fields_with_data(item: Mapping[str, Any], names: Sequence[str]) -> list[str]:
    return [name for name in names if item[name] is not None]


def new_lines(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The lines of an order as stored: net = quantity x unit price, VAT rounded half up."""
    lines = []
    for position, line in enumerate(body["lines"], start=1):
        unit_price, rate = Decimal(line["unit_price"]), Decimal(line["vat_rate"])
        net = unit_price * line["quantity"]
        vat = (net * rate / 100).quantize(CENT, ROUND_HALF_UP)
        lines.append(
            {
                "position": position,
                "product_code": line["product_code"],
                "product_name": line["product_name"],
                "quantity": line["quantity"],
                "unit_price_cents": int(unit_price * 100),
                "vat_rate_basis_points": int(rate * 100),
                "net_cents": int(net * 100),
                "vat_cents": int(vat * 100),
                "gross_cents": int((net + vat) * 100),
            }
        )
    return lines


async def create_order(request: Request) -> Response:
    caller = api_key_caller(request) or staff()
    body = orjson.loads(await request.body())
    key = request.headers.get("idempotency-key")
    try:
        async with state["pool"].acquire() as connection, connection.transaction():
            claimed = None
            if key is not None:
                claimed, replay = await claim(connection, request, caller, key, body)
                if replay is not None:
                    return replay
            order, lines = await insert_order(connection, request, caller, body)
            answer = order_json(order, lines)
            content = orjson.dumps(answer)
            headers = {"ETag": '"1"', "Location": f"/api/v1/orders/{order['id']}"}
            fields = fields_with_data(answer, ORDER_FIELDS)
            await record(
                connection,
                request,
                caller,
                "create",
                [Event("order", str(order["id"]), order["customer_id"], fields)],
            )
            if claimed is not None:
                await connection.execute(
                    COMPLETE_KEY,
                    claimed,
                    201,
                    content.decode(),
                    orjson.dumps(headers).decode(),
                    "order",
                    str(order["id"]),
                    order["customer_id"],
                    orjson.dumps(sorted(fields)).decode(),
                )
    except Refused as refused:
        return refused.response
    return Response(content, 201, headers, media_type="application/json")


async def claim(
    connection: asyncpg.Connection,
    request: Request,
    caller: Caller,
    key: str,
    body: Any,
) -> tuple[int | None, Response | None]:
    """The claimed key's row id, or the first response again for a retry."""
    principal = (
        f"recipient:{caller.recipient_id}" if caller.recipient_id else f"user:{caller.actor_id}"
    )
    canonical = orjson.dumps([request.method, request.url.path, body], option=orjson.OPT_SORT_KEYS)
    request_hash = hashlib.sha256(canonical).hexdigest()
    await connection.execute(FORGET_OLD_KEY, principal, key)
    claimed = await connection.fetchval(CLAIM_KEY, principal, key, request_hash)
    if claimed is not None:
        return claimed, None
    first = await connection.fetchrow(SELECT_KEY, principal, key)
    if first is None or first["request_hash"] != request_hash:
        raise Refused(422, "Idempotency key reused with another request")
    if first["response_status"] is None:
        raise Refused(409, "A request with this idempotency key is in progress")
    fields = orjson.loads(first["fields"] or "[]")
    event = Event(first["entity"], first["entity_id"], first["customer_id"], fields)
    await record(connection, request, caller, "read", [event])
    headers = {**orjson.loads(first["response_headers"] or "{}"), "Idempotent-Replayed": "true"}
    replay = Response(
        first["response_body"], first["response_status"], headers, media_type="application/json"
    )
    return None, replay


async def insert_order(
    connection: asyncpg.Connection, request: Request, caller: Caller, body: Mapping[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    lines = new_lines(body)
    now = dt.datetime.now(dt.UTC)
    invoice = body.get("invoice")
    order = {
        "id": uuid7(),
        "customer_id": uuid.UUID(body["customer_id"]),
        "number": body["number"],
        "ordered_on": dt.date.fromisoformat(body["ordered_on"]),
        "channel": body["channel"],
        "reseller_name": body.get("reseller_name"),
        "currency": body.get("currency", "EUR"),
        "net_total_cents": sum(line["net_cents"] for line in lines),
        "vat_total_cents": sum(line["vat_cents"] for line in lines),
        "gross_total_cents": sum(line["gross_cents"] for line in lines),
        "status": "placed",
        "invoice_number": invoice["number"] if invoice else None,
        "invoice_issued_on": dt.date.fromisoformat(invoice["issued_on"]) if invoice else None,
        "invoice_due_on": dt.date.fromisoformat(invoice["due_on"]) if invoice else None,
        "invoice_status": "open" if invoice else None,
        "invoice_updated_at": now if invoice else None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    try:
        await connection.execute(INSERT_ORDER, *order.values())
    except asyncpg.ForeignKeyViolationError as error:
        raise Refused(422, "customer_id names no customer.") from error
    except asyncpg.UniqueViolationError as error:
        raise Refused(409, "Another order has this order number or invoice number.") from error
    columns = list(lines[0])
    await connection.execute(
        INSERT_LINES, order["id"], *([line[name] for line in lines] for name in columns)
    )
    if invoice:
        await connection.execute(
            INSERT_INVOICE_CHANGE,
            order["id"],
            caller.actor_type,
            caller.actor_id,
            now,
            request_id(request),
        )
    return order, lines


async def invoice_feed(request: Request) -> Response:
    caller = api_key_caller(request) or staff()
    limit = min(200, int(request.query_params.get("limit", "50")))
    cursor = request.query_params.get("cursor")
    after = decode_cursor(cursor) if cursor else FEED_START
    until = dt.datetime.now(dt.UTC) - FEED_DELAY
    async with state["pool"].acquire() as connection, connection.transaction():
        rows = await connection.fetch(SELECT_FEED, until, *after, limit + 1)
        page = rows[:limit]
        ids = [row["id"] for row in page]
        lines: dict[uuid.UUID, list[asyncpg.Record]] = {order_id: [] for order_id in ids}
        for line in await connection.fetch(SELECT_LINES, ids):
            lines[line["order_id"]].append(line)
        customers = {
            row["id"]: billing_customer(row)
            for row in await connection.fetch(
                SELECT_BILLING_CUSTOMERS, list({row["customer_id"] for row in page})
            )
        }
        items = []
        events = []
        for row in page:
            item = order_json(row, lines[row["id"]])
            items.append({**item, "customer": customers[row["customer_id"]]})
            events.append(
                Event("order", item["id"], row["customer_id"], fields_with_data(item, ORDER_FIELDS))
            )
        events.extend(
            Event(
                "customer",
                str(customer_id),
                customer_id,
                fields_with_data(item, BILLING_CUSTOMER_FIELDS),
            )
            for customer_id, item in customers.items()
        )
        await record(connection, request, caller, "read", events)
    position = (page[-1]["invoice_updated_at"], page[-1]["id"]) if page else after
    return json_response(
        {"items": items, "next_cursor": encode_cursor(*position), "has_more": len(rows) > limit}
    )


def billing_customer(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "organisation": organisation_json(row),
        "email": row["email"],
        "address": address_json(row),
    }


def encode_cursor(moment: dt.datetime, order_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([moment.isoformat(), str(order_id)])).decode()


def decode_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    moment, order_id = orjson.loads(base64.urlsafe_b64decode(cursor))
    return dt.datetime.fromisoformat(moment), uuid.UUID(order_id)
