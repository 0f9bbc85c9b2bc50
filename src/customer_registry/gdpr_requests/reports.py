"""The access report (R19, Art. 15) and the portability archive (R21) of one person.

The report's small sections are built in memory; the processing log, which grows with every
read of the person's data, is streamed from the audit table in keyset batches so that memory
stays flat however long the person's history is.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
import zipfile
from collections.abc import AsyncIterator, Sequence
from html import escape
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from customer_registry.config import Settings
from customer_registry.consents.service import ConsentStates
from customer_registry.customers.schemas import CustomerRead
from customer_registry.gdpr_requests.deadlines import add_months
from customer_registry.models import AuditEvent, Customer, DataSource, LegalBasis, User
from customer_registry.privacy_notice.texts import DATA_SOURCES

PORTABILITY_SCHEMA = "customer-registry/portability/v1"
AUDIT_BATCH = 1_000

_LEGAL_BASES = {
    LegalBasis.contract: {"fi": "sopimus", "en": "contract"},
    LegalBasis.legitimate_interest: {"fi": "oikeutettu etu", "en": "legitimate interest"},
    LegalBasis.consent: {"fi": "suostumus", "en": "consent"},
    LegalBasis.legal_obligation: {"fi": "lakisääteinen velvoite", "en": "legal obligation"},
}

_HEADINGS = {
    "fi": {
        "title": "Rekisteröidyn tarkastusoikeus: tiedot rekisterissä",
        "subject": "Henkilötiedot",
        "sources": "Tietolähteet",
        "purposes": "Käsittelyn tarkoitukset ja oikeusperusteet",
        "retention": "Säilytysaika",
        "processing_log": "Kuka tietojasi on käsitellyt",
        "when": "Aika",
        "action": "Toimenpide",
        "who": "Käsittelijä",
        "fields": "Tiedot",
    },
    "en": {
        "title": "Access report: your data in the register",
        "subject": "Personal data",
        "sources": "Sources of the data",
        "purposes": "Purposes and legal bases",
        "retention": "Retention",
        "processing_log": "Who has processed your data",
        "when": "Time",
        "action": "Action",
        "who": "By",
        "fields": "Fields",
    },
}


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
        """Every section of the access report except the processing log."""
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
            "retention": self.retention(customer, language),
        }

    def retention(self, customer: Customer, language: str) -> dict[str, Any]:
        years = self.settings.retention_years
        ends_on = (
            add_months(customer.relationship_ended_on, 12 * years)
            if customer.relationship_ended_on
            else None
        )
        return {
            "rule": _pick(
                language,
                f"{years} vuotta asiakkuuden päättymisestä",
                f"{years} years from the end of the customer relationship",
            ),
            "relationship_ended_on": (
                customer.relationship_ended_on.isoformat()
                if customer.relationship_ended_on
                else None
            ),
            "retention_ends_on": ends_on.isoformat() if ends_on else None,
        }

    async def processing_log(self, customer_id: uuid.UUID) -> AsyncIterator[list[dict[str, Any]]]:
        """The audit events about the person, oldest first, in batches, with staff names."""
        names: dict[str, str] = {}
        after = 0
        while True:
            events = (
                await self.session.scalars(
                    select(AuditEvent)
                    .where(AuditEvent.customer_id == customer_id, AuditEvent.id > after)
                    .order_by(AuditEvent.id)
                    .limit(AUDIT_BATCH)
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

    async def json_report(self, customer: Customer, language: str) -> AsyncIterator[bytes]:
        summary = await self.summary(customer, language)
        head = json.dumps(summary, ensure_ascii=False)
        yield (head[:-1] + ', "processing_log": [').encode()
        first = True
        async for batch in self.processing_log(customer.id):
            for entry in batch:
                yield (("" if first else ",") + json.dumps(entry, ensure_ascii=False)).encode()
                first = False
        yield b"]}"

    async def html_report(self, customer: Customer, language: str) -> AsyncIterator[bytes]:
        summary = await self.summary(customer, language)
        words = _HEADINGS[language]
        subject = summary["subject"]
        parts = [
            "<!DOCTYPE html>",
            f'<html lang="{language}"><head><meta charset="utf-8">',
            f"<title>{escape(words['title'])}</title></head><body>",
            f"<h1>{escape(words['title'])}</h1>",
            f"<p>{escape(summary['controller']['name'])}, {escape(summary['generated_at'])}</p>",
            f"<h2>{escape(words['subject'])}</h2>",
            _definition_list(subject),
            f"<h2>{escape(words['sources'])}</h2><ul>",
            *(f"<li>{escape(item['description'])}</li>" for item in summary["sources"]),
            f"</ul><h2>{escape(words['purposes'])}</h2><ul>",
            *(
                f"<li>{escape(item['description'])}: {escape(item['legal_basis_description'])}</li>"
                for item in summary["purposes"]
            ),
            f"</ul><h2>{escape(words['retention'])}</h2>",
            _definition_list(summary["retention"]),
            *(
                _extra_section(name, value)
                for name, value in summary.items()
                if name
                not in {
                    "language",
                    "generated_at",
                    "controller",
                    "subject",
                    "sources",
                    "purposes",
                    "retention",
                }
            ),
            f"<h2>{escape(words['processing_log'])}</h2><table><thead><tr>"
            f"<th>{escape(words['when'])}</th><th>{escape(words['action'])}</th>"
            f"<th>{escape(words['who'])}</th><th>{escape(words['fields'])}</th>"
            "</tr></thead><tbody>",
        ]
        yield "\n".join(parts).encode()
        async for batch in self.processing_log(customer.id):
            yield "".join(
                f"<tr><td>{escape(entry['occurred_at'])}</td><td>{escape(entry['action'])}</td>"
                f"<td>{escape(_actor_text(entry))}</td>"
                f"<td>{escape(', '.join(entry['fields']))}</td></tr>"
                for entry in batch
            ).encode()
        yield b"</tbody></table></body></html>"

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
                "relationship_started_on": profile.relationship_started_on.isoformat(),
            }
        }


PORTABILITY_README = """\
This archive holds the personal data you provided to the register, in two forms:

data.json     one JSON document, schema "customer-registry/portability/v1":
              {"schema": ..., "customer": {...}} and, where there are any,
              "orders": [...], "order_lines": [...], "consents": [...].
<table>.csv   the same data, one CSV file (UTF-8, comma-separated, header row) per table.
"""


def _pick(language: str, fi: str, en: str) -> str:
    return fi if language == "fi" else en


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


def _definition_list(values: dict[str, Any]) -> str:
    items = "".join(
        f"<dt>{escape(str(name))}</dt><dd>{escape(_text(value))}</dd>"
        for name, value in values.items()
    )
    return f"<dl>{items}</dl>"


def _extra_section(name: str, value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, indent=1)
    return f"<h2>{escape(name)}</h2><pre>{escape(text)}</pre>"


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(_text(item) for item in value.values() if item is not None)
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
