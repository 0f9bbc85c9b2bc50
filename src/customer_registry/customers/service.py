"""Customer rules: validation across fields, unique e-mail, versions, and the audit of each."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import ColumnElement, Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.audit.service import AuditTrail
from customer_registry.auth.principal import Actor
from customer_registry.consents.service import ConsentStates
from customer_registry.core.database import SessionDep
from customer_registry.core.errors import (
    Conflict,
    NotFound,
    PreconditionFailed,
    UnprocessableEntity,
)
from customer_registry.core.pagination import Page, decode_uuid_cursor, encode_cursor
from customer_registry.customers.repository import (
    CustomerRepository,
    one_statement,
    page_parameters,
    page_statement,
)
from customer_registry.customers.schemas import (
    CUSTOMER_FIELDS,
    CustomerCreate,
    CustomerLinkCreate,
    CustomerLinkRead,
    CustomerRead,
    CustomerUpdate,
    check_customer_rules,
    columns_for,
)
from customer_registry.customers.validation import email_key
from customer_registry.models import (
    AuditAction,
    Customer,
    CustomerType,
    RecipientRole,
    StoredCustomer,
)
from customer_registry.models.base import utcnow
from customer_registry.partners.disclosures import Disclosed, DisclosureLog
from customer_registry.partners.repository import RecipientRepository
from customer_registry.policy import (
    Caller,
    Operation,
    RestrictedReadPurpose,
    State,
    caller_of,
    decide,
    enforce,
    linked_recipient,
)
from customer_registry.policy.rules import FieldsNotAllowed

CUSTOMER_ENTITY = "customer"
LINK_ENTITY = "customer_link"
StoredCustomerT = TypeVar("StoredCustomerT", bound=StoredCustomer)
EMAIL_TAKEN = "Another customer has this e-mail address."
NO_SUCH_CUSTOMER = "No such customer."


def _columns_besides_the_table() -> list[ColumnElement[Any]]:
    """What a read of customers takes besides their own columns: the consent decisions."""
    return [*ConsentStates.summary_columns()]


@functools.cache
def _read_query() -> Select[Any]:
    """The read of one customer, built once."""
    return one_statement(_columns_besides_the_table())


@functools.cache
def _page_query(filters: frozenset[str]) -> Select[Any]:
    """A page of customers with the conditions named, built once for each combination."""
    return page_statement(_columns_besides_the_table(), sorted(filters))


def fields_with_data(customer: CustomerRead) -> list[str]:
    """The personal fields a response discloses: those that hold a value."""
    return [name for name in (*CUSTOMER_FIELDS, "consents") if getattr(customer, name) is not None]


def shaped(customer: CustomerRead, actor: Actor) -> CustomerRead:
    """The customer as the caller may see it: for the web shop, only what the shop shows its
    user (the policy's fields of a lookup); the register's own fields null."""
    if caller_of(actor) is not Caller.web_shop:
        return customer
    visible = decide(Caller.web_shop, State.active, Operation.customer_lookup).fields
    if visible is None:
        return customer
    hidden = {
        name: None
        for name in (*CUSTOMER_FIELDS, "restricted_at")
        if name not in visible and name != "consents"
    }
    return customer.model_copy(update=hidden)


class CustomerService:
    def __init__(self, session: AsyncSession, consents: ConsentStates) -> None:
        self.session = session
        self.customers = CustomerRepository(session)
        self.consents = consents
        self.audit = AuditTrail(session)
        self.disclosures = DisclosureLog(session)

    async def _reads(self, customers: Sequence[Customer]) -> list[CustomerRead]:
        """The customers as read, with their consent summaries fetched in one query."""
        summaries = await self.consents.summaries([customer.id for customer in customers])
        return [CustomerRead.from_model(customer, summaries[customer.id]) for customer in customers]

    async def create(self, data: CustomerCreate, actor: Actor) -> CustomerRead:
        if actor.data_source is not None:
            # A machine client's writes carry its source (R10), whatever the body says.
            data = data.model_copy(update={"source": actor.data_source})
        values: dict[str, Any] = {}
        for name in CUSTOMER_FIELDS:
            values.update(columns_for(name, getattr(data, name)))
        values["relationship_started_on"] = data.relationship_started_on or utcnow().date()
        fields = [name for name in CUSTOMER_FIELDS if getattr(data, name) is not None]
        # The customer, its audit event and (for a recipient) the disclosure: one
        # transaction, the request's.
        try:
            # The e-mail's uniqueness is the table's to enforce, in the same statement.
            # No savepoint: a conflict ends the request, and its transaction with it.
            customer = await self.customers.insert(values)
        except IntegrityError as error:
            raise Conflict(EMAIL_TAKEN) from error
        await self.audit.record(
            actor,
            AuditAction.create,
            CUSTOMER_ENTITY,
            customer.id,
            customer_id=customer.id,
            fields=fields,
        )
        recipient = linked_recipient(actor)
        if recipient is not None:
            # The web shop acts on the customers it created from now on.
            await self.customers.link(customer.id, recipient, created_by=actor.actor_id)
        # A new customer has no consent decisions yet: the defaults, without a query.
        created = shaped(CustomerRead.from_model(customer, self.consents.default_summary()), actor)
        await self._record_disclosure(actor, created)
        return created

    async def get(
        self,
        customer_id: uuid.UUID,
        actor: Actor,
        purpose: RestrictedReadPurpose | None = None,
    ) -> CustomerRead:
        row = await self.customers.read_one(_read_query(), {"customer_id": customer_id})
        if row is None:
            raise NotFound(NO_SUCH_CUSTOMER)
        stored = self._present(row)
        enforce(actor, stored, Operation.customer_read, stated_purpose=purpose)
        audit_purpose = purpose.value if purpose else None
        customer = CustomerRead.from_model(stored, self.consents.summary_of(row))
        await self.audit.record(
            actor,
            AuditAction.read,
            CUSTOMER_ENTITY,
            customer.id,
            customer_id=customer.id,
            fields=fields_with_data(customer),
            purpose=audit_purpose,
        )
        return customer

    async def lookup_by_email(self, email: str, actor: Actor) -> CustomerRead:
        """The customer with this e-mail (any letter case); the read is audited."""
        page = await self.list(
            actor,
            search=None,
            customer_type=None,
            email=email,
            cursor=None,
            limit=1,
            linked_to=linked_recipient(actor),
        )
        if not page.items:
            raise NotFound("No customer has this e-mail address.")
        customer = shaped(page.items[0], actor)
        await self._record_disclosure(actor, customer)
        return customer

    async def list(
        self,
        actor: Actor,
        *,
        search: str | None,
        customer_type: CustomerType | None,
        email: str | None,
        cursor: str | None,
        limit: int,
        linked_to: uuid.UUID | None = None,
    ) -> Page[CustomerRead]:
        parameters = page_parameters(
            search=search,
            customer_type=customer_type.value if customer_type else None,
            email=email,
            after=decode_uuid_cursor(cursor) if cursor else None,
            linked_to=linked_to,
        )
        rows = await self.customers.page(
            _page_query(frozenset(parameters)), {**parameters, "limit": limit + 1}
        )
        # Each customer with its consent decisions, from the same query.
        items = [
            CustomerRead.from_model(row, self.consents.summary_of(row)) for row in rows[:limit]
        ]
        # One read event per customer returned.
        await self.audit.record_many(
            [
                AuditTrail.event(
                    actor,
                    AuditAction.read,
                    CUSTOMER_ENTITY,
                    item.id,
                    customer_id=item.id,
                    fields=fields_with_data(item),
                )
                for item in items
            ]
        )
        return Page[CustomerRead](
            items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None
        )

    async def update(
        self, customer_id: uuid.UUID, patch: CustomerUpdate, version: int, actor: Actor
    ) -> CustomerRead:
        customer = await self._get(customer_id)
        decision = enforce(
            actor,
            customer,
            Operation.customer_rectify,
            linked=await self.customers.links_allow(customer_id, linked_recipient(actor)),
        )
        if decision.fields is not None:
            beyond = sorted(patch.model_fields_set - decision.fields)
            if beyond:
                raise FieldsNotAllowed(
                    "This client may not change: " + ", ".join(beyond) + ". " + decision.reason
                )
        if customer.version != version:
            raise PreconditionFailed(
                f"The customer has changed since version {version}; read it again."
            )
        (current,) = await self._reads([customer])
        changed = [
            name
            for name in CUSTOMER_FIELDS
            if name in patch.model_fields_set and getattr(patch, name) != getattr(current, name)
        ]
        if not changed:
            await self.audit.record(
                actor,
                AuditAction.read,
                CUSTOMER_ENTITY,
                current.id,
                customer_id=current.id,
                fields=fields_with_data(current),
            )
            current = shaped(current, actor)
            await self._record_disclosure(actor, current)
            return current

        merged = current.model_copy(update={name: getattr(patch, name) for name in changed})
        try:
            check_customer_rules(
                merged.type,
                merged.organisation,
                bool(merged.is_contact_person),
                merged.relationship_started_on,
                merged.relationship_ended_on,
            )
        except ValueError as error:
            raise UnprocessableEntity(
                str(error).capitalize() + ".",
                loc=("body",),
                msg="the fields break a rule that spans them",
            ) from error
        if (
            "email" in changed
            and merged.email
            and await self.customers.email_taken(email_key(merged.email), excluding=customer_id)
        ):
            raise Conflict(EMAIL_TAKEN)

        values: dict[str, object] = {"updated_at": utcnow()}
        for name in changed:
            values.update(columns_for(name, getattr(patch, name)))
        try:
            # No savepoint: a conflict ends the request, and its transaction with it.
            updated = await self.customers.update_if_version(customer_id, version, values)
        except IntegrityError as error:
            raise Conflict(EMAIL_TAKEN) from error
        if not updated:
            raise PreconditionFailed(
                f"The customer has changed since version {version}; read it again."
            )
        await self.session.refresh(customer)
        await self.audit.record(
            actor,
            AuditAction.update,
            CUSTOMER_ENTITY,
            customer.id,
            customer_id=customer.id,
            fields=changed,
        )
        updated_customer = shaped((await self._reads([customer]))[0], actor)
        await self._record_disclosure(actor, updated_customer)
        return updated_customer

    async def link(
        self, customer_id: uuid.UUID, data: CustomerLinkCreate, actor: Actor
    ) -> CustomerLinkRead:
        """Let the web shop act on an existing customer; audited."""
        customer = self._present(await self.customers.get(customer_id))
        enforce(actor, customer, Operation.customer_rectify)
        recipient = await RecipientRepository(self.session).get(data.recipient_id)
        if recipient is None or recipient.role != RecipientRole.web_shop_operator.value:
            raise UnprocessableEntity(
                "recipient_id names no web shop operator.", loc=("body", "recipient_id")
            )
        await self.customers.link(customer_id, recipient.id, created_by=actor.actor_id)
        await self.audit.record(
            actor,
            AuditAction.create,
            LINK_ENTITY,
            customer_id,
            customer_id=customer_id,
            fields=["recipient_id"],
        )
        return CustomerLinkRead(customer_id=customer_id, recipient_id=recipient.id)

    async def _record_disclosure(self, actor: Actor, customer: CustomerRead) -> None:
        """A response to a recipient's API key is a disclosure of what it contains (R4)."""
        await self.disclosures.record(
            actor, Disclosed().add(customer.id, fields_with_data(customer))
        )

    async def _get(self, customer_id: uuid.UUID) -> Customer:
        return self._present(await self.customers.get(customer_id))

    @staticmethod
    def _present(customer: StoredCustomerT | None) -> StoredCustomerT:
        """The customer; 404 when there is none (the policy answers for an erased one)."""
        if customer is None:
            raise NotFound(NO_SUCH_CUSTOMER)
        return customer


async def get_customer_service(request: Request, session: SessionDep) -> CustomerService:
    return CustomerService(
        session, ConsentStates.from_settings(session, request.app.state.settings)
    )


CustomerServiceDep = Annotated[CustomerService, Depends(get_customer_service)]
