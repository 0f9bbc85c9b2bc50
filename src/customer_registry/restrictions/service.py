"""Restricting and releasing a customer (R23), each audited."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.audit.service import AuditTrail
from customer_registry.auth.principal import Actor
from customer_registry.core.database import SessionDep
from customer_registry.core.errors import Conflict, NotFound
from customer_registry.models import AuditAction, Customer
from customer_registry.models.base import utcnow
from customer_registry.policy import Operation, enforce
from customer_registry.restrictions.repository import RestrictionRepository
from customer_registry.restrictions.schemas import RestrictionCreate, RestrictionRead

RESTRICTION_ENTITY = "customer"


class RestrictionService:
    def __init__(self, session: AsyncSession) -> None:
        self.restrictions = RestrictionRepository(session)
        self.audit = AuditTrail(session)

    async def get(self, customer_id: uuid.UUID, actor: Actor) -> RestrictionRead:
        customer = await self._get(customer_id, actor)
        await self.audit.record(
            actor,
            AuditAction.read,
            RESTRICTION_ENTITY,
            customer_id,
            customer_id=customer_id,
            fields=["restriction"],
        )
        return RestrictionRead.from_model(customer)

    async def restrict(
        self, customer_id: uuid.UUID, data: RestrictionCreate, actor: Actor
    ) -> RestrictionRead:
        customer = await self._get(customer_id, actor)
        if customer.restricted_at is not None or not await self.restrictions.set(
            customer,
            restricted_at=utcnow(),
            reason=data.reason,
            restricted_by=actor.actor_id,
            ground=data.ground.value if data.ground else None,
        ):
            raise Conflict("The processing of this customer is already restricted.")
        await self.audit.record(
            actor,
            AuditAction.restrict,
            RESTRICTION_ENTITY,
            customer_id,
            customer_id=customer_id,
            fields=["restriction_reason", *(["restriction_ground"] if data.ground else [])],
        )
        return RestrictionRead.from_model(customer)

    async def release(self, customer_id: uuid.UUID, actor: Actor) -> RestrictionRead:
        customer = await self._get(customer_id, actor)
        if customer.restricted_at is None or not await self.restrictions.set(
            customer, restricted_at=None, reason=None, restricted_by=None
        ):
            raise Conflict("The processing of this customer is not restricted.")
        await self.audit.record(
            actor,
            AuditAction.release,
            RESTRICTION_ENTITY,
            customer_id,
            customer_id=customer_id,
            fields=["restriction_reason"],
        )
        return RestrictionRead.from_model(customer)

    async def _get(self, customer_id: uuid.UUID, actor: Actor) -> Customer:
        customer = await self.restrictions.get(customer_id)
        if customer is None:
            raise NotFound("No such customer.")
        enforce(actor, customer, Operation.restriction_manage)
        return customer


async def get_restriction_service(session: SessionDep) -> RestrictionService:
    return RestrictionService(session)


RestrictionServiceDep = Annotated[RestrictionService, Depends(get_restriction_service)]
