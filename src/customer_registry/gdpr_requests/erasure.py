"""Erasure (R14, R25, R27): what blocks it, and removing what may go.

Without a blocker every personal field of the customer is emptied and `erased_at` is set:
the row keeps only its pseudonymous id, type, language and dates, so that orders, audit and
disclosure rows still add up for statistics (R27). The person's free text elsewhere goes too:
the evidence of their consent events, their words in their own requests, the responses kept
for idempotent retries, the reason of a restriction.

With blockers, what no blocker keeps goes now; the rest is restricted to the blocking purpose
(R23) and `erasure_requested_at` marks the customer, so that the retention run finishes the
erasure once no blocker is left.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.auth.principal import Actor
from customer_registry.config import Settings
from customer_registry.erasure_log.recorder import record_erasure
from customer_registry.gdpr_requests.deadlines import today_in_finland
from customer_registry.models import (
    ConsentEvent,
    Customer,
    GdprRequest,
    IdempotencyKey,
    InvoiceStatus,
    Order,
)
from customer_registry.models.base import utcnow

# Columns that identify the person; erasure empties all of them.
PERSONAL_COLUMNS = (
    "first_name",
    "last_name",
    "organisation_name",
    "organisation_business_id",
    "email",
    "email_normalized",
    "phone",
    "street",
    "postal_code",
    "city",
)
# What an invoice needs while a bookkeeping or collection blocker lasts.
BILLING_COLUMNS = (
    "first_name",
    "last_name",
    "organisation_name",
    "organisation_business_id",
    "street",
    "postal_code",
    "city",
)
ERASURE_BLOCKED_REASON = "erasure_blocked"


@dataclass(frozen=True)
class Blocker:
    """Something the law or a claim needs the data for, and until when."""

    kind: str
    legal_reason: str  # in English
    ends_on: dt.date | None
    keeps: tuple[str, ...]
    legal_reason_fi: str

    def as_outcome(self) -> dict[str, Any]:
        outcome = asdict(self)
        outcome["legal_reason_en"] = self.legal_reason
        outcome["ends_on"] = self.ends_on.isoformat() if self.ends_on else None
        outcome["keeps"] = list(self.keeps)
        return outcome


_FINNISH_YEARS = {
    1: "yhden vuoden",
    2: "kaksi vuotta",
    3: "kolme vuotta",
    4: "neljä vuotta",
    5: "viisi vuotta",
    6: "kuusi vuotta",
    7: "seitsemän vuotta",
    8: "kahdeksan vuotta",
    9: "yhdeksän vuotta",
    10: "kymmenen vuotta",
}
_LEGAL_CLAIMS_FI = (
    "Oikeutta tietojen poistamiseen ei sovelleta siltä osin kuin käsittely on tarpeen "
    "oikeusvaateen laatimiseksi, esittämiseksi tai puolustamiseksi (tietosuoja-asetuksen "
    "17 artiklan 3 kohdan e alakohta). "
)
_ONLY_BILLING_KEPT_FI = "Tällä perusteella säilytetään vain laskutustiedot; muut tiedot poistetaan."


def bookkeeping_ends_on(issued_on: dt.date, years: int) -> dt.date:
    """Invoices are kept `years` from the end of the financial year (calendar year) of issue."""
    return dt.date(issued_on.year + years, 12, 31)


def columns_to_erase(customer: Customer, blockers: list[Blocker]) -> list[str]:
    """The personal columns holding a value that no blocker keeps."""
    kept = {column for blocker in blockers for column in blocker.keeps}
    return [
        column
        for column in PERSONAL_COLUMNS
        if column not in kept and getattr(customer, column) is not None
    ]


class Eraser:
    """Computes blockers from the data and erases or anonymises a customer."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    async def blockers(self, customer: Customer) -> list[Blocker]:
        blockers: list[Blocker] = []
        if customer.is_contact_person:
            blockers.append(
                Blocker(
                    kind="contact_person",
                    legal_reason="The person is an active contact person of an organisation; "
                    "their data cannot be erased during that time (privacy notice, R25).",
                    ends_on=None,
                    keeps=PERSONAL_COLUMNS,
                    legal_reason_fi="Henkilö toimii yrityksen tai yhteisön yhteyshenkilönä. "
                    "Tietosuojaselosteen mukaan yhteyshenkilön tietoja ei voida poistaa sinä "
                    "aikana, kun hän toimii yhteyshenkilönä.",
                )
            )
        invoices = (
            await self.session.execute(
                select(Order.invoice_status, Order.invoice_issued_on).where(
                    Order.customer_id == customer.id, Order.invoice_number.is_not(None)
                )
            )
        ).all()
        statuses = {status for status, _ in invoices}
        if InvoiceStatus.open.value in statuses:
            blockers.append(
                Blocker(
                    kind="open_invoice",
                    legal_reason="An invoice is open: the contract and the claim need the "
                    "billing data until it is paid (GDPR Art. 17(3)(e); privacy notice, R14).",
                    ends_on=None,
                    keeps=BILLING_COLUMNS,
                    legal_reason_fi="Asiakkaalla on avoin lasku, ja laskutustietoja "
                    "tarvitaan saatavan perimiseen, kunnes lasku on maksettu. "
                    + _LEGAL_CLAIMS_FI
                    + _ONLY_BILLING_KEPT_FI,
                )
            )
        if InvoiceStatus.in_collection.value in statuses:
            blockers.append(
                Blocker(
                    kind="debt_collection",
                    legal_reason="An invoice is in debt collection: the legal claim needs the "
                    "billing data (GDPR Art. 17(3)(e); privacy notice, R14).",
                    ends_on=None,
                    keeps=BILLING_COLUMNS,
                    legal_reason_fi="Asiakkaan lasku on perinnässä, ja laskutustietoja "
                    "tarvitaan perinnän päättymiseen asti. "
                    + _LEGAL_CLAIMS_FI
                    + _ONLY_BILLING_KEPT_FI,
                )
            )
        years = self.settings.invoice_retention_years
        today = today_in_finland()
        retained = [
            bookkeeping_ends_on(issued_on, years)
            for _, issued_on in invoices
            if issued_on is not None and bookkeeping_ends_on(issued_on, years) >= today
        ]
        if retained:
            blockers.append(
                Blocker(
                    kind="bookkeeping",
                    legal_reason=f"The Accounting Act (Kirjanpitolaki 1336/1997, chapter 2, "
                    f"section 10) requires vouchers, invoices among them, to be kept {years} "
                    "years from the end of the year in which the financial year ended (GDPR "
                    "Art. 17(3)(b)); only the invoice data is kept.",
                    ends_on=max(retained),
                    keeps=BILLING_COLUMNS,
                    legal_reason_fi="Kirjanpitolain (1336/1997) 2 luvun 10 §:n mukaan "
                    f"tositteet on säilytettävä {_FINNISH_YEARS.get(years, f'{years} vuotta')} "
                    "sen vuoden lopusta, jona tilikausi on päättynyt, ja lasku on kirjanpidon "
                    "tosite. Oikeutta tietojen poistamiseen ei sovelleta siltä osin kuin "
                    "käsittely on tarpeen rekisterinpitäjää koskevan lakisääteisen velvoitteen "
                    "noudattamiseksi (tietosuoja-asetuksen 17 artiklan 3 kohdan b alakohta). "
                    + _ONLY_BILLING_KEPT_FI,
                )
            )
        return blockers

    async def erase(
        self, customer: Customer, blockers: list[Blocker], actor: Actor | None = None
    ) -> list[str]:
        """Empty every personal column no blocker keeps; returns the columns emptied."""
        kept = {column for blocker in blockers for column in blocker.keeps}
        erased = columns_to_erase(customer, blockers)
        now = utcnow()
        values: dict[str, Any] = dict.fromkeys(erased)
        if kept:
            values["erasure_requested_at"] = customer.erasure_requested_at or now
            if kept != set(PERSONAL_COLUMNS):
                # Kept only for the blocking purpose (R23).
                values["restricted_at"] = customer.restricted_at or now
                values["restriction_reason"] = ERASURE_BLOCKED_REASON
                values["restricted_by"] = actor.actor_id if actor else None
        else:
            values.update(
                erased_at=now,
                erasure_requested_at=None,
                restricted_at=None,
                restriction_reason=None,
                restricted_by=None,
                restriction_ground=None,
            )
        await self.session.execute(
            update(Customer)
            .where(Customer.id == customer.id)
            .values(**values, updated_at=now, version=Customer.version + 1)
            .execution_options(synchronize_session=False)
        )
        if kept != set(PERSONAL_COLUMNS):
            await self._forget_free_text(customer.id, requests_too=not kept)
        await self.session.refresh(customer)
        await record_erasure(self.session, self.settings, customer, erased)
        return erased

    async def _forget_free_text(self, customer_id: uuid.UUID, *, requests_too: bool) -> None:
        """The person's own words and copies of their data outside the customer row."""
        await self.session.execute(
            update(ConsentEvent)
            .where(ConsentEvent.customer_id == customer_id, ConsentEvent.evidence.is_not(None))
            .values(evidence=None)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(
            delete(IdempotencyKey)
            .where(IdempotencyKey.customer_id == customer_id)
            .execution_options(synchronize_session=False)
        )
        if requests_too:
            await self.session.execute(
                update(GdprRequest)
                .where(GdprRequest.customer_id == customer_id)
                .values(
                    requester_name=None, requester_email=None, requester_address=None, details={}
                )
                .execution_options(synchronize_session=False)
            )
