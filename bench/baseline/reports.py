"""The baseline's streamed exports (S6): mailing labels and the access report.

Labels: keyset batches of the customers a label run may include, each batch's export events
written and committed before its CSV rows are sent. Access report: the request is checked
and the export audited, then the person's data is streamed from one transaction: the small
sections at once, orders (with lines), disclosures and the processing log in keyset batches.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import asyncpg
import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from bench.baseline.common import Caller, Event, json_response, record, state
from bench.baseline.customers import COLUMNS, customer_json
from bench.baseline.orders import SELECT_LINES, invoice_json, line_json, money
from customer_registry.config import Settings

LABEL_BATCH = Settings.model_fields["mailing_label_batch_size"].default
REPORT_BATCH = 1_000
LABEL_PURPOSES = ("listing", "direct_advertising")
NOT_FORBIDDEN = (
    "coalesce((SELECT decision FROM consent_events e WHERE e.customer_id = c.id "
    "AND e.purpose = '{purpose}' ORDER BY e.id DESC LIMIT 1), 'granted') <> 'forbidden'"
)
SELECT_LABELS = (
    "SELECT id, first_name, last_name, organisation_name, street, postal_code, city, country "
    "FROM customers c WHERE restricted_at IS NULL AND erased_at IS NULL "
    "AND (relationship_ended_on IS NULL OR relationship_ended_on > current_date) "
    "AND street IS NOT NULL AND postal_code IS NOT NULL AND city IS NOT NULL "
    "AND country IS NOT NULL AND "
    + " AND ".join(NOT_FORBIDDEN.format(purpose=purpose) for purpose in LABEL_PURPOSES)
    + " AND ($2::text IS NULL OR postal_code LIKE $2 || '%') "
    "AND id > $1 ORDER BY id LIMIT $3"
)
SELECT_REQUEST = "SELECT type, status, customer_id, language FROM gdpr_requests WHERE id = $1"
SELECT_PERSON = f"SELECT {COLUMNS}, erased_at FROM customers WHERE id = $1"
SELECT_CONSENTS = (
    "SELECT purpose, decision, recorded_at, recorded_by_type, channel, evidence, "
    "privacy_notice_version FROM consent_events WHERE customer_id = $1 ORDER BY id"
)
SELECT_RECIPIENTS = (
    "SELECT name, country, role, safeguard FROM recipients WHERE id IN "
    "(SELECT recipient_id FROM disclosures WHERE customer_id = $1) ORDER BY name"
)
SELECT_ORDERS = (
    "SELECT id, number, ordered_on, channel, status, currency, net_total_cents, "
    "vat_total_cents, gross_total_cents, invoice_number, invoice_issued_on, invoice_due_on, "
    "invoice_status FROM orders WHERE customer_id = $1 AND id > $2 ORDER BY id LIMIT $3"
)
REPORT_LINE_FIELDS = ("product_code", "product_name", "quantity", "unit_price", "vat_rate", "gross")
SELECT_DISCLOSURES = (
    "SELECT d.id, d.occurred_at, r.name, d.purpose, d.fields FROM disclosures d "
    "JOIN recipients r ON r.id = d.recipient_id "
    "WHERE d.customer_id = $1 AND d.id > $2 ORDER BY d.id LIMIT $3"
)
SELECT_EVENTS = (
    "SELECT id, occurred_at, action, actor_type, actor_id, actor_role, entity, fields, purpose "
    "FROM audit_events WHERE customer_id = $1 AND id > $2 ORDER BY id LIMIT $3"
)
SELECT_NAMES = "SELECT id::text, full_name FROM users WHERE id = ANY($1::uuid[])"


def privacy_officer() -> Caller:
    return Caller("user", state["actor_id"], "privacy_officer")


async def mailing_labels(request: Request) -> StreamingResponse:
    prefix = request.query_params.get("postal_code_prefix")
    return StreamingResponse(
        labels_csv(request, prefix),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="mailing-labels.csv"'},
    )


async def labels_csv(request: Request, prefix: str | None) -> AsyncIterator[bytes]:
    yield b"name,organisation,street,postal_code,city,country\r\n"
    after = uuid.UUID(int=0)
    async with state["pool"].acquire() as connection:
        while True:
            async with connection.transaction():
                rows = await connection.fetch(SELECT_LABELS, after, prefix, LABEL_BATCH)
                events = [
                    Event("customer", str(row["id"]), row["id"], label_fields(row)) for row in rows
                ]
                await record(
                    connection, request, privacy_officer(), "export", events, "direct_advertising"
                )
            if rows:
                yield label_rows(rows)
            if len(rows) < LABEL_BATCH:
                return
            after = rows[-1]["id"]


def label_fields(row: asyncpg.Record) -> list[str]:
    present = [
        name
        for name, column in (
            ("first_name", "first_name"),
            ("last_name", "last_name"),
            ("organisation", "organisation_name"),
        )
        if row[column] is not None
    ]
    return [*present, "address"]


def label_rows(rows: Sequence[asyncpg.Record]) -> bytes:
    output = io.StringIO()
    writer = csv.writer(output)
    for row in rows:
        name = " ".join(part for part in (row["first_name"], row["last_name"]) if part)
        cells = (
            name,
            row["organisation_name"],
            row["street"],
            row["postal_code"],
            row["city"],
            row["country"],
        )
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return output.getvalue().encode()


def spreadsheet_safe(value: str | None) -> str:
    if value and value[0] in "=+-@":
        return "'" + value
    return value or ""


async def access_report(request: Request) -> Response:
    async with state["pool"].acquire() as connection, connection.transaction():
        found = await connection.fetchrow(SELECT_REQUEST, request.path_params["request_id"])
        if found is None:
            return json_response({"title": "Not found"}, 404)
        if found["type"] != "access" or found["status"] not in ("verified", "completed"):
            return json_response({"title": "Conflict"}, 409)
        customer_id = found["customer_id"]
        event = Event("customer", str(customer_id), customer_id, ["access"])
        await record(
            connection, request, privacy_officer(), "export", [event], "data_subject_request"
        )
    return StreamingResponse(
        report_json(customer_id, found["language"]), media_type="application/json"
    )


async def report_json(customer_id: uuid.UUID, language: str) -> AsyncIterator[bytes]:
    async with state["pool"].acquire() as connection, connection.transaction():
        summary = await report_summary(connection, customer_id, language)
        yield orjson.dumps(summary)[:-1]
        sections: list[tuple[str, Callable[[asyncpg.Connection, uuid.UUID], Batches]]] = [
            ("orders", order_batches),
            ("disclosures", disclosure_batches),
            ("processing_log", event_batches),
        ]
        for name, batches in sections:
            yield f',"{name}":['.encode()
            first = True
            async for batch in batches(connection, customer_id):
                for entry in batch:
                    yield (b"" if first else b",") + orjson.dumps(entry)
                    first = False
            yield b"]"
        yield b"}"


Batches = AsyncIterator[list[dict[str, Any]]]


async def report_summary(
    connection: asyncpg.Connection, customer_id: uuid.UUID, language: str
) -> dict[str, Any]:
    person = await connection.fetchrow(SELECT_PERSON, customer_id)
    ledger = [dict(row) for row in await connection.fetch(SELECT_CONSENTS, customer_id)]
    latest = {event["purpose"]: event["decision"] for event in ledger}
    return {
        "language": language,
        "subject": customer_json(person),
        "sources": [{"source": person["source"]}],
        "purposes": [{"purpose": "customer_register", "legal_basis": person["legal_basis"]}],
        "consents": {"state": latest, "ledger": ledger},
        "recipients": [dict(row) for row in await connection.fetch(SELECT_RECIPIENTS, customer_id)],
        "retention": {"relationship_ended_on": person["relationship_ended_on"]},
    }


async def order_batches(connection: asyncpg.Connection, customer_id: uuid.UUID) -> Batches:
    after = uuid.UUID(int=0)
    while orders := await connection.fetch(SELECT_ORDERS, customer_id, after, REPORT_BATCH):
        lines: dict[uuid.UUID, list[dict[str, Any]]] = {order["id"]: [] for order in orders}
        for line in await connection.fetch(SELECT_LINES, list(lines)):
            entry = line_json(line)
            lines[line["order_id"]].append({name: entry[name] for name in REPORT_LINE_FIELDS})
        yield [order_entry(order, lines[order["id"]]) for order in orders]
        after = orders[-1]["id"]


def order_entry(order: asyncpg.Record, lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "number": order["number"],
        "ordered_on": order["ordered_on"],
        "channel": order["channel"],
        "status": order["status"],
        "currency": order["currency"],
        "net_total": money(order["net_total_cents"]),
        "vat_total": money(order["vat_total_cents"]),
        "gross_total": money(order["gross_total_cents"]),
        "invoice": invoice_json(order, updated=False),
        "lines": lines,
    }


async def disclosure_batches(connection: asyncpg.Connection, customer_id: uuid.UUID) -> Batches:
    after = 0
    while rows := await connection.fetch(SELECT_DISCLOSURES, customer_id, after, REPORT_BATCH):
        yield [
            {
                "occurred_at": row["occurred_at"],
                "recipient": row["name"],
                "purpose": row["purpose"],
                "fields": orjson.loads(row["fields"]),
            }
            for row in rows
        ]
        after = rows[-1]["id"]


async def event_batches(connection: asyncpg.Connection, customer_id: uuid.UUID) -> Batches:
    names: dict[str, str] = {}
    after = 0
    while events := await connection.fetch(SELECT_EVENTS, customer_id, after, REPORT_BATCH):
        unknown = {
            event["actor_id"]
            for event in events
            if event["actor_type"] == "user" and event["actor_id"] not in names
        }
        if unknown:
            rows = await connection.fetch(SELECT_NAMES, list(unknown))
            names.update({row["id"]: row["full_name"] for row in rows})
        yield [
            {
                "occurred_at": event["occurred_at"],
                "action": event["action"],
                "actor_type": event["actor_type"],
                "actor_role": event["actor_role"],
                "actor_name": names.get(event["actor_id"] or ""),
                "entity": event["entity"],
                "fields": orjson.loads(event["fields"]),
                "purpose": event["purpose"],
            }
            for event in events
        ]
        after = events[-1]["id"]
