"""Handling data-subject requests: receipt, verification, deadlines, completion, refusal."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.audit.service import AuditTrail
from customer_registry.auth.principal import Actor
from customer_registry.config import Settings
from customer_registry.core.database import SessionDep
from customer_registry.core.errors import Conflict, Gone, NotFound, UnprocessableEntity
from customer_registry.core.pagination import (
    InvalidCursor,
    Page,
    decode_cursor,
    encode_cursor,
)
from customer_registry.customers.repository import CustomerRepository
from customer_registry.customers.service import CUSTOMER_ENTITY
from customer_registry.gdpr_requests.completion import CompletionHandlers
from customer_registry.gdpr_requests.deadlines import answer_due, extended_due, today_in_finland
from customer_registry.gdpr_requests.reports import PersonReports
from customer_registry.gdpr_requests.repository import OPEN_STATUSES, GdprRequestRepository
from customer_registry.gdpr_requests.schemas import (
    Completion,
    Extension,
    GdprRequestCreate,
    GdprRequestRead,
    Refusal,
    Requester,
    Verification,
)
from customer_registry.models import (
    ActorType,
    AuditAction,
    Customer,
    GdprRequest,
    RequestChannel,
    RequestLanguage,
    RequestStatus,
    RequestType,
    VerificationMethod,
)
from customer_registry.models.base import utcnow
from customer_registry.policy import Operation, enforce, linked_recipient
from customer_registry.privacy_notice.authority import DATA_PROTECTION_OMBUDSMAN

REQUEST_ENTITY = "gdpr_request"
REQUEST_PURPOSE = "data_subject_request"


class GdprRequestService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.requests = GdprRequestRepository(session)
        self.customers = CustomerRepository(session)
        self.audit = AuditTrail(session)
        self.handlers = CompletionHandlers(session, settings)

    async def submit(self, data: GdprRequestCreate, actor: Actor) -> GdprRequestRead:
        received_at = data.received_at or utcnow()
        if received_at > utcnow() + dt.timedelta(minutes=5):
            raise UnprocessableEntity(
                "A request cannot be received in the future.", loc=("body", "received_at")
            )
        if data.customer_id is not None:
            customer = await self.customers.get(data.customer_id)
            if customer is None:
                raise NotFound("No such customer.")
            linked = await self.customers.links_allow(customer.id, linked_recipient(actor))
            enforce(actor, customer, Operation.request_submit, linked=linked)
        due = answer_due(received_at)
        # A machine client is the web shop: its requests arrive through the web shop.
        channel = RequestChannel.web_shop if actor.actor_type is ActorType.api_key else data.channel
        details: dict[str, Any] = {}
        if data.changes is not None:
            details["changes"] = data.changes.model_dump(mode="json", exclude_unset=True)
        for name in ("grounds", "purposes", "reason", "reference"):
            if getattr(data, name) is not None:
                details[name] = getattr(data, name)
        request = await self.requests.add(
            GdprRequest(
                type=data.type.value,
                customer_id=data.customer_id,
                requester_name=data.requester.name if data.requester else None,
                requester_email=data.requester.email if data.requester else None,
                requester_address=data.requester.address if data.requester else None,
                channel=channel.value,
                language=data.language.value,
                details=details,
                status=RequestStatus.received.value,
                received_at=received_at,
                due_on=due,
                deadline_on=due,
                signed=data.signed,
                submitted_by_type=actor.actor_type.value,
                submitted_by_id=actor.actor_id,
            )
        )
        await self._audit(actor, AuditAction.create, request, fields=_given_fields(data))
        return to_read(request)

    async def get(self, request_id: uuid.UUID, actor: Actor) -> GdprRequestRead:
        request = await self._get(request_id)
        await self._audit(actor, AuditAction.read, request, fields=_personal_fields(request))
        return to_read(request)

    async def list_requests(
        self,
        actor: Actor,
        *,
        status: RequestStatus | None,
        request_type: RequestType | None,
        customer_id: uuid.UUID | None,
        open_only: bool,
        overdue_only: bool,
        cursor: str | None,
        limit: int,
    ) -> Page[GdprRequestRead]:
        rows = await self.requests.list(
            status=status.value if status else None,
            request_type=request_type.value if request_type else None,
            customer_id=customer_id,
            open_only=open_only,
            overdue_on=today_in_finland() if overdue_only else None,
            after=_decode_deadline_cursor(cursor) if cursor else None,
            limit=limit + 1,
        )
        page = rows[:limit]
        await self.audit.record_many(
            [
                AuditTrail.event(
                    actor,
                    AuditAction.read,
                    REQUEST_ENTITY,
                    request.id,
                    customer_id=request.customer_id,
                    fields=_personal_fields(request),
                    purpose=REQUEST_PURPOSE,
                )
                for request in page
            ]
        )
        next_cursor = (
            encode_cursor(page[-1].deadline_on.isoformat(), page[-1].id)
            if len(rows) > limit
            else None
        )
        return Page[GdprRequestRead](items=[to_read(r) for r in page], next_cursor=next_cursor)

    async def verify(
        self, request_id: uuid.UUID, verification: Verification, actor: Actor
    ) -> GdprRequestRead:
        request = await self._get(request_id, for_update=True)
        _require_status(request, RequestStatus.received)
        signed = request.signed if verification.signed is None else verification.signed
        if request.channel == RequestChannel.letter.value and not signed:
            raise UnprocessableEntity(
                "A written request must be signed before it is acted on (R19, R22).",
                loc=("body", "signed"),
            )
        if verification.customer_id is not None:
            if request.customer_id not in (None, verification.customer_id):
                raise Conflict("The request already concerns another customer.")
            if await self.customers.get(verification.customer_id) is None:
                raise NotFound("No such customer.")
            request.customer_id = verification.customer_id
        if request.customer_id is None:
            raise UnprocessableEntity(
                "Identify the customer the request concerns before verifying it.",
                loc=("body", "customer_id"),
            )
        request.signed = signed
        request.verification_method = verification.method.value
        request.verified_by = actor.actor_id
        request.verified_at = utcnow()
        request.status = RequestStatus.verified.value
        request.updated_at = utcnow()
        await self._audit(
            actor,
            AuditAction.update,
            request,
            fields=["status", "verification_method", "verified_at", "signed", "customer_id"],
        )
        return to_read(request)

    async def extend(
        self, request_id: uuid.UUID, extension: Extension, actor: Actor
    ) -> GdprRequestRead:
        request = await self._get(request_id, for_update=True)
        if request.status not in OPEN_STATUSES:
            raise Conflict("Only an open request can be extended.")
        if request.extended_at is not None:
            raise Conflict("The deadline has already been extended once.")
        if today_in_finland() > request.due_on:
            raise Conflict(
                "The first deadline has passed: an extension must be made within one month "
                "of receipt (Art. 12(3))."
            )
        request.deadline_on = extended_due(request.received_at, extension.months)
        request.extension_reason = extension.reason
        request.extended_at = utcnow()
        request.updated_at = utcnow()
        await self._audit(
            actor,
            AuditAction.update,
            request,
            fields=["deadline_on", "extension_reason", "extended_at"],
        )
        return to_read(request)

    async def refuse(
        self, request_id: uuid.UUID, refusal: Refusal, actor: Actor
    ) -> GdprRequestRead:
        request = await self._get(request_id, for_update=True)
        if request.status not in OPEN_STATUSES:
            raise Conflict("The request is already closed.")
        request.outcome = {
            "result": "refused",
            "statement": refusal_statement(request.language, request.type, refusal.reasons),
            "reasons": refusal.reasons,
            "supervisory_authority": DATA_PROTECTION_OMBUDSMAN.contact(
                request.language
            ).model_dump(),
        }
        self._close(request, RequestStatus.refused, actor)
        await self._audit(actor, AuditAction.update, request, fields=["status", "outcome"])
        return to_read(request)

    async def complete(
        self, request_id: uuid.UUID, completion: Completion, actor: Actor
    ) -> GdprRequestRead:
        request = await self._get(request_id, for_update=True)
        _require_status(request, RequestStatus.verified)
        assert request.customer_id is not None  # verification requires it
        outcome = await self.handlers.complete(request, actor)
        if outcome.get("erased_fields"):
            await self.audit.record(
                actor,
                AuditAction.erase,
                CUSTOMER_ENTITY,
                request.customer_id,
                customer_id=request.customer_id,
                fields=outcome["erased_fields"],
                purpose=REQUEST_PURPOSE,
            )
        if completion.note is not None:
            outcome["note"] = completion.note
        request.outcome = outcome
        self._close(request, RequestStatus.completed, actor)
        await self._audit(actor, AuditAction.update, request, fields=["status", "outcome"])
        return to_read(request)

    async def person_for_report(
        self, request_id: uuid.UUID, request_type: RequestType, actor: Actor
    ) -> tuple[Customer, str]:
        """The person whose data a verified request may now be answered with; audited."""
        request = await self._get(request_id)
        if request.type != request_type.value:
            raise Conflict(
                f"This is not a{'n' if request_type is RequestType.access else ''} "
                f"{request_type.value} request."
            )
        if request.status not in (RequestStatus.verified.value, RequestStatus.completed.value):
            raise Conflict("The requester's identity must be verified first.")
        customer = await self.customers.get(request.customer_id) if request.customer_id else None
        if customer is None:
            raise Gone("The person's data is no longer in the register.")
        operation = (
            Operation.access_report if request_type is RequestType.access else Operation.portability
        )
        enforce(actor, customer, operation)
        await self.audit.record(
            actor,
            AuditAction.export,
            CUSTOMER_ENTITY,
            customer.id,
            customer_id=customer.id,
            fields=[request_type.value],
            purpose=REQUEST_PURPOSE,
        )
        return customer, request.language

    async def portability_archive(self, request_id: uuid.UUID, actor: Actor) -> bytes:
        customer, _ = await self.person_for_report(request_id, RequestType.portability, actor)
        return await PersonReports(self.session, self.settings).portability_archive(customer)

    def _close(self, request: GdprRequest, status: RequestStatus, actor: Actor) -> None:
        request.status = status.value
        request.closed_by = actor.actor_id
        request.closed_at = utcnow()
        request.updated_at = utcnow()

    async def _get(self, request_id: uuid.UUID, *, for_update: bool = False) -> GdprRequest:
        request = await self.requests.get(request_id, for_update=for_update)
        if request is None:
            raise NotFound("No such request.")
        return request

    async def _audit(
        self, actor: Actor, action: AuditAction, request: GdprRequest, *, fields: list[str]
    ) -> None:
        await self.audit.record(
            actor,
            action,
            REQUEST_ENTITY,
            request.id,
            customer_id=request.customer_id,
            fields=fields,
            purpose=REQUEST_PURPOSE,
        )


def _require_status(request: GdprRequest, status: RequestStatus) -> None:
    if request.status != status.value:
        raise Conflict(f"The request is {request.status}; this needs it {status.value}.")


def _given_fields(data: GdprRequestCreate) -> list[str]:
    return [
        name
        for name in (
            "customer_id",
            "requester",
            "changes",
            "grounds",
            "purposes",
            "reason",
            "reference",
        )
        if getattr(data, name) is not None
    ]


def _personal_fields(request: GdprRequest) -> list[str]:
    fields = ["type", "status"]
    if request.requester_name is not None:
        fields.append("requester")
    fields.extend(sorted(request.details))
    return fields


def _decode_deadline_cursor(cursor: str) -> tuple[dt.date, uuid.UUID]:
    deadline, identifier = decode_cursor(cursor, 2)
    try:
        return dt.date.fromisoformat(deadline), uuid.UUID(identifier)
    except ValueError as error:
        raise InvalidCursor("The cursor is not one this service issued.") from error


def to_read(request: GdprRequest) -> GdprRequestRead:
    requester = None
    if request.requester_name is not None:
        requester = Requester.model_construct(
            name=request.requester_name,
            email=request.requester_email,
            address=request.requester_address,
        )
    return GdprRequestRead.model_construct(
        id=request.id,
        type=RequestType(request.type),
        customer_id=request.customer_id,
        requester=requester,
        channel=RequestChannel(request.channel),
        language=RequestLanguage(request.language),
        status=RequestStatus(request.status),
        received_at=request.received_at,
        due_on=request.due_on,
        deadline_on=request.deadline_on,
        overdue=request.status in OPEN_STATUSES and today_in_finland() > request.deadline_on,
        extension_reason=request.extension_reason,
        extended_at=request.extended_at,
        signed=request.signed,
        verification_method=(
            VerificationMethod(request.verification_method) if request.verification_method else None
        ),
        verified_by=request.verified_by,
        verified_at=request.verified_at,
        closed_by=request.closed_by,
        closed_at=request.closed_at,
        details=request.details,
        outcome=request.outcome,
        created_at=request.created_at,
        updated_at=request.updated_at,
    )


# What was refused, as the object of the letter's first sentence.
_REQUEST_NAMES = {
    "fi": {
        "access": "henkilötietojenne tarkastamista koskevan pyyntönne",
        "portability": "tietojenne siirtämistä järjestelmästä toiseen koskevan pyyntönne",
        "rectification": "tietojenne oikaisemista koskevan pyyntönne",
        "erasure": "tietojenne poistamista koskevan pyyntönne",
        "restriction": "tietojenne käsittelyn rajoittamista koskevan pyyntönne",
        "objection": "tietojenne käsittelyn vastustamista koskevan pyyntönne",
    },
    "en": {
        "access": "your request for access",
        "portability": "your request to receive your data",
        "rectification": "your request for rectification",
        "erasure": "your request for erasure",
        "restriction": "your request to restrict processing",
        "objection": "your objection",
    },
}


def refusal_statement(language: str, request_type: str, reasons: str) -> str:
    """The written refusal with its reasons and the remedies (Art. 12(4); R22, R26)."""
    what = _REQUEST_NAMES[language][request_type]
    reasons = reasons.strip()
    if not reasons.endswith((".", "!", "?")):
        reasons += "."
    remedies = DATA_PROTECTION_OMBUDSMAN.refusal_remedies(language)
    if language == "fi":
        return (
            f"Rekisterinpitäjä on evännyt {what}. Epäämisen syyt: {reasons} Tämä kirjallinen "
            "todistus epäämisestä annetaan tietosuoja-asetuksen 12 artiklan 4 kohdan "
            f"mukaisesti. {remedies}"
        )
    return (
        f"The controller has refused {what}. Reasons: {reasons} This written statement of "
        f"the refusal is given under Article 12(4) of the GDPR. {remedies}"
    )


async def get_gdpr_request_service(request: Request, session: SessionDep) -> GdprRequestService:
    return GdprRequestService(session, request.app.state.settings)


GdprRequestServiceDep = Annotated[GdprRequestService, Depends(get_gdpr_request_service)]
