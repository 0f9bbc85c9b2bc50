"""Runs of the audit chain's verification, recorded in the audit log itself."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.audit.chain import VerifyReport
from customer_registry.audit.service import AuditTrail
from customer_registry.auth.principal import Actor
from customer_registry.models import AuditAction, AuditEvent

CHAIN_ENTITY = "audit_chain"
INTACT = "intact"
TAMPERED = "tampered"


async def record_verification(session: AsyncSession, actor: Actor, report: VerifyReport) -> None:
    """An audit event for a run: the chain's length as the entity id, its result as a field."""
    await AuditTrail(session).record(
        actor,
        AuditAction.read,
        CHAIN_ENTITY,
        report.entries,
        fields=[INTACT if report.ok else TAMPERED],
    )


async def last_verification(session: AsyncSession) -> AuditEvent | None:
    """The latest recorded run, if any."""
    statement = (
        select(AuditEvent)
        .where(AuditEvent.entity == CHAIN_ENTITY)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()
