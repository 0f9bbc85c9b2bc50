"""What completing each kind of request does to the register."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.auth.principal import Actor
from customer_registry.config import Settings
from customer_registry.consents.schemas import ConsentEventCreate
from customer_registry.consents.service import ConsentService, ConsentStates
from customer_registry.core.errors import UnprocessableEntity
from customer_registry.customers.repository import CustomerRepository
from customer_registry.customers.schemas import CustomerUpdate
from customer_registry.customers.service import CustomerService
from customer_registry.gdpr_requests.erasure import Eraser
from customer_registry.models import (
    ConsentChannel,
    ConsentDecision,
    Customer,
    GdprRequest,
    NoticeKind,
    Purpose,
    RequestChannel,
    RequestType,
)
from customer_registry.notices.schemas import NotifiedParty
from customer_registry.notices.service import NoticeService
from customer_registry.policy import RestrictedReadPurpose
from customer_registry.privacy_notice.authority import DATA_PROTECTION_OMBUDSMAN
from customer_registry.restrictions.schemas import RestrictionCreate
from customer_registry.restrictions.service import RestrictionService

REQUESTS_PATH = "/api/v1/gdpr-requests"

# How a request's channel is recorded in the consent ledger.
_CONSENT_CHANNELS = {
    RequestChannel.letter: ConsentChannel.letter,
    RequestChannel.email: ConsentChannel.email,
    RequestChannel.web_shop: ConsentChannel.web_shop,
    RequestChannel.in_person: ConsentChannel.customer_service,
    RequestChannel.phone: ConsentChannel.customer_service,
}


class CompletionHandlers:
    """One method per request type; each returns the outcome recorded on the request."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.customers = CustomerRepository(session)
        states = ConsentStates.from_settings(session, settings)
        self.customer_service = CustomerService(session, states)
        self.consents = ConsentService(session, states, settings)
        self.restrictions = RestrictionService(session)
        self.notices = NoticeService(session)
        self.eraser = Eraser(session, settings)

    async def complete(self, request: GdprRequest, actor: Actor) -> dict[str, Any]:
        customer = await self.customers.get(request.customer_id) if request.customer_id else None
        if customer is None or customer.erased_at is not None:
            raise UnprocessableEntity("The request does not name a customer of the register.")
        handlers = {
            RequestType.access: self.deliver_access_report,
            RequestType.portability: self.deliver_archive,
            RequestType.rectification: self.rectify,
            RequestType.erasure: self.erase,
            RequestType.restriction: self.restrict,
            RequestType.objection: self.object,
        }
        return await handlers[RequestType(request.type)](request, customer, actor)

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
        """Apply the corrections, and tell the source and every recipient (Art. 19, R22)."""
        try:
            changes = CustomerUpdate.model_validate(request.details.get("changes", {}))
        except ValueError as error:
            raise UnprocessableEntity("The requested changes are no longer valid.") from error
        source = customer.source
        updated = await self.customer_service.update(customer.id, changes, customer.version, actor)
        fields = sorted(changes.model_fields_set)
        notified = await self.notices.notify_recipients(
            customer.id, NoticeKind.rectified, fields, request.id
        )
        return {
            "result": "rectified",
            "fields": fields,
            "version": updated.version,
            "notify": _parties(NotifiedParty(party="source", source=source), *notified),
        }

    async def erase(self, request: GdprRequest, customer: Customer, actor: Actor) -> dict[str, Any]:
        """Erase what may go; list what stays, why and until when (R14, R25, R26, R27)."""
        blockers = await self.eraser.blockers(customer)
        erased = await self.eraser.erase(customer, blockers, actor)
        request.details = {}
        notified = (
            await self.notices.notify_recipients(customer.id, NoticeKind.erased, erased, request.id)
            if erased
            else []
        )
        outcome: dict[str, Any] = {
            "result": "erased" if not blockers else "partially_erased",
            "erased_fields": erased,
            "blockers": [blocker.as_outcome() for blocker in blockers],
            "notify": _parties(*notified),
        }
        if blockers:
            outcome["kept_until_blockers_end"] = sorted(
                {column for blocker in blockers for column in blocker.keeps}
            )
            outcome["supervisory_authority"] = DATA_PROTECTION_OMBUDSMAN.contact(
                request.language
            ).model_dump()
        return outcome

    async def restrict(
        self, request: GdprRequest, customer: Customer, actor: Actor
    ) -> dict[str, Any]:
        """Restrict processing (R23), with the request as its legal ground."""
        if customer.restricted_at is not None:
            return {"result": "already_restricted"}
        reason = f"Data-subject request {request.id}"
        if request.details.get("reason"):
            reason = f"{reason}: {request.details['reason']}"[:500]
        await self.restrictions.restrict(customer.id, RestrictionCreate(reason=reason), actor)
        return {"result": "restricted", "ground": f"{REQUESTS_PATH}/{request.id}"}

    async def object(
        self, request: GdprRequest, customer: Customer, actor: Actor
    ) -> dict[str, Any]:
        """Record a forbid for each purpose objected to (R20), citing the request."""
        purposes = [Purpose(purpose) for purpose in request.details.get("purposes", [])]
        for purpose in purposes:
            await self.consents.record(
                customer.id,
                ConsentEventCreate(
                    purpose=purpose,
                    decision=ConsentDecision.forbidden,
                    channel=_CONSENT_CHANNELS[RequestChannel(request.channel)],
                    evidence=f"Data-subject request {request.id}",
                ),
                actor,
                purpose=RestrictedReadPurpose.data_subject_request,
            )
        return {"result": "objection_recorded", "forbidden": [p.value for p in purposes]}


def _parties(*parties: NotifiedParty) -> list[dict[str, Any]]:
    return [party.model_dump(mode="json", exclude_none=True) for party in parties]
