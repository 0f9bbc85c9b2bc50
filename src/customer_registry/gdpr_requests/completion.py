"""What completing each kind of request does to the register."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.auth.principal import Actor
from customer_registry.config import Settings
from customer_registry.consents.service import ConsentStates
from customer_registry.core.errors import UnprocessableEntity
from customer_registry.customers.repository import CustomerRepository
from customer_registry.customers.schemas import CustomerUpdate
from customer_registry.customers.service import CustomerService
from customer_registry.gdpr_requests.erasure import Eraser
from customer_registry.models import Customer, GdprRequest, RequestType
from customer_registry.models.base import utcnow
from customer_registry.privacy_notice.authority import DATA_PROTECTION_OMBUDSMAN

REQUESTS_PATH = "/api/v1/gdpr-requests"


class CompletionHandlers:
    """One method per request type; each returns the outcome recorded on the request."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.customers = CustomerRepository(session)
        self.customer_service = CustomerService(
            session, ConsentStates.from_settings(session, settings)
        )
        self.eraser = Eraser(session, settings)

    async def complete(self, request: GdprRequest, actor: Actor) -> dict[str, Any]:
        customer = await self.customers.get(request.customer_id) if request.customer_id else None
        if customer is None:
            raise UnprocessableEntity("The request does not name a customer of the register.")
        handlers = {
            RequestType.access: self.deliver_access_report,
            RequestType.portability: self.deliver_archive,
            RequestType.rectification: self.rectify,
            RequestType.erasure: self.erase,
        }
        handler = handlers.get(RequestType(request.type))
        if handler is None:
            raise UnprocessableEntity(f"A {request.type} request is carried out elsewhere.")
        outcome = await handler(request, customer, actor)
        outcome["completed_at"] = utcnow().isoformat()
        return outcome

    async def deliver_access_report(
        self, request: GdprRequest, customer: Customer, actor: Actor
    ) -> dict[str, Any]:
        """The report is what the person receives; completion records where it is."""
        return {
            "result": "report_delivered",
            "report": f"{REQUESTS_PATH}/{request.id}/access-report",
            "formats": ["json", "html"],
        }

    async def deliver_archive(
        self, request: GdprRequest, customer: Customer, actor: Actor
    ) -> dict[str, Any]:
        return {
            "result": "archive_delivered",
            "archive": f"{REQUESTS_PATH}/{request.id}/portability-archive",
        }

    async def rectify(
        self, request: GdprRequest, customer: Customer, actor: Actor
    ) -> dict[str, Any]:
        """Apply the corrections, and list whom to notify of them (Art. 19, R22)."""
        try:
            changes = CustomerUpdate.model_validate(request.details.get("changes", {}))
        except ValueError as error:
            raise UnprocessableEntity("The requested changes are no longer valid.") from error
        source = customer.source
        updated = await self.customer_service.update(customer.id, changes, customer.version, actor)
        return {
            "result": "rectified",
            "fields": sorted(changes.model_fields_set),
            "version": updated.version,
            "notify": [{"party": "source", "source": source}],
        }

    async def erase(self, request: GdprRequest, customer: Customer, actor: Actor) -> dict[str, Any]:
        """Erase what may go; list what stays, why and until when (R14, R25, R26, R27)."""
        blockers = await self.eraser.blockers(customer)
        erased = await self.eraser.erase(customer, blockers)
        request.details = {}
        outcome: dict[str, Any] = {
            "result": "erased" if not blockers else "partially_erased",
            "erased_fields": erased,
            "blockers": [blocker.as_outcome() for blocker in blockers],
        }
        if blockers:
            outcome["supervisory_authority"] = DATA_PROTECTION_OMBUDSMAN.contact(
                request.language
            ).model_dump()
        return outcome
