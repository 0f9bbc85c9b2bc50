"""The disclosure log: every response to a recipient, per data subject (R4, R12, Art. 15, 19)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.auth.principal import Actor
from customer_registry.models import ProcessorPurpose
from customer_registry.models.base import utcnow
from customer_registry.partners.repository import DisclosureRepository

CUSTOMER_ENTITY = "customer"


class Disclosed:
    """What one response hands over: the field names per data subject.

    A customer's own fields keep their names (`email`); fields of other entities carry the
    entity's name (`order.lines`).
    """

    def __init__(self) -> None:
        self.fields: dict[uuid.UUID, set[str]] = {}

    def add(
        self, customer_id: uuid.UUID, fields: Iterable[str], entity: str = CUSTOMER_ENTITY
    ) -> Disclosed:
        names = fields if entity == CUSTOMER_ENTITY else (f"{entity}.{name}" for name in fields)
        self.fields.setdefault(customer_id, set()).update(names)
        return self


class DisclosureLog:
    """Writes disclosure rows in the request's transaction, so data and log stand together."""

    def __init__(self, session: AsyncSession) -> None:
        self.repository = DisclosureRepository(session)

    async def record(self, actor: Actor, disclosed: Disclosed) -> None:
        """One row per data subject in the response; nothing for staff, who are not recipients."""
        principal = actor.principal
        if principal is None or not actor.is_api_key or principal.recipient_id is None:
            return
        now = utcnow()
        await self.repository.append(
            [
                {
                    "occurred_at": now,
                    "recipient_id": principal.recipient_id,
                    "api_key_id": uuid.UUID(principal.id),
                    "customer_id": customer_id,
                    "purpose": actor.purpose or ProcessorPurpose.web_shop_service.value,
                    "fields": sorted(fields),
                    "request_id": actor.request_id,
                }
                for customer_id, fields in disclosed.fields.items()
            ]
        )
