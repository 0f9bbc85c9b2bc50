"""The console's pages: each a thin view over the service the API's router calls."""

from __future__ import annotations

import collections
import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import ValidationError

from customer_registry.accounts.schemas import UserCreate
from customer_registry.accounts.service import AccountServiceDep, LoginServiceDep
from customer_registry.audit.chain import verify
from customer_registry.audit.service import AuditLogServiceDep
from customer_registry.audit.verifications import last_verification, record_verification
from customer_registry.auth.dependencies import AnonymousActor
from customer_registry.auth.principal import ApiKeyScope, Permission
from customer_registry.auth.rate_limit import per_client_address, principal_quota
from customer_registry.consents.schemas import ConsentEventCreate
from customer_registry.consents.service import ConsentServiceDep
from customer_registry.console import letters
from customer_registry.console.rendering import (
    clear_session_cookie,
    render,
    see_other,
    set_session_cookie,
)
from customer_registry.console.sessions import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    CsrfRefused,
    Signed,
    SignedForm,
    SignedIn,
    close_session,
    cookie_is_secure,
    new_sign_in_nonce,
    open_session,
    person,
    set_language,
    tokens_match,
)
from customer_registry.console.texts import translator
from customer_registry.core.database import SessionDep
from customer_registry.core.errors import Gone, NotFound, UnprocessableEntity
from customer_registry.customers.service import CustomerService, CustomerServiceDep
from customer_registry.exports.filters import LabelFilters
from customer_registry.exports.labels import Label
from customer_registry.exports.left_out import count_left_out
from customer_registry.exports.service import MEDIA_TYPES, LabelFormat, MailingLabelExportDep
from customer_registry.gdpr_requests.deadlines import FINNISH_TIME, today_in_finland
from customer_registry.gdpr_requests.preview import erasure_blockers
from customer_registry.gdpr_requests.reports import stream_access_report
from customer_registry.gdpr_requests.schemas import (
    Completion,
    Extension,
    GdprRequestCreate,
    Refusal,
    Verification,
)
from customer_registry.gdpr_requests.service import GdprRequestServiceDep
from customer_registry.models import (
    AuditAction,
    ConsentChannel,
    ConsentDecision,
    CustomerType,
    DisclosurePurpose,
    Language,
    Purpose,
    RecipientRole,
    RequestChannel,
    RequestLanguage,
    RequestStatus,
    RequestType,
    Role,
    VerificationMethod,
)
from customer_registry.orders.service import OrderServiceDep
from customer_registry.partners.schemas import ApiKeyCreate, ApiKeyRotate, RecipientCreate
from customer_registry.partners.service import DisclosureReportServiceDep, RecipientServiceDep
from customer_registry.policy import RestrictedReadPurpose, caller_of
from customer_registry.restrictions.service import RestrictionServiceDep

router = APIRouter()

RequestHandler = Annotated[Signed, person(Permission.gdpr_requests_handle)]
RequestHandlerForm = Annotated[Signed, person(Permission.gdpr_requests_handle, form=True)]
RequestSubmitterForm = Annotated[Signed, person(Permission.gdpr_requests_submit, form=True)]
CustomersReaderIn = Annotated[Signed, person(Permission.customers_read)]
CustomersWriterForm = Annotated[Signed, person(Permission.customers_write, form=True)]
AuditReaderIn = Annotated[Signed, person(Permission.audit_read)]
AuditReaderForm = Annotated[Signed, person(Permission.audit_read, form=True)]
LabelsExporterIn = Annotated[Signed, person(Permission.exports_labels)]
UsersManagerIn = Annotated[Signed, person(Permission.users_manage)]
UsersManagerForm = Annotated[Signed, person(Permission.users_manage, form=True)]
RecipientsManagerForm = Annotated[Signed, person(Permission.recipients_manage, form=True)]

