"""The retention run: find customers past the retention period and erase them (R15).

From the command line each customer is erased in a transaction of its own, so an
interrupted run leaves no half-erased customer and a second run finds only what the first
did not finish. From the API a run works in the request's transaction, at most `limit`
customers at a time.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from enum import StrEnum

from pydantic import BaseModel, Field
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from customer_registry.audit.service import AuditTrail
from customer_registry.auth.principal import Actor
from customer_registry.config import Settings
from customer_registry.customers.service import CUSTOMER_ENTITY
from customer_registry.gdpr_requests.deadlines import add_months, today_in_finland
from customer_registry.gdpr_requests.erasure import Eraser, columns_to_erase
from customer_registry.models import AuditAction, Customer
from customer_registry.policy import Operation, caller_of, decide, state_of

RETENTION_PURPOSE = "retention"


class RetentionOutcome(StrEnum):
    """What a run does to a due customer (in a dry run: would do)."""

    erased = "erased"
    partially_erased = "partially_erased"
    kept = "kept"


class RetentionReason(StrEnum):
    """Why a customer is due."""

    retention_period_ended = "retention_period_ended"
    erasure_pending = "erasure_pending"


class RetentionDecision(BaseModel):
    """One due customer: what the run does and why, by id only (no personal values)."""

    customer_id: uuid.UUID
    reason: RetentionReason
    outcome: RetentionOutcome = Field(
        description="`erased`: every personal field emptied, the row kept pseudonymous for "
        "statistics (R27); `partially_erased`: what no blocker keeps is emptied; `kept`: "
        "the blockers keep every remaining field."
    )
    blockers: list[str]


class BlockedCustomer(BaseModel):
    """A customer past retention whom a blocker keeps, wholly or in part."""

    customer_id: uuid.UUID
    blockers: list[str]


class RetentionReport(BaseModel):
    """What a retention run found and did."""

    dry_run: bool
    retention_years: int
    cutoff: dt.date = Field(description="Relationships that ended before this day are due.")
    candidates: int
    erased: int = Field(description="Erased wholly (in a dry run: would be).")
    partially_erased: int = Field(description="Erased in part (in a dry run: would be).")
    blocked: list[BlockedCustomer]
    customers: list[RetentionDecision] = Field(
        description="Every customer of this run with its outcome; a dry run lists what the "
        "real run would do."
    )
    remaining: int = Field(description="Candidates left for a later run (API runs are bounded).")


Progress = Callable[[int, int], None]


def retention_cutoff(settings: Settings, today: dt.date | None = None) -> dt.date:
    return add_months(today or today_in_finland(), -12 * settings.retention_years)


async def due_customers(
    session: AsyncSession, cutoff: dt.date, limit: int | None = None
) -> Sequence[uuid.UUID]:
    """Customers not yet erased: relationship ended before the cutoff, or erasure pending."""
    query = (
        select(Customer.id)
        .where(
            Customer.erased_at.is_(None),
            or_(
                Customer.relationship_ended_on < cutoff,
                Customer.erasure_requested_at.is_not(None),
            ),
        )
        .order_by(Customer.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return (await session.scalars(query)).all()


async def apply_retention(
    session: AsyncSession,
    settings: Settings,
    customer_id: uuid.UUID,
    actor: Actor,
    report: RetentionReport,
) -> None:
    """Erase one customer as far as its blockers allow, and count it in the report."""
    customer = await session.get(Customer, customer_id, with_for_update=True)
    if customer is None:
        return
    if not decide(caller_of(actor), state_of(customer), Operation.retention).allowed:
        return  # erased already: nothing left for the run
    eraser = Eraser(session, settings)
    blockers = await eraser.blockers(customer)
    if blockers:
        report.blocked.append(
            BlockedCustomer(customer_id=customer_id, blockers=[b.kind for b in blockers])
        )
    # The dry run decides from the same blockers and columns as the real run, so that its
    # counts and its list are the real run's.
    if not blockers:
        outcome = RetentionOutcome.erased
    elif columns_to_erase(customer, blockers):
        outcome = RetentionOutcome.partially_erased
    else:
        outcome = RetentionOutcome.kept
    ended = customer.relationship_ended_on
    report.customers.append(
        RetentionDecision(
            customer_id=customer_id,
            reason=RetentionReason.retention_period_ended
            if ended is not None and ended < report.cutoff
            else RetentionReason.erasure_pending,
            outcome=outcome,
            blockers=[b.kind for b in blockers],
        )
    )
    if outcome is RetentionOutcome.erased:
        report.erased += 1
    elif outcome is RetentionOutcome.partially_erased:
        report.partially_erased += 1
    if report.dry_run or outcome is RetentionOutcome.kept:
        return
    erased = await eraser.erase(customer, blockers, actor)
    await AuditTrail(session).record(
        actor,
        AuditAction.erase,
        CUSTOMER_ENTITY,
        customer_id,
        customer_id=customer_id,
        fields=erased,
        purpose=RETENTION_PURPOSE,
    )


def empty_report(settings: Settings, cutoff: dt.date, *, dry_run: bool) -> RetentionReport:
    return RetentionReport(
        dry_run=dry_run,
        retention_years=settings.retention_years,
        cutoff=cutoff,
        candidates=0,
        erased=0,
        partially_erased=0,
        blocked=[],
        customers=[],
        remaining=0,
    )


async def run_in_session(
    session: AsyncSession, settings: Settings, actor: Actor, *, dry_run: bool, limit: int
) -> RetentionReport:
    """A bounded run inside one transaction (the API's)."""
    cutoff = retention_cutoff(settings)
    candidates = await due_customers(session, cutoff, limit + 1)
    report = empty_report(settings, cutoff, dry_run=dry_run)
    report.candidates = min(len(candidates), limit)
    report.remaining = max(len(candidates) - limit, 0)
    for customer_id in candidates[:limit]:
        await apply_retention(session, settings, customer_id, actor, report)
    return report


async def run_per_customer(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    actor: Actor,
    *,
    dry_run: bool,
    progress: Progress | None = None,
) -> RetentionReport:
    """A whole run, one transaction per customer (the command line's)."""
    cutoff = retention_cutoff(settings)
    async with session_factory() as session:
        candidates = await due_customers(session, cutoff)
    report = empty_report(settings, cutoff, dry_run=dry_run)
    report.candidates = len(candidates)
    for done, customer_id in enumerate(candidates, start=1):
        async with session_factory() as session, session.begin():
            await apply_retention(session, settings, customer_id, actor, report)
        if progress is not None:
            progress(done, len(candidates))
    return report
