"""What would block the erasure of a request's person, before the request is carried out."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.auth.principal import Actor
from customer_registry.config import Settings
from customer_registry.customers.repository import CustomerRepository
from customer_registry.gdpr_requests.erasure import Blocker, Eraser
from customer_registry.gdpr_requests.repository import GdprRequestRepository
from customer_registry.models import RequestType
from customer_registry.policy import Operation, enforce


async def erasure_blockers(
    session: AsyncSession, settings: Settings, request_id: uuid.UUID, actor: Actor
) -> list[Blocker] | None:
    """The blockers the completion would compute now, as the processing policy lets the
    caller handle the request; None unless an erasure of a customer."""
    request = await GdprRequestRepository(session).get(request_id)
    if request is None or request.type != RequestType.erasure.value or request.customer_id is None:
        return None
    customer = await CustomerRepository(session).get(request.customer_id)
    if customer is None or customer.erased_at is not None:
        return None
    enforce(actor, customer, Operation.request_handle)
    return await Eraser(session, settings).blockers(customer)
