"""Erasure (R14, R25, R27): what blocks it, and removing what may go."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.config import Settings
from customer_registry.erasure_log.recorder import record_erasure
from customer_registry.models import Customer, GdprRequest
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


@dataclass(frozen=True)
class Blocker:
    """Something the law or a claim needs the data for, and until when."""

    kind: str
    legal_reason: str
    ends_on: dt.date | None
    keeps: tuple[str, ...]

    def as_outcome(self) -> dict[str, Any]:
        outcome = asdict(self)
        outcome["ends_on"] = self.ends_on.isoformat() if self.ends_on else None
        outcome["keeps"] = list(self.keeps)
        return outcome


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
                )
            )
        return blockers

    async def erase(self, customer: Customer, blockers: list[Blocker]) -> list[str]:
        """Empty every personal column no blocker keeps; returns the columns emptied."""
        kept = {column for blocker in blockers for column in blocker.keeps}
        erased = [column for column in PERSONAL_COLUMNS if column not in kept]
        values: dict[str, Any] = dict.fromkeys(erased)
        now = utcnow()
        if not kept:
            values["erased_at"] = now
        if erased:
            await self.session.execute(
                update(Customer)
                .where(Customer.id == customer.id)
                .values(**values, updated_at=now, version=Customer.version + 1)
                .execution_options(synchronize_session=False)
            )
            if not kept:
                await self._forget_requesters(customer.id)
            await self.session.refresh(customer)
        await record_erasure(self.session, self.settings, customer, erased)
        return erased

    async def _forget_requesters(self, customer_id: uuid.UUID) -> None:
        """The person's own words in their requests go too; the request records remain."""
        await self.session.execute(
            update(GdprRequest)
            .where(GdprRequest.customer_id == customer_id)
            .values(requester_name=None, requester_email=None, requester_address=None, details={})
            .execution_options(synchronize_session=False)
        )
