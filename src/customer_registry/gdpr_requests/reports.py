"""The access report (R19, Art. 15) and the portability archive (R21) of one person.

The report's small sections are built in memory; the sections that grow with the person's
history (orders, disclosures to recipients, the processing log) are streamed from the
database in keyset batches, so that memory stays flat however long that history is.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
import zipfile
from collections.abc import AsyncIterator, Callable, Sequence
from html import escape
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from customer_registry.config import Settings
from customer_registry.consents.service import ConsentStates
from customer_registry.customers.schemas import CustomerRead
from customer_registry.gdpr_requests.deadlines import add_months
from customer_registry.models import (
    AuditEvent,
    ConsentEvent,
    Customer,
    DataSource,
    Disclosure,
    LegalBasis,
    Order,
    OrderLine,
    Recipient,
    User,
)
from customer_registry.privacy_notice.texts import DATA_SOURCES, DISCLOSURE_PURPOSES

PORTABILITY_SCHEMA = "customer-registry/portability/v1"
BATCH = 1_000

_LEGAL_BASES = {
    LegalBasis.contract: {"fi": "sopimus", "en": "contract"},
    LegalBasis.legitimate_interest: {"fi": "oikeutettu etu", "en": "legitimate interest"},
    LegalBasis.consent: {"fi": "suostumus", "en": "consent"},
    LegalBasis.legal_obligation: {"fi": "lakisääteinen velvoite", "en": "legal obligation"},
}

_WORDS = {
    "fi": {
        "title": "Rekisteröidyn tarkastusoikeus: tiedot rekisterissä",
        "subject": "Henkilötiedot",
        "sources": "Tietolähteet",
        "purposes": "Käsittelyn tarkoitukset ja oikeusperusteet",
        "consents": "Suostumukset ja kiellot",
        "retention": "Säilytysaika",
        "recipients": "Vastaanottajat",
        "orders": "Tilaukset ja laskut",
        "disclosures": "Luovutukset vastaanottajille",
        "processing_log": "Kuka tietojasi on käsitellyt",
        "when": "Aika",
        "action": "Toimenpide",
        "who": "Käsittelijä",
        "fields": "Tiedot",
        "purpose": "Tarkoitus",
        "number": "Numero",
        "total": "Summa",
        "status": "Tila",
        "invoice": "Lasku",
    },
    "en": {
        "title": "Access report: your data in the register",
        "subject": "Personal data",
        "sources": "Sources of the data",
        "purposes": "Purposes and legal bases",
        "consents": "Consents and objections",
        "retention": "Retention",
        "recipients": "Recipients",
        "orders": "Orders and invoices",
        "disclosures": "Disclosures to recipients",
        "processing_log": "Who has processed your data",
        "when": "Time",
        "action": "Action",
        "who": "By",
        "fields": "Fields",
        "purpose": "Purpose",
        "number": "Number",
        "total": "Total",
        "status": "Status",
        "invoice": "Invoice",
    },
}

Batches = AsyncIterator[list[dict[str, Any]]]


class PersonReports:
    """Builds what the register holds about one person."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.consents = ConsentStates.from_settings(session, settings)

    async def profile(self, customer: Customer) -> CustomerRead:
        summaries = await self.consents.summaries([customer.id])
        return CustomerRead.from_model(customer, summaries[customer.id])

    async def summary(self, customer: Customer, language: str) -> dict[str, Any]:
        """The sections of the access report that do not grow with the person's history."""
        profile = (await self.profile(customer)).model_dump(mode="json")
        source = DataSource(customer.source)
        basis = LegalBasis(customer.legal_basis)
        return {
            "language": language,
            "generated_at": dt.datetime.now(dt.UTC).isoformat(),
            "controller": {
                "name": self.settings.controller_name,
                "contact_person": self.settings.controller_contact_person,
                "email": self.settings.controller_email,
            },
            "subject": profile,
            "sources": [{"source": source.value, "description": DATA_SOURCES[source][language]}],
            "purposes": [
                {
                    "purpose": "customer_register",
                    "description": _pick(
                        language,
                        "asiakasrekisterin ylläpito, tilausten käsittely ja asiakassuhteen hoito",
                        "the customer register, orders and the customer relationship",
                    ),
                    "legal_basis": basis.value,
                    "legal_basis_description": _LEGAL_BASES[basis][language],
                }
            ],
            "consents": {
                "state": profile.get("consents"),
                "ledger": await self.consent_ledger(customer.id),
            },
            "recipients": await self.recipients(customer.id),
            "retention": self.retention(customer, language),
        }

    async def consent_ledger(self, customer_id: uuid.UUID) -> list[dict[str, Any]]:
        events = await self.session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.customer_id == customer_id)
            .order_by(ConsentEvent.id)
        )
        return [
            {
                "purpose": event.purpose,
                "decision": event.decision,
                "recorded_at": event.recorded_at.isoformat(),
                "recorded_by": event.recorded_by_type,
                "channel": event.channel,
                "evidence": event.evidence,
                "privacy_notice_version": event.privacy_notice_version,
            }
            for event in events
        ]

    async def recipients(self, customer_id: uuid.UUID) -> list[dict[str, Any]]:
        """The recipients the person's data was disclosed to (Art. 15(1)(c))."""
        received = select(Disclosure.recipient_id).where(Disclosure.customer_id == customer_id)
        rows = await self.session.scalars(
            select(Recipient).where(Recipient.id.in_(received)).order_by(Recipient.name)
        )
        return [
            {"name": r.name, "country": r.country, "role": r.role, "safeguard": r.safeguard}
            for r in rows
        ]

    def retention(self, customer: Customer, language: str) -> dict[str, Any]:
        years = self.settings.retention_years
        ended = customer.relationship_ended_on
        ends_on = add_months(ended, 12 * years) if ended else None
        return {
            "rule": _pick(
                language,
                f"{years} vuotta asiakkuuden päättymisestä",
                f"{years} years from the end of the customer relationship",
            ),
            "relationship_ended_on": ended.isoformat() if ended else None,
            "retention_ends_on": ends_on.isoformat() if ends_on else None,
        }

    async def orders(self, customer_id: uuid.UUID) -> Batches:
        """The person's orders with their lines and invoices, oldest first, in batches."""
        after: uuid.UUID | None = None
        while True:
            query = (
                select(Order).where(Order.customer_id == customer_id).order_by(Order.id)
            ).limit(BATCH)
            if after is not None:
                query = query.where(Order.id > after)
            orders = (await self.session.scalars(query)).all()
            if not orders:
                return
            lines: dict[uuid.UUID, list[OrderLine]] = {order.id: [] for order in orders}
            for line in await self.session.scalars(
                select(OrderLine)
                .where(OrderLine.order_id.in_(lines))
                .order_by(OrderLine.order_id, OrderLine.position)
            ):
                lines[line.order_id].append(line)
            yield [_order_entry(order, lines[order.id]) for order in orders]
            after = orders[-1].id

    async def disclosures(self, customer_id: uuid.UUID, language: str) -> Batches:
        """Every disclosure of the person's data: who, when, why and which fields."""
        after = 0
        while True:
            rows = (
                await self.session.execute(
                    select(Disclosure, Recipient.name)
                    .join(Recipient, Recipient.id == Disclosure.recipient_id)
                    .where(Disclosure.customer_id == customer_id, Disclosure.id > after)
                    .order_by(Disclosure.id)
                    .limit(BATCH)
                )
            ).all()
            if not rows:
                return
            yield [
                {
                    "occurred_at": disclosure.occurred_at.isoformat(),
                    "recipient": name,
                    "purpose": disclosure.purpose,
                    "purpose_description": (
                        DISCLOSURE_PURPOSES[disclosure.purpose][language]
                        if disclosure.purpose in DISCLOSURE_PURPOSES
                        else None
                    ),
                    "fields": disclosure.fields,
                }
                for disclosure, name in rows
            ]
            after = rows[-1][0].id

    async def processing_log(self, customer_id: uuid.UUID) -> Batches:
        """The audit events about the person, oldest first, in batches, with staff names."""
        names: dict[str, str] = {}
        after = 0
        while True:
            events = (
                await self.session.scalars(
                    select(AuditEvent)
                    .where(AuditEvent.customer_id == customer_id, AuditEvent.id > after)
                    .order_by(AuditEvent.id)
                    .limit(BATCH)
                )
            ).all()
            if not events:
                return
            await self._learn_staff_names(events, names)
            yield [_log_entry(event, names.get(event.actor_id or "")) for event in events]
            after = events[-1].id

    async def _learn_staff_names(self, events: Sequence[AuditEvent], names: dict[str, str]) -> None:
        unknown = {
            uuid.UUID(event.actor_id)
            for event in events
            if event.actor_type == "user" and event.actor_id and event.actor_id not in names
        }
        if unknown:
            rows = await self.session.execute(
                select(User.id, User.full_name).where(User.id.in_(unknown))
            )
            names.update({str(user_id): full_name for user_id, full_name in rows})

    def _streamed(self, customer: Customer, language: str) -> list[tuple[str, Batches]]:
        return [
            ("orders", self.orders(customer.id)),
            ("disclosures", self.disclosures(customer.id, language)),
            ("processing_log", self.processing_log(customer.id)),
        ]

    async def json_report(self, customer: Customer, language: str) -> AsyncIterator[bytes]:
        summary = await self.summary(customer, language)
        yield json.dumps(summary, ensure_ascii=False)[:-1].encode()
        for name, batches in self._streamed(customer, language):
            yield f', "{name}": ['.encode()
            first = True
            async for batch in batches:
                for entry in batch:
                    yield (("" if first else ",") + json.dumps(entry, ensure_ascii=False)).encode()
                    first = False
            yield b"]"
        yield b"}"

    async def html_report(self, customer: Customer, language: str) -> AsyncIterator[bytes]:
        summary = await self.summary(customer, language)
        words = _WORDS[language]
        consents = summary["consents"]
        parts = [
            "<!DOCTYPE html>",
            f'<html lang="{language}"><head><meta charset="utf-8">',
            f"<title>{escape(words['title'])}</title></head><body>",
            f"<h1>{escape(words['title'])}</h1>",
            f"<p>{escape(summary['controller']['name'])}, {escape(summary['generated_at'])}</p>",
            f"<h2>{escape(words['subject'])}</h2>",
            _definition_list(summary["subject"]),
            f"<h2>{escape(words['sources'])}</h2><ul>",
            *(f"<li>{escape(item['description'])}</li>" for item in summary["sources"]),
            f"</ul><h2>{escape(words['purposes'])}</h2><ul>",
            *(
                f"<li>{escape(item['description'])}: {escape(item['legal_basis_description'])}</li>"
                for item in summary["purposes"]
            ),
            f"</ul><h2>{escape(words['consents'])}</h2>",
            _definition_list(consents["state"] or {}),
            _table(
                [words["when"], words["purpose"], words["status"]],
                [
                    [event["recorded_at"], event["purpose"], event["decision"]]
                    for event in consents["ledger"]
                ],
            ),
            f"<h2>{escape(words['recipients'])}</h2><ul>",
            *(
                f"<li>{escape(r['name'])} ({escape(r['country'])}, {escape(r['role'])})</li>"
                for r in summary["recipients"]
            ),
            f"</ul><h2>{escape(words['retention'])}</h2>",
            _definition_list(summary["retention"]),
        ]
        yield "\n".join(parts).encode()
        columns: dict[str, tuple[list[str], Callable[[dict[str, Any]], list[str]]]] = {
            "orders": (
                [words["when"], words["number"], words["total"], words["status"], words["invoice"]],
                lambda o: [
                    o["ordered_on"],
                    o["number"],
                    f"{o['gross_total']} {o['currency']}",
                    o["status"],
                    _invoice_text(o["invoice"]),
                ],
            ),
            "disclosures": (
                [words["when"], words["who"], words["purpose"], words["fields"]],
                lambda d: [
                    d["occurred_at"],
                    d["recipient"],
                    d["purpose_description"] or d["purpose"] or "-",
                    ", ".join(d["fields"]),
                ],
            ),
            "processing_log": (
                [words["when"], words["action"], words["who"], words["fields"]],
                lambda e: [e["occurred_at"], e["action"], _actor_text(e), ", ".join(e["fields"])],
            ),
        }
        for name, batches in self._streamed(customer, language):
            headings, cells = columns[name]
            yield (
                f"<h2>{escape(words[name])}</h2><table><thead><tr>"
                + "".join(f"<th>{escape(h)}</th>" for h in headings)
                + "</tr></thead><tbody>"
            ).encode()
            async for batch in batches:
                yield "".join(_row(cells(entry)) for entry in batch).encode()
            yield b"</tbody></table>"
        yield b"</body></html>"

    async def portability_archive(self, customer: Customer) -> bytes:
        """What the person provided: one JSON file and a CSV per table, zipped (R21)."""
        tables = await self.provided_data(customer)
        document = {"schema": PORTABILITY_SCHEMA, **tables}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("data.json", json.dumps(document, ensure_ascii=False, indent=2))
            for name, rows in tables.items():
                archive.writestr(f"{name}.csv", _csv(rows if isinstance(rows, list) else [rows]))
            archive.writestr("README.txt", PORTABILITY_README)
        return buffer.getvalue()

    async def provided_data(self, customer: Customer) -> dict[str, Any]:
        profile = await self.profile(customer)
        address = profile.address
        organisation = profile.organisation
        orders: list[dict[str, Any]] = []
        order_lines: list[dict[str, Any]] = []
        async for batch in self.orders(customer.id):
            for order in batch:
                lines = order.pop("lines")
                invoice = order.pop("invoice") or {}
                orders.append({**order, **{f"invoice_{k}": v for k, v in invoice.items()}})
                order_lines.extend({"order_number": order["number"], **line} for line in lines)
        return {
            "customer": {
                "id": str(profile.id),
                "type": profile.type.value,
                "first_name": profile.first_name,
                "last_name": profile.last_name,
                "organisation_name": organisation.name if organisation else None,
                "organisation_business_id": organisation.business_id if organisation else None,
                "email": profile.email,
                "phone": profile.phone,
                "street": address.street if address else None,
                "postal_code": address.postal_code if address else None,
                "city": address.city if address else None,
                "country": address.country if address else None,
                "language": profile.language.value,
                "relationship_started_on": customer.relationship_started_on.isoformat(),
            },
            "orders": orders,
            "order_lines": order_lines,
            "consents": await self.consent_ledger(customer.id),
        }


