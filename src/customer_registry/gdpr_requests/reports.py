"""The access report (R19, Art. 15) and the portability archive (R21) of one person.

The small sections are built in memory; orders, disclosures and the processing log are
streamed in keyset batches, so that memory stays flat however long the history is.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from customer_registry.config import Settings
from customer_registry.consents.service import ConsentStates
from customer_registry.customers.schemas import CustomerRead
from customer_registry.gdpr_requests import report_rendering
from customer_registry.gdpr_requests.deadlines import add_months
from customer_registry.gdpr_requests.report_rendering import Batches, Sections
from customer_registry.gdpr_requests.report_texts import (
    CUSTOMER_REGISTER_PURPOSE,
    LEGAL_BASES,
    retention_rule,
)
from customer_registry.gdpr_requests.reports_repository import PersonDataRepository
from customer_registry.models import Customer, DataSource, LegalBasis
from customer_registry.privacy_notice.texts import DATA_SOURCES, DISCLOSURE_PURPOSES


class PersonReports:
    """Builds what the register holds about one person."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.repository = PersonDataRepository(session)
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
                    "description": CUSTOMER_REGISTER_PURPOSE[_language(language)],
                    "legal_basis": basis.value,
                    "legal_basis_description": LEGAL_BASES[basis][language],
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
            for event in await self.repository.consent_events(customer_id)
        ]

    async def recipients(self, customer_id: uuid.UUID) -> list[dict[str, Any]]:
        """The recipients the person's data was disclosed to (Art. 15(1)(c))."""
        return [
            {"name": r.name, "country": r.country, "role": r.role, "safeguard": r.safeguard}
            for r in await self.repository.recipients(customer_id)
        ]

    def retention(self, customer: Customer, language: str) -> dict[str, Any]:
        years = self.settings.retention_years
        ended = customer.relationship_ended_on
        ends_on = add_months(ended, 12 * years) if ended else None
        return {
            "rule": retention_rule(years, language),
            "relationship_ended_on": ended.isoformat() if ended else None,
            "retention_ends_on": ends_on.isoformat() if ends_on else None,
        }

    async def orders(self, customer_id: uuid.UUID) -> Batches:
        """The person's orders with their lines and invoices, oldest first, in batches."""
        async for batch in self.repository.order_batches(customer_id):
            yield [_order_entry(order, lines) for order, lines in batch]

    async def disclosures(self, customer_id: uuid.UUID, language: str) -> Batches:
        """Every disclosure of the person's data: who, when, why and which fields."""
        async for batch in self.repository.disclosure_batches(customer_id):
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
                for disclosure, name in batch
            ]

    async def processing_log(self, customer_id: uuid.UUID) -> Batches:
        """The audit events about the person, oldest first, in batches, with staff names."""
        names: dict[str, str] = {}
        async for events in self.repository.audit_event_batches(customer_id):
            unknown = {
                uuid.UUID(event.actor_id)
                for event in events
                if event.actor_type == "user" and event.actor_id and event.actor_id not in names
            }
            if unknown:
                names.update(await self.repository.staff_names(unknown))
            yield [_log_entry(event, names.get(event.actor_id or "")) for event in events]

    def _streamed(self, customer: Customer, language: str) -> Sections:
        return [
            ("orders", self.orders(customer.id)),
            ("disclosures", self.disclosures(customer.id, language)),
            ("processing_log", self.processing_log(customer.id)),
        ]

    async def json_report(self, customer: Customer, language: str) -> AsyncIterator[bytes]:
        summary = await self.summary(customer, language)
        async for chunk in report_rendering.json_report(
            summary, self._streamed(customer, language)
        ):
            yield chunk

    async def html_report(self, customer: Customer, language: str) -> AsyncIterator[bytes]:
        summary = await self.summary(customer, language)
        async for chunk in report_rendering.html_report(
            summary, self._streamed(customer, language), language
        ):
            yield chunk

    async def portability_archive(self, customer: Customer) -> bytes:
        """What the person provided: one JSON file and a CSV per table, zipped (R21)."""
        return report_rendering.portability_archive(await self.provided_data(customer))

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


def _language(language: str) -> str:
    """Finnish, or English for any other language."""
    return "fi" if language == "fi" else "en"


def _cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}" if value >= 0 else f"-{_cents(-value)}"


def _order_entry(order: Row[Any], lines: Sequence[Row[Any]]) -> dict[str, Any]:
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


def _log_entry(event: Row[Any], actor_name: str | None) -> dict[str, Any]:
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


async def stream_access_report(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    customer_id: uuid.UUID,
    language: str,
    report_format: str,
) -> AsyncIterator[bytes]:
    """The report, read in its own transaction because it is sent after the request's ends."""
    async with session_factory() as session, session.begin():
        customer = await PersonDataRepository(session).customer(customer_id)
        assert customer is not None
        reports = PersonReports(session, settings)
        chunks = (
            reports.html_report(customer, language)
            if report_format == "html"
            else reports.json_report(customer, language)
        )
        async for chunk in chunks:
            yield chunk
