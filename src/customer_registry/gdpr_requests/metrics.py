"""Gauges of the data-subject requests, read from the database when metrics are scraped."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.core.metrics import GaugeReading, database_gauges
from customer_registry.gdpr_requests.deadlines import today_in_finland
from customer_registry.gdpr_requests.repository import OPEN_STATUSES
from customer_registry.models import GdprRequest


@database_gauges.register
async def gdpr_request_gauges(session: AsyncSession) -> list[GaugeReading]:
    """Open requests by status, and how many of them are past their deadline."""
    rows = await session.execute(
        select(
            GdprRequest.status,
            func.count(),
            func.count().filter(GdprRequest.deadline_on < today_in_finland()),
        )
        .where(GdprRequest.status.in_(OPEN_STATUSES))
        .group_by(GdprRequest.status)
    )
    counts = {status: (total, overdue) for status, total, overdue in rows}
    return [
        GaugeReading(
            "customer_registry_gdpr_requests_open",
            "Open data-subject requests by status.",
            labels=("status",),
            values={(status,): counts.get(status, (0, 0))[0] for status in OPEN_STATUSES},
        ),
        GaugeReading(
            "customer_registry_gdpr_requests_overdue",
            "Open data-subject requests past their deadline (GDPR Art. 12(3)).",
            labels=(),
            values={(): sum(overdue for _, overdue in counts.values())},
        ),
    ]