PORTABILITY_README = """\
This archive holds the personal data you provided to the register, in two forms:

data.json     one JSON document, schema "customer-registry/portability/v1":
              {"schema": ..., "customer": {...}, "orders": [...], "order_lines": [...],
               "consents": [...]}; amounts are decimal strings in the order's currency.
<table>.csv   the same data, one CSV file (UTF-8, comma-separated, header row) per table.
"""


def _pick(language: str, fi: str, en: str) -> str:
    return fi if language == "fi" else en


def _cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}" if value >= 0 else f"-{_cents(-value)}"


def _order_entry(order: Order, lines: Sequence[OrderLine]) -> dict[str, Any]:
    invoice = None
    if order.invoice_number is not None:
        invoice = {
            "number": order.invoice_number,
            "issued_on": order.invoice_issued_on.isoformat() if order.invoice_issued_on else None,
            "due_on": order.invoice_due_on.isoformat() if order.invoice_due_on else None,
            "status": order.invoice_status,
        }
    return {
        "number": order.number,
        "ordered_on": order.ordered_on.isoformat(),
        "channel": order.channel,
        "status": order.status,
        "currency": order.currency,
        "net_total": _cents(order.net_total_cents),
        "vat_total": _cents(order.vat_total_cents),
        "gross_total": _cents(order.gross_total_cents),
        "invoice": invoice,
        "lines": [
            {
                "product_code": line.product_code,
                "product_name": line.product_name,
                "quantity": line.quantity,
                "unit_price": _cents(line.unit_price_cents),
                "vat_rate": f"{line.vat_rate_basis_points / 100:g}",
                "gross": _cents(line.gross_cents),
            }
            for line in lines
        ],
    }


