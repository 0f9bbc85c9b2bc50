"""The mailing-label run for direct advertising (R5): who is on it, and the audit of each."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from customer_registry.audit.service import AuditTrail
from customer_registry.auth.principal import Actor
from customer_registry.config import Settings
from customer_registry.consents.service import ConsentStates
from customer_registry.customers.predicates import has_postal_address
from customer_registry.exports.filters import LabelFilters
from customer_registry.exports.labels import (
    Label,
    LabelSheetWriter,
    csv_header,
    csv_rows,
)
from customer_registry.exports.repository import ExportRepository
from customer_registry.gdpr_requests.deadlines import today_in_finland
from customer_registry.models import AuditAction, Purpose
from customer_registry.policy import Operation, caller_of
from customer_registry.policy.conditions import admitted_subjects

EXPORTED_ENTITY = "customer"
LABEL_AUDIT_PURPOSE = Purpose.direct_advertising.value


class LabelFormat(StrEnum):
    csv = "csv"
    pdf = "pdf"


MEDIA_TYPES = {LabelFormat.csv: "text/csv; charset=utf-8", LabelFormat.pdf: "application/pdf"}


class MailingLabelExport:
    """Streams mailing labels batch by batch, each batch audited before its bytes go out.

    The export runs after the request's own transaction has ended, so it opens its own
    session. Every batch is read and its export events written in one transaction that
    commits before the batch is yielded: a person is never on a label without the audit
    event, and a forbid recorded during a long run takes effect from the next batch.
    """

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], settings: Settings
    ) -> None:
        self.session_factory = session_factory
        self.settings = settings

    async def stream(
        self, label_format: LabelFormat, filters: LabelFilters, actor: Actor
    ) -> AsyncIterator[bytes]:
        writer = LabelSheetWriter() if label_format is LabelFormat.pdf else None
        yield writer.start() if writer else csv_header()
        async with self.session_factory() as session:
            conditions = self._eligible(session, filters, actor)
            after: uuid.UUID | None = None
            while True:
                async with session.begin():
                    labels, after = await self._batch(session, conditions, after, actor)
                if labels:
                    yield writer.add(labels) if writer else csv_rows(labels)
                if after is None:
                    break
        if writer:
            for chunk in writer.finish():
                yield chunk

    def _eligible(
        self, session: AsyncSession, filters: LabelFilters, actor: Actor
    ) -> list[ColumnElement[bool]]:
        """Who may be on a label: whom the processing policy admits to a label run (active,
        neither listing nor direct advertising forbidden: R5, R20, R23), with an address."""
        states = ConsentStates.from_settings(session, self.settings)
        return [
            admitted_subjects(
                caller_of(actor), Operation.labels_export, today_in_finland(), states.allows
            ),
            has_postal_address(),
            *filters.conditions(),
        ]

    async def _batch(
        self,
        session: AsyncSession,
        conditions: Sequence[ColumnElement[bool]],
        after: uuid.UUID | None,
        actor: Actor,
    ) -> tuple[list[Label], uuid.UUID | None]:
        """One batch of labels, audited; and the id to continue after (None at the end)."""
        batch_size = self.settings.mailing_label_batch_size
        rows = await ExportRepository(session).label_batch(
            conditions, after=after, limit=batch_size
        )
        labels: list[Label] = []
        events = []
        for row in rows:
            customer_id, first_name, last_name, organisation, street, postal_code, city, country = (
                row
            )
            labels.append(
                Label(
                    name=" ".join(part for part in (first_name, last_name) if part),
                    organisation=organisation,
                    # The query only returns customers with a complete postal address.
                    street=street or "",
                    postal_code=postal_code or "",
                    city=city or "",
                    country=country or "",
                )
            )
            fields = [
                name
                for name, value in (
                    ("first_name", first_name),
                    ("last_name", last_name),
                    ("organisation", organisation),
                )
                if value is not None
            ]
            events.append(
                AuditTrail.event(
                    actor,
                    AuditAction.export,
                    EXPORTED_ENTITY,
                    customer_id,
                    customer_id=customer_id,
                    fields=[*fields, "address"],
                    purpose=LABEL_AUDIT_PURPOSE,
                )
            )
        await AuditTrail(session).record_many(events)
        next_after = rows[-1][0] if len(rows) == batch_size else None
        return labels, next_after


async def get_label_export(request: Request) -> MailingLabelExport:
    return MailingLabelExport(request.app.state.session_factory, request.app.state.settings)


MailingLabelExportDep = Annotated[MailingLabelExport, Depends(get_label_export)]