Text = Annotated[str, Form(max_length=2000)]
OptionalText = Annotated[str | None, Form(max_length=2000)]
OPEN_PAGE = 200
SOON_DAYS = 7


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _model(model: type[Any], data: dict[str, Any]) -> Any:
    """A service's input model from a form; a form that does not fit is a 422 page."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fields = ", ".join(
            ".".join(str(part) for part in item["loc"]) or "form" for item in error.errors()
        )
        raise UnprocessableEntity(f"Check these fields: {fields}.") from error


def _start_of_day_in_finland(day: str) -> dt.datetime:
    """A receipt date from the form as the start of that day in Finland (deadlines count days)."""
    try:
        date = dt.date.fromisoformat(day)
    except ValueError as error:
        raise UnprocessableEntity("Check these fields: received_on.") from error
    return dt.datetime.combine(date, dt.time(), tzinfo=FINNISH_TIME)


# Sign-in and the session


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request) -> Response:
    """The sign-in form, with a nonce against cross-site sign-in (double-submit cookie)."""
    nonce = new_sign_in_nonce()
    response = render(request, "sign_in.html", None, nonce=nonce, error=None)
    response.set_cookie(
        SIGN_IN_COOKIE,
        nonce,
        path="/console/sign-in",
        httponly=True,
        samesite="strict",
        secure=cookie_is_secure(request.app.state.settings),
        max_age=3600,
    )
    return response


@router.post(
    "/sign-in",
    dependencies=[Depends(per_client_address("login", "rate_limit_login_per_minute"))],
)
async def sign_in(
    request: Request,
    session: SessionDep,
    service: LoginServiceDep,
    actor: AnonymousActor,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    language: Annotated[Literal["fi", "en"], Form()] = "fi",
) -> Response:
    """Sign in with the API's login: same accounts, commitment gate and throttling."""
    if not tokens_match(request.cookies.get(SIGN_IN_COOKIE), csrf_token):
        raise CsrfRefused("The sign-in form was not sent from this browser's sign-in page.")
    issued = await service.login(username, password, actor)
    await open_session(
        session,
        request.app.state.settings,
        request.app.state.token_codec,
        issued.access_token,
        language,
    )
    response = see_other("/")
    set_session_cookie(response, request, issued.access_token)
    response.delete_cookie(SIGN_IN_COOKIE, path="/console/sign-in")
    return response


@router.post("/sign-out")
async def sign_out(request: Request, session: SessionDep, signed: SignedForm) -> Response:
    """Sign out: the session's token is revoked on the server at once."""
    token = request.cookies.get(SESSION_COOKIE, "")
    await close_session(session, request.app.state.token_codec, token, signed)
    request.state.console_renewed_token = None
    response = see_other("/sign-in")
    clear_session_cookie(response, request)
    return response


@router.post("/language")
async def change_language(
    session: SessionDep,
    signed: SignedForm,
    language: Annotated[Literal["fi", "en"], Form()],
    back: Annotated[str, Form(max_length=500, pattern=r"^/console(/[^/].*)?/?$")] = "/console/",
) -> Response:
    """Choose the session's language (kept on the server, for this session)."""
    await set_language(session, signed, language)
    return see_other(back.removeprefix("/console") or "/")


# Today


@router.get("/", response_class=HTMLResponse)
async def today(
    request: Request,
    session: SessionDep,
    signed: SignedIn,
    requests: GdprRequestServiceDep,
) -> Response:
    """Open requests by days left, counts by type and state, the chain's last verification."""
    rows: list[dict[str, Any]] = []
    by_type: collections.Counter[str] = collections.Counter()
    by_status: collections.Counter[str] = collections.Counter()
    if signed.can(Permission.gdpr_requests_handle):
        page = await requests.list_requests(
            signed.actor,
            status=None,
            request_type=None,
            customer_id=None,
            open_only=True,
            overdue_only=False,
            cursor=None,
            limit=OPEN_PAGE,
        )
        today_on = today_in_finland()
        for item in page.items:
            days_left = (item.deadline_on - today_on).days
            rows.append(
                {
                    "request": item,
                    "days_left": days_left,
                    "soon": not item.overdue and days_left <= SOON_DAYS,
                }
            )
            by_type[item.type.value] += 1
            by_status[item.status.value] += 1
    return render(
        request,
        "today.html",
        signed,
        rows=rows,
        by_type=sorted(by_type.items()),
        by_status=sorted(by_status.items()),
        verification=await last_verification(session),
    )


# Customers