def _invoice_text(invoice: dict[str, Any] | None) -> str:
    if not invoice:
        return "-"
    return f"{invoice['number']} ({invoice['status']})"


def _log_entry(event: AuditEvent, actor_name: str | None) -> dict[str, Any]:
    return {
        "occurred_at": event.occurred_at.isoformat(),
        "action": event.action,
        "actor_type": event.actor_type,
        "actor_role": event.actor_role,
        "actor_name": actor_name,
        "entity": event.entity,
        "fields": event.fields,
        "purpose": event.purpose,
    }


def _actor_text(entry: dict[str, Any]) -> str:
    return " / ".join(
        str(part)
        for part in (entry["actor_name"], entry["actor_role"] or entry["actor_type"])
        if part
    )


def _row(cells: list[str]) -> str:
    return "<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in cells) + "</tr>"


def _table(headings: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headings)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(map(_row, rows))}</tbody></table>"


def _definition_list(values: dict[str, Any]) -> str:
    items = "".join(
        f"<dt>{escape(str(name))}</dt><dd>{escape(_text(value))}</dd>"
        for name, value in values.items()
    )
    return f"<dl>{items}</dl>"


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items() if v is not None)
    return str(value)


def _csv(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return ""
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return output.getvalue()


async def stream_access_report(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    customer_id: uuid.UUID,
    language: str,
    report_format: str,
) -> AsyncIterator[bytes]:
    """The report, read in its own transaction because it is sent after the request's ends."""
    async with session_factory() as session, session.begin():
        customer = await session.get(Customer, customer_id)
        assert customer is not None
        reports = PersonReports(session, settings)
        chunks = (
            reports.html_report(customer, language)
            if report_format == "html"
            else reports.json_report(customer, language)
        )
        async for chunk in chunks:
            yield chunk
