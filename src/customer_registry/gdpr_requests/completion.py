"""What completing each kind of request does to the register."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.auth.principal import Actor
from customer_registry.core.errors import UnprocessableEntity
from customer_registry.customers.schemas import CustomerUpdate
from customer_registry.customers.service import CustomerService
from customer_registry.models import GdprRequest, RequestType
from customer_registry.models.base import utcnow


class CompletionHandlers:
    """One method per request type; each returns the outcome recorded on the request."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.customers = CustomerService(session)

    async def complete(self, request: GdprRequest, actor: Actor) -> dict[str, Any]:
        handler = {
            RequestType.rectification: self.rectify,
        }[RequestType(request.type)]
        return await handler(request, actor)

    async def rectify(self, request: GdprRequest, actor: Actor) -> dict[str, Any]:
        """Apply the corrections, and list whom to notify of them (Art. 19, R22)."""
        assert request.customer_id is not None
        try:
            changes = CustomerUpdate.model_validate(request.details.get("changes", {}))
        except ValueError as error:
            raise UnprocessableEntity("The requested changes are no longer valid.") from error
        current = await self.customers.customers.get(request.customer_id)
        assert current is not None
        updated = await self.customers.update(request.customer_id, changes, current.version, actor)
        return {
            "result": "rectified",
            "completed_at": utcnow().isoformat(),
            "fields": sorted(changes.model_fields_set),
            "version": updated.version,
            "notify": [{"party": "source", "source": current.source}],
        }