@router.get("/customers", response_class=HTMLResponse)
async def customers(
    request: Request,
    signed: CustomersReaderIn,
    service: CustomerServiceDep,
    q: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")] = None,
    type: Annotated[CustomerType | Literal[""], Query()] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Search customers; every customer listed is audited as read, as in the API."""
    query = _blank_to_none(q)
    page = None
    if query is not None or type:
        page = await service.list(
            signed.actor,
            search=query,
            customer_type=type or None,
            email=None,
            cursor=cursor,
            limit=50,
        )
    return render(
        request,
        "customers.html",
        signed,
        page=page,
        q=query or "",
        selected_type=type,
        customer_types=list(CustomerType),
    )


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
async def customer_page(
    request: Request,
    customer_id: uuid.UUID,
    signed: CustomersReaderIn,
    customers: CustomerServiceDep,
    consents: ConsentServiceDep,
    restrictions: RestrictionServiceDep,
    orders: OrderServiceDep,
    disclosures: DisclosureReportServiceDep,
    audit: AuditLogServiceDep,
    purpose: RestrictedReadPurpose | None = None,
) -> Response:
    """A person's page; each part is read by the service, and audited, as the API reads it."""
    actor = signed.actor
    customer = await customers.get(customer_id, actor, purpose)
    ledger = await consents.get(customer_id, actor, purpose=purpose, cursor=None, limit=100)
    restriction = (
        await restrictions.get(customer_id, actor)
        if signed.can(Permission.restrictions_manage)
        else None
    )
    customer_orders = (
        await orders.list_for_customer(customer_id, actor, cursor=None, limit=100, purpose=purpose)
        if signed.can(Permission.orders_read)
        else None
    )
    disclosed = readers = None
    if signed.can(Permission.audit_read):
        disclosed = await disclosures.list_disclosures(
            actor, customer_id=customer_id, recipient_id=None, cursor=None, limit=100
        )
        readers = await audit.list_events(
            actor,
            customer_id=customer_id,
            actor_id=None,
            action=None,
            occurred_from=None,
            occurred_to=None,
            cursor=None,
            limit=200,
        )
    return render(
        request,
        "customer.html",
        signed,
        customer=customer,
        ledger=ledger,
        restriction=restriction,
        orders=customer_orders,
        disclosures=disclosed,
        readers=readers,
        purpose=purpose,
        purposes=list(Purpose),
        decisions=list(ConsentDecision),
        channels=[
            ConsentChannel.customer_service,
            ConsentChannel.email,
            ConsentChannel.letter,
            ConsentChannel.contact_person,
        ],
    )


@router.post("/customers/{customer_id}/consents")
async def record_consent(
    customer_id: uuid.UUID,
    signed: CustomersWriterForm,
    service: ConsentServiceDep,
    purpose: Annotated[Purpose, Form()],
    decision: Annotated[ConsentDecision, Form()],
    channel: Annotated[ConsentChannel, Form()],
    evidence: OptionalText = None,
    read_purpose: Annotated[RestrictedReadPurpose | Literal[""], Form()] = "",
) -> Response:
    """Record a prohibition or consent received by phone, e-mail or at customer service."""
    data = _model(
        ConsentEventCreate,
        {
            "purpose": purpose,
            "decision": decision,
            "channel": channel,
            "evidence": _blank_to_none(evidence),
        },
    )
    await service.record(customer_id, data, signed.actor, purpose=read_purpose or None)
    suffix = f"?purpose={read_purpose}" if read_purpose else ""
    return see_other(f"/customers/{customer_id}{suffix}#consents")


# Requests


@router.get("/requests", response_class=HTMLResponse)
async def requests_page(
    request: Request,
    signed: RequestHandler,
    service: GdprRequestServiceDep,
    status: Annotated[RequestStatus | Literal[""], Query()] = "",
    type: Annotated[RequestType | Literal[""], Query()] = "",
    open: bool = False,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Requests by deadline, the most urgent first."""
    page = await service.list_requests(
        signed.actor,
        status=status or None,
        request_type=type or None,
        customer_id=None,
        open_only=open,
        overdue_only=False,
        cursor=cursor,
        limit=50,
    )
    return render(
        request,
        "requests.html",
        signed,
        page=page,
        today_on=today_in_finland(),
        selected_status=status,
        selected_type=type,
        only_open=open,
        statuses=list(RequestStatus),
        types=list(RequestType),
    )


@router.get("/requests/new", response_class=HTMLResponse)
async def new_request_page(
    request: Request,
    signed: Annotated[Signed, person(Permission.gdpr_requests_submit)],
    customer_id: uuid.UUID | None = None,
) -> Response:
    """The form for a request received by letter, e-mail, phone or in person."""
    return render(
        request,
        "request_new.html",
        signed,
        customer_id=customer_id,
        types=list(RequestType),
        channels=[c for c in RequestChannel if c is not RequestChannel.web_shop],
        languages=list(RequestLanguage),
        purposes=list(Purpose),
    )


@router.post("/requests")
async def submit_request(
    signed: RequestSubmitterForm,
    service: GdprRequestServiceDep,
    type: Annotated[RequestType, Form()],
    channel: Annotated[RequestChannel, Form()],
    language: Annotated[RequestLanguage, Form()],
    customer_id: Annotated[str, Form(max_length=64)] = "",
    requester_name: OptionalText = None,
    requester_email: OptionalText = None,
    requester_address: OptionalText = None,
    received_on: Annotated[str, Form(max_length=10)] = "",
    signed_letter: Annotated[bool, Form()] = False,
    reference: OptionalText = None,
    reason: OptionalText = None,
    grounds: OptionalText = None,
    purposes: Annotated[list[Purpose] | None, Form()] = None,
    change_field: Annotated[str, Form(max_length=40)] = "",
    change_value: OptionalText = None,
) -> Response:
    """Register a received request; its deadline is one month after receipt."""
    data: dict[str, Any] = {
        "type": type,
        "channel": channel,
        "language": language,
        "signed": signed_letter,
    }
    if _blank_to_none(reference) is not None:
        data["reference"] = _blank_to_none(reference)
    if customer_id.strip():
        data["customer_id"] = customer_id.strip()
    name = _blank_to_none(requester_name)
    if name is not None:
        data["requester"] = {
            "name": name,
            "email": _blank_to_none(requester_email),
            "address": _blank_to_none(requester_address),
        }
    if received_on.strip():
        data["received_at"] = _start_of_day_in_finland(received_on.strip())
    if type in (RequestType.erasure, RequestType.restriction) and _blank_to_none(reason):
        data["reason"] = _blank_to_none(reason)
    if type is RequestType.rectification:
        data["grounds"] = _blank_to_none(grounds)
        if change_field and _blank_to_none(change_value) is not None:
            data["changes"] = {change_field: _blank_to_none(change_value)}
    if type is RequestType.objection:
        data["purposes"] = purposes
    created = await service.submit(_model(GdprRequestCreate, data), signed.actor)
    return see_other(f"/requests/{created.id}")


@router.get("/requests/{request_id}", response_class=HTMLResponse)
async def request_page(
    request: Request,
    request_id: uuid.UUID,
    session: SessionDep,
    signed: RequestHandler,
    service: GdprRequestServiceDep,
) -> Response:
    """A request: where it stands, the blockers an erasure meets, and what can be done."""
    item = await service.get(request_id, signed.actor)
    blockers = None
    if item.status in (RequestStatus.received, RequestStatus.verified):
        blockers = await erasure_blockers(
            session, request.app.state.settings, request_id, signed.actor
        )
    return render(
        request,
        "request.html",
        signed,
        item=item,
        blockers=blockers,
        today_on=today_in_finland(),
        methods=list(VerificationMethod),
        RequestStatus=RequestStatus,
        RequestType=RequestType,
    )


@router.post("/requests/{request_id}/verify")
async def verify_request(
    request_id: uuid.UUID,
    signed: RequestHandlerForm,
    service: GdprRequestServiceDep,
    method: Annotated[VerificationMethod, Form()],
    letter_signed: Annotated[bool, Form()] = False,
    customer_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Record how the requester's identity was verified."""
    data: dict[str, Any] = {"method": method, "signed": letter_signed or None}
    if customer_id.strip():
        data["customer_id"] = customer_id.strip()
    await service.verify(request_id, _model(Verification, data), signed.actor)
    return see_other(f"/requests/{request_id}")


@router.post("/requests/{request_id}/extend")
async def extend_request(
    request_id: uuid.UUID,
    signed: RequestHandlerForm,
    service: GdprRequestServiceDep,
    months: Annotated[int, Form()],
    reason: Text,
) -> Response:
    """Extend the deadline once, with the reasons given to the person."""
    extension = _model(Extension, {"months": months, "reason": reason.strip()})
    await service.extend(request_id, extension, signed.actor)
    return see_other(f"/requests/{request_id}")


@router.post("/requests/{request_id}/complete")
async def complete_request(
    request_id: uuid.UUID,
    signed: RequestHandlerForm,
    service: GdprRequestServiceDep,
    note: Annotated[str | None, Form(max_length=100)] = None,
) -> Response:
    """Carry out a verified request."""
    completion = _model(Completion, {"note": _blank_to_none(note)})
    await service.complete(request_id, completion, signed.actor)
    return see_other(f"/requests/{request_id}")


@router.post("/requests/{request_id}/refuse")
async def refuse_request(
    request_id: uuid.UUID,
    signed: RequestHandlerForm,
    service: GdprRequestServiceDep,
    reasons: Text,
) -> Response:
    """Refuse with written reasons; the letter names the Data Protection Ombudsman."""
    await service.refuse(request_id, _model(Refusal, {"reasons": reasons.strip()}), signed.actor)
    return see_other(f"/requests/{request_id}")


@router.get("/requests/{request_id}/letter", response_class=HTMLResponse)
async def letter(
    request: Request,
    request_id: uuid.UUID,
    signed: RequestHandler,
    service: GdprRequestServiceDep,
    customers: CustomerServiceDep,
    kind: Literal["decision", "extension"] = "decision",
    format: Literal["html", "pdf"] = "html",
) -> Response:
    """The decision (or extension) as a letter in the requester's language: HTML or PDF."""
    item = await service.get(request_id, signed.actor)
    addressee = None
    if item.customer_id is not None and item.requester is None:
        addressee = await _postal_lines(customers, item.customer_id, signed)
    content = letters.compose(item, kind, request.app.state.settings, addressee)
    if format == "pdf":
        return Response(
            letters.pdf(content),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="letter-{request_id}.pdf"'},
        )
    return render(
        request,
        "letter.html",
        signed,
        letter=content,
        item=item,
        kind=kind,
        lt=translator(content.language),
    )


async def _postal_lines(
    customers: CustomerService, customer_id: uuid.UUID, signed: Signed
) -> list[str] | None:
    """The person's name and postal address, read (and audited) for the data-subject request;
    None once erased."""
    try:
        customer = await customers.get(
            customer_id, signed.actor, RestrictedReadPurpose.data_subject_request
        )
    except (Gone, NotFound):
        return None
    name = " ".join(part for part in (customer.first_name, customer.last_name) if part)
    organisation = customer.organisation.name if customer.organisation else None
    if customer.address is None:
        lines = [part for part in (name, organisation) if part]
        return lines or None
    address = customer.address
    # As a mailing label prints it: the country too, outside Finland.
    return Label(
        name=name,
        organisation=organisation,
        street=address.street,
        postal_code=address.postal_code,
        city=address.city,
        country=address.country,
    ).lines()


@router.get("/requests/{request_id}/access-report")
async def access_report(
    request: Request,
    request_id: uuid.UUID,
    session: SessionDep,
    signed: RequestHandler,
    service: GdprRequestServiceDep,
) -> Response:
    """The access report of a verified access request (HTML), as the API gives it."""
    settings = request.app.state.settings
    # The API's export quota, given back when the request is refused.
    async with principal_quota(
        session, "exports", signed.principal, settings.rate_limit_exports_per_minute
    ):
        customer, language = await service.person_for_report(
            request_id, RequestType.access, signed.actor
        )
    return StreamingResponse(
        stream_access_report(
            request.app.state.session_factory, settings, customer.id, language, "html"
        ),
        media_type="text/html; charset=utf-8",
    )


@router.get("/requests/{request_id}/portability-archive")
async def portability_archive(
    request: Request,
    request_id: uuid.UUID,
    session: SessionDep,
    signed: RequestHandler,
    service: GdprRequestServiceDep,
) -> Response:
    """The portability archive of a verified portability request."""
    settings = request.app.state.settings
    async with principal_quota(
        session, "exports", signed.principal, settings.rate_limit_exports_per_minute
    ):
        archive = await service.portability_archive(request_id, signed.actor)
    return Response(
        archive,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="personal-data-{request_id}.zip"'},
    )


# Exports


@router.get("/exports", response_class=HTMLResponse)
async def exports_page(
    request: Request,
    session: SessionDep,
    signed: LabelsExporterIn,
    type: Annotated[CustomerType | Literal[""], Query()] = "",
    language: Annotated[Language | Literal[""], Query()] = "",
    postal_code_prefix: Annotated[str, Query(max_length=16, pattern=r"^[A-Za-z0-9]*$")] = "",
) -> Response:
    """The mailing-label export, its filters, and how many each filter leaves out and why."""
    filters = _label_filters(type, language, postal_code_prefix)
    left_out = await count_left_out(
        session, request.app.state.settings, filters, caller_of(signed.actor)
    )
    return render(
        request,
        "exports.html",
        signed,
        customer_types=list(CustomerType),
        languages=list(Language),
        left_out=left_out,
        selected={"type": type, "language": language, "postal_code_prefix": postal_code_prefix},
    )


def _label_filters(
    customer_type: CustomerType | Literal[""],
    language: Language | Literal[""],
    postal_code_prefix: str,
) -> LabelFilters:
    return LabelFilters(
        customer_type=customer_type.value if customer_type else None,
        language=language.value if language else None,
        postal_code_prefix=postal_code_prefix.upper() or None,
    )


@router.get("/exports/mailing-labels")
async def mailing_labels(
    request: Request,
    session: SessionDep,
    signed: LabelsExporterIn,
    export: MailingLabelExportDep,
    format: LabelFormat = LabelFormat.csv,
    type: Annotated[CustomerType | Literal[""], Query()] = "",
    language: Annotated[Language | Literal[""], Query()] = "",
    postal_code_prefix: Annotated[str, Query(max_length=16, pattern=r"^[A-Za-z0-9]*$")] = "",
) -> Response:
    """The labels, streamed and audited person by person as the API's export is."""
    settings = request.app.state.settings
    async with principal_quota(
        session, "exports", signed.principal, settings.rate_limit_exports_per_minute
    ):
        filters = _label_filters(type, language, postal_code_prefix)
    return StreamingResponse(
        export.stream(format, filters, signed.actor),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="mailing-labels.{format.value}"'},
    )


# Audit


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(
    request: Request,
    session: SessionDep,
    signed: AuditReaderIn,
    service: AuditLogServiceDep,
    customer_id: Annotated[uuid.UUID | Literal[""], Query()] = "",
    actor_id: Annotated[str, Query(max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")] = "",
    action: Annotated[str, Query(max_length=32)] = "",
    occurred_from: Annotated[dt.date | Literal[""], Query(alias="from")] = "",
    occurred_to: Annotated[dt.date | Literal[""], Query(alias="to")] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The audit log with filters (itself an audited read), and the chain's verification."""
    chosen_action = AuditAction(action) if action in set(AuditAction) else None
    page = await service.list_events(
        signed.actor,
        customer_id=customer_id or None,
        actor_id=actor_id.strip() or None,
        action=chosen_action,
        occurred_from=_day_start(occurred_from),
        occurred_to=_day_start(occurred_to, next_day=True),
        cursor=cursor,
        limit=100,
    )
    return render(
        request,
        "audit.html",
        signed,
        page=page,
        filters={
            "customer_id": str(customer_id),
            "actor_id": actor_id,
            "action": action,
            "from": str(occurred_from),
            "to": str(occurred_to),
        },
        actions=list(AuditAction),
        verification=await last_verification(session),
        report=None,
    )


def _day_start(day: dt.date | Literal[""], *, next_day: bool = False) -> dt.datetime | None:
    if not day:
        return None
    # A day of the audit filter is a day in Finland, as every date of the register is.
    start = dt.datetime.combine(day, dt.time(), tzinfo=FINNISH_TIME)
    return start + dt.timedelta(days=1) if next_day else start


@router.post("/audit/verify", response_class=HTMLResponse)
async def verify_chain(request: Request, session: SessionDep, signed: AuditReaderForm) -> Response:
    """Verify the whole chain now; the run and its result are recorded in the audit log."""
    # The verification reads in sessions of its own; the session's activity is committed
    # first, as SQLite lets one transaction at a time hold the write lock.
    await session.commit()
    report = await verify(request.app.state.session_factory, unsealed_grace=dt.timedelta(minutes=5))
    await record_verification(session, signed.actor, report)
    return render(request, "verification.html", signed, report=report)


# Administration


@router.get("/admin", response_class=HTMLResponse)
async def admin_page(
    request: Request,
    signed: UsersManagerIn,
    accounts: AccountServiceDep,
    recipients: RecipientServiceDep,
) -> Response:
    """Accounts, recipients and their API keys."""
    users = await accounts.list_users(None, 200)
    listed = await recipients.list_recipients(None, 200)
    keys = {
        recipient.id: (await recipients.list_keys(recipient.id, None, 200)).items
        for recipient in listed.items
    }
    return render(
        request,
        "admin.html",
        signed,
        users=users.items,
        recipients=listed.items,
        keys=keys,
        roles=list(Role),
        recipient_roles=list(RecipientRole),
        scopes=list(ApiKeyScope),
        disclosure_purposes=list(DisclosurePurpose),
        created_key=None,
    )


@router.post("/admin/accounts")
async def create_account(
    signed: UsersManagerForm,
    accounts: AccountServiceDep,
    username: Annotated[str, Form(max_length=64)],
    full_name: Annotated[str, Form(max_length=200)],
    role: Annotated[Role, Form()],
    password: Annotated[str, Form(max_length=200)],
    committed: Annotated[bool, Form()] = False,
) -> Response:
    """Create a personal account."""
    data = _model(
        UserCreate,
        {
            "username": username,
            "full_name": full_name,
            "role": role,
            "password": password,
            "confidentiality_committed": committed,
        },
    )
    await accounts.create_user(data, signed.actor)
    return see_other("/admin#accounts")


@router.post("/admin/accounts/{user_id}/{change}")
async def change_account(
    user_id: uuid.UUID,
    change: Literal["disable", "enable", "commitment"],
    signed: UsersManagerForm,
    accounts: AccountServiceDep,
) -> Response:
    """Disable or enable an account, or record its confidentiality commitment."""
    if change == "commitment":
        await accounts.record_commitment(user_id, signed.actor)
    else:
        await accounts.set_active(user_id, change == "enable", signed.actor)
    return see_other("/admin#accounts")


@router.post("/admin/recipients")
async def create_recipient(
    signed: RecipientsManagerForm,
    recipients: RecipientServiceDep,
    name: Annotated[str, Form(max_length=200)],
    country: Annotated[str, Form(max_length=2)],
    role: Annotated[str, Form(max_length=40)],
    business_id: Annotated[str, Form(max_length=20)] = "",
    safeguard: OptionalText = None,
) -> Response:
    """Add a recipient of data."""
    data = _model(
        RecipientCreate,
        {
            "name": name,
            "country": country.upper(),
            "role": role,
            "business_id": business_id.strip() or None,
            "safeguard": _blank_to_none(safeguard),
        },
    )
    await recipients.create(data, signed.actor)
    return see_other("/admin#recipients")


@router.post("/admin/recipients/{recipient_id}/keys", response_class=HTMLResponse)
async def create_key(
    request: Request,
    recipient_id: uuid.UUID,
    signed: RecipientsManagerForm,
    recipients: RecipientServiceDep,
    name: Annotated[str, Form(max_length=100)],
    scopes: Annotated[list[str], Form()],
    purposes: Annotated[list[str] | None, Form()] = None,
    expires_in_days: Annotated[int, Form()] = 365,
) -> Response:
    """Make a key; it is shown on this page once, never again."""
    data = _model(
        ApiKeyCreate,
        {
            "name": name,
            "scopes": scopes,
            "purposes": purposes or [],
            "expires_in_days": expires_in_days,
        },
    )
    created = await recipients.create_key(recipient_id, data, signed.actor)
    return render(request, "key_created.html", signed, created=created)


@router.post("/admin/recipients/{recipient_id}/keys/{key_id}/{change}", response_class=HTMLResponse)
async def change_key(
    request: Request,
    recipient_id: uuid.UUID,
    key_id: uuid.UUID,
    change: Literal["rotate", "revoke"],
    signed: RecipientsManagerForm,
    recipients: RecipientServiceDep,
    old_key_valid_for_hours: Annotated[int, Form()] = 24,
) -> Response:
    """Rotate a key (the new one shown once) or revoke it at once."""
    if change == "revoke":
        await recipients.revoke_key(recipient_id, key_id, signed.actor)
        return see_other("/admin#recipients")
    rotation = _model(ApiKeyRotate, {"old_key_valid_for_hours": old_key_valid_for_hours})
    created = await recipients.rotate_key(recipient_id, key_id, rotation, signed.actor)
    return render(request, "key_created.html", signed, created=created)
