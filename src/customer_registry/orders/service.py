"""Order rules: totals, status and invoice transitions, the billing view, and their audit."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.audit.service import AuditTrail
from customer_registry.auth.principal import Actor
from customer_registry.core.database import SessionDep
from customer_registry.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    UnprocessableEntity,
)
from customer_registry.core.ids import uuid7
from customer_registry.core.pagination import (
    InvalidCursor,
    Page,
    decode_cursor,
    decode_uuid_cursor,
    encode_cursor,
)
from customer_registry.models import (
    AuditAction,
    DataSource,
    InvoiceStatus,
    Order,
    OrderChannel,
    OrderRecord,
    OrderStatus,
    Record,
)
from customer_registry.models.base import utcnow
from customer_registry.orders.money import (
    Amounts,
    line_amounts,
    order_amounts,
    to_basis_points,
    to_cents,
)
from customer_registry.orders.repository import OrderRepository
from customer_registry.orders.schemas import (
    BILLING_CUSTOMER_FIELDS,
    BillingCustomer,
    BillingOrder,
    BillingOrderRead,
    InvoiceFeedPage,
    InvoiceStatusChangeRead,
    OrderCreate,
    OrderRead,
)
from customer_registry.partners.disclosures import CUSTOMER_ENTITY, Disclosed, DisclosureLog
from customer_registry.policy import (
    Caller,
    Decision,
    Operation,
    RestrictedReadPurpose,
    admitted,
    caller_of,
    enforce,
    linked_recipient,
)
from customer_registry.policy.conditions import disclosed_invoices, in_states
from customer_registry.policy.rules import (
    PURPOSE_ORDER_FIELDS,
    CustomerRestricted,
)

ORDER_ENTITY = "order"
NUMBER_TAKEN = "Another order has this order number or invoice number."

ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.placed: frozenset({OrderStatus.delivered, OrderStatus.cancelled}),
    OrderStatus.delivered: frozenset({OrderStatus.returned}),
    OrderStatus.cancelled: frozenset(),
    OrderStatus.returned: frozenset(),
}
# Acyclic, so an invoice's history has at most four steps.
INVOICE_TRANSITIONS: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    InvoiceStatus.open: frozenset(
        {InvoiceStatus.paid, InvoiceStatus.in_collection, InvoiceStatus.credited}
    ),
    InvoiceStatus.in_collection: frozenset({InvoiceStatus.paid, InvoiceStatus.credited}),
    InvoiceStatus.paid: frozenset({InvoiceStatus.credited}),
    InvoiceStatus.credited: frozenset(),
}
# What a recipient (the finance partner) may record; crediting stays with the company.
RECIPIENT_INVOICE_STATUSES = frozenset({InvoiceStatus.paid, InvoiceStatus.in_collection})

_FEED_START = (dt.datetime(1970, 1, 1, tzinfo=dt.UTC), uuid.UUID(int=0))
NO_SUCH_CUSTOMER = "No such customer."
# Whose orders a list without a customer holds: the policy's states for reading orders.
_LISTED = in_states(admitted(Caller.staff, Operation.order_read))


def _stale(version: int) -> PreconditionFailed:
    return PreconditionFailed(f"The order has changed since version {version}; read it again.")


class OrderService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.orders = OrderRepository(session)
        self.audit = AuditTrail(session)
        self.disclosures = DisclosureLog(session)

    async def create(self, data: OrderCreate, actor: Actor) -> OrderRead:
        if actor.data_source is DataSource.web_shop and data.channel is not OrderChannel.web_shop:
            raise UnprocessableEntity(
                "The web shop records orders of channel web_shop only.", loc=("body", "channel")
            )
        recipient = linked_recipient(actor)
        checks = await self.orders.creation_checks(
            data.customer_id,
            data.number,
            data.invoice.number if data.invoice else None,
            recipient,
        )
        if checks is None:
            raise UnprocessableEntity("customer_id names no customer.", loc=("body", "customer_id"))
        enforce(actor, checks, Operation.order_create, linked=recipient is None or checks.linked)
        if checks.number_taken:
            raise Conflict(NUMBER_TAKEN)
        now = utcnow()
        order_id = uuid7()
        lines: list[dict[str, Any]] = []
        amounts: list[Amounts] = []
        for position, line in enumerate(data.lines, start=1):
            amount = line_amounts(line.quantity, line.unit_price, line.vat_rate)
            amounts.append(amount)
            lines.append(
                {
                    "id": uuid7(),
                    "order_id": order_id,
                    "position": position,
                    "product_code": line.product_code,
                    "product_name": line.product_name,
                    "quantity": line.quantity,
                    "unit_price_cents": to_cents(line.unit_price),
                    "vat_rate_basis_points": to_basis_points(line.vat_rate),
                    "net_cents": to_cents(amount.net),
                    "vat_cents": to_cents(amount.vat),
                    "gross_cents": to_cents(amount.gross),
                }
            )
        totals = order_amounts(amounts)
        invoice = data.invoice
        values: dict[str, Any] = {
            "id": order_id,
            "customer_id": data.customer_id,
            "number": data.number,
            "ordered_on": data.ordered_on,
            "channel": data.channel.value,
            "reseller_name": data.reseller_name,
            "currency": data.currency,
            "net_total_cents": to_cents(totals.net),
            "vat_total_cents": to_cents(totals.vat),
            "gross_total_cents": to_cents(totals.gross),
            "status": OrderStatus.placed.value,
            "invoice_number": invoice.number if invoice else None,
            "invoice_issued_on": invoice.issued_on if invoice else None,
            "invoice_due_on": invoice.due_on if invoice else None,
            "invoice_status": InvoiceStatus.open.value if invoice else None,
            "invoice_updated_at": now if invoice else None,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        try:
            # No savepoint: a conflict ends the request, and its transaction with it.
            await self.orders.insert(values, lines)
        except IntegrityError as error:
            raise Conflict(NUMBER_TAKEN) from error
        order = OrderRecord(values, [Record(line) for line in lines])
        if invoice is not None:
            await self._record_invoice_change(order.id, None, InvoiceStatus.open, actor, now)
        created = OrderRead.from_model(order)
        await self.audit.record(
            actor,
            AuditAction.create,
            ORDER_ENTITY,
            created.id,
            customer_id=created.customer_id,
            fields=created.fields_with_data(),
        )
        await self.disclosures.record(
            actor, Disclosed().add(created.customer_id, created.fields_with_data(), ORDER_ENTITY)
        )
        return created

    async def get(
        self,
        order_id: uuid.UUID,
        actor: Actor,
        purpose: RestrictedReadPurpose | None = None,
    ) -> OrderRead:
        stored = await self._get(order_id)
        await self._allow(stored.customer_id, actor, Operation.order_read, purpose)
        order = OrderRead.from_model(stored)
        await self._record_reads(actor, [order], purpose)
        return order

    async def _allow(
        self,
        customer_id: uuid.UUID,
        actor: Actor,
        operation: Operation,
        purpose: RestrictedReadPurpose | None = None,
    ) -> Decision:
        """The policy's decision on the customer of the orders; raises its refusal."""
        recipient = linked_recipient(actor)
        state = await self.orders.customer_state(customer_id, recipient)
        if state is None:
            raise NotFound(NO_SUCH_CUSTOMER)
        return enforce(
            actor,
            state,
            operation,
            stated_purpose=purpose,
            linked=recipient is None or state.linked,
        )

    async def list_orders(
        self,
        actor: Actor,
        *,
        customer_id: uuid.UUID | None,
        status: OrderStatus | None,
        invoice_status: InvoiceStatus | None,
        ordered_from: dt.date | None,
        ordered_to: dt.date | None,
        cursor: str | None,
        limit: int,
        purpose: RestrictedReadPurpose | None = None,
    ) -> Page[OrderRead]:
        """A page of orders: of one customer as the policy allows, or of every customer whose
        orders may be read without a stated purpose."""
        if customer_id is not None:
            await self._allow(customer_id, actor, Operation.order_read, purpose)
        rows = await self.orders.list(
            customers=None if customer_id is not None else _LISTED,
            customer_id=customer_id,
            status=status.value if status else None,
            invoice_status=invoice_status.value if invoice_status else None,
            ordered_from=ordered_from,
            ordered_to=ordered_to,
            after=decode_uuid_cursor(cursor) if cursor else None,
            limit=limit + 1,
        )
        items = [OrderRead.from_model(order) for order in rows[:limit]]
        await self._record_reads(actor, items, purpose)
        return Page[OrderRead](
            items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None
        )

    async def list_for_customer(
        self,
        customer_id: uuid.UUID,
        actor: Actor,
        *,
        cursor: str | None,
        limit: int,
        purpose: RestrictedReadPurpose | None = None,
    ) -> Page[OrderRead]:
        return await self.list_orders(
            actor,
            customer_id=customer_id,
            status=None,
            invoice_status=None,
            ordered_from=None,
            ordered_to=None,
            cursor=cursor,
            limit=limit,
            purpose=purpose,
        )

    async def change_status(
        self, order_id: uuid.UUID, target: OrderStatus, version: int, actor: Actor
    ) -> OrderRead:
        order = await self._get(order_id)
        await self._allow(order.customer_id, actor, Operation.order_change)
        if order.version != version:
            raise _stale(version)
        current = OrderStatus(order.status)
        if target not in ORDER_TRANSITIONS[current]:
            raise Conflict(f"An order cannot go from {current.value} to {target.value}.")
        now = utcnow()
        values = {"status": target.value, "updated_at": now}
        if not await self.orders.update_if_version(order_id, version, values):
            raise _stale(version)
        return await self._changed(order_id, actor, ["status"])

    async def change_invoice_status(
        self, order_id: uuid.UUID, target: InvoiceStatus, version: int, actor: Actor
    ) -> OrderRead:
        order = await self._get(order_id)
        await self._allow(order.customer_id, actor, Operation.invoice_change)
        if order.version != version:
            raise _stale(version)
        if order.invoice_status is None:
            raise Conflict("The order has no invoice.")
        if actor.is_api_key and target not in RECIPIENT_INVOICE_STATUSES:
            raise Forbidden("A recipient may only mark an invoice paid or in collection.")
        current = InvoiceStatus(order.invoice_status)
        if target not in INVOICE_TRANSITIONS[current]:
            raise Conflict(f"An invoice cannot go from {current.value} to {target.value}.")
        now = utcnow()
        values = {"invoice_status": target.value, "invoice_updated_at": now, "updated_at": now}
        if not await self.orders.update_if_version(order_id, version, values):
            raise _stale(version)
        await self._record_invoice_change(order_id, current, target, actor, now)
        return await self._changed(order_id, actor, ["invoice"])

    async def invoice_history(
        self,
        order_id: uuid.UUID,
        actor: Actor,
        purpose: RestrictedReadPurpose | None = None,
    ) -> list[InvoiceStatusChangeRead]:
        order = await self._get(order_id)
        await self._allow(order.customer_id, actor, Operation.order_read, purpose)
        history = [
            InvoiceStatusChangeRead.model_validate(change)
            for change in await self.orders.invoice_history(order_id)
        ]
        await self.audit.record(
            actor,
            AuditAction.read,
            ORDER_ENTITY,
            order.id,
            customer_id=order.customer_id,
            fields=["invoice"],
            purpose=purpose.value if purpose else None,
        )
        return history

    async def _changed(self, order_id: uuid.UUID, actor: Actor, fields: list[str]) -> OrderRead:
        changed = OrderRead.from_model(await self._get(order_id))
        await self.audit.record(
            actor,
            AuditAction.update,
            ORDER_ENTITY,
            changed.id,
            customer_id=changed.customer_id,
            fields=fields,
        )
        await self.disclosures.record(
            actor, Disclosed().add(changed.customer_id, changed.fields_with_data(), ORDER_ENTITY)
        )
        return changed

    async def _record_invoice_change(
        self,
        order_id: uuid.UUID,
        from_status: InvoiceStatus | None,
        to_status: InvoiceStatus,
        actor: Actor,
        now: dt.datetime,
    ) -> None:
        await self.orders.add_invoice_change(
            {
                "order_id": order_id,
                "from_status": from_status.value if from_status else None,
                "to_status": to_status.value,
                "actor_type": actor.actor_type.value,
                "actor_id": actor.actor_id,
                "changed_at": now,
                "request_id": actor.request_id,
            }
        )

    async def _record_reads(
        self,
        actor: Actor,
        orders: Sequence[OrderRead],
        purpose: RestrictedReadPurpose | None = None,
    ) -> None:
        """One read event per order returned, and for a recipient one disclosure per customer."""
        disclosed = Disclosed()
        events = order_read_events(actor, orders, disclosed, purpose.value if purpose else None)
        await self.audit.record_many(events)
        await self.disclosures.record(actor, disclosed)

    async def _get(self, order_id: uuid.UUID) -> Order:
        order = await self.orders.get(order_id)
        if order is None:
            raise NotFound("No such order.")
        return order


class BillingService:
    """A partner's view (R12): invoiced orders and customers, each shaped by the processing
    policy for the request's purpose, and each response a logged disclosure."""

    def __init__(self, session: AsyncSession, feed_delay: dt.timedelta) -> None:
        self.orders = OrderRepository(session)
        self.audit = AuditTrail(session)
        self.disclosures = DisclosureLog(session)
        self.feed_delay = feed_delay

    async def customer(self, customer_id: uuid.UUID, actor: Actor) -> BillingCustomer:
        """A customer with an invoice the purpose may receive; others are not the partner's
        business."""
        customer = await self.orders.customer(customer_id)
        if customer is None:
            raise NotFound("No such customer with an invoice.")
        decision = enforce(actor, customer, Operation.billing_disclose)
        if not await self.orders.customer_has_invoice(customer_id, _statuses(decision)):
            raise NotFound("No such customer with an invoice.")
        billing = BillingCustomer.from_model(customer, _customer_fields(decision))
        await self._record_reads(actor, [], [billing])
        return billing

    async def customer_orders(
        self, customer_id: uuid.UUID, actor: Actor, *, cursor: str | None, limit: int
    ) -> Page[BillingOrderRead]:
        customer = await self.orders.customer(customer_id)
        if customer is None:
            return Page[BillingOrderRead](items=[], next_cursor=None)
        decision = enforce(actor, customer, Operation.billing_disclose)
        rows = await self.orders.list(
            customer_id=customer_id,
            status=None,
            invoice_status=None,
            invoiced_only=True,
            invoice_statuses=_statuses(decision),
            ordered_from=None,
            ordered_to=None,
            after=decode_uuid_cursor(cursor) if cursor else None,
            limit=limit + 1,
        )
        fields = _order_fields(actor)
        items = [BillingOrderRead.from_model(order, fields) for order in rows[:limit]]
        await self._record_reads(actor, items, [])
        return Page[BillingOrderRead](
            items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None
        )

    async def order(self, order_id: uuid.UUID, actor: Actor) -> BillingOrder:
        order = await self.orders.get(order_id)
        if order is None or order.invoice_status is None:
            raise NotFound("No such order with an invoice.")
        customer = await self.orders.customer(order.customer_id)
        assert customer is not None  # a foreign key
        decision = enforce(actor, customer, Operation.billing_disclose)
        statuses = _statuses(decision)
        if statuses is not None and order.invoice_status not in statuses:
            raise CustomerRestricted(
                "The processing of this customer is restricted; this invoice is not "
                f"disclosed for {actor.purpose}. {decision.reason}"
            )
        billing = BillingOrder.of(order, customer, _order_fields(actor), _customer_fields(decision))
        await self._record_reads(actor, [billing], [billing.customer])
        return billing

    async def invoice_feed(
        self,
        actor: Actor,
        *,
        cursor: str | None,
        invoice_status: InvoiceStatus | None,
        limit: int,
    ) -> InvoiceFeedPage:
        """Orders whose invoice was issued or changed after the cursor, oldest change first;
        only those the policy lets the request's purpose receive.

        Changes newer than the feed delay are held back: a transaction that stamped its
        change earlier but commits later would otherwise fall behind a cursor for good.
        """
        after = _decode_feed_cursor(cursor) if cursor else None
        caller = caller_of(actor)
        now = utcnow()
        rows = await self.orders.invoice_feed(
            after=after,
            until=now - self.feed_delay,
            invoice_status=invoice_status.value if invoice_status else None,
            limit=limit + 1,
            disclosed=disclosed_invoices(caller, now.date()),
        )
        page = rows[:limit]
        order_fields = _order_fields(actor)
        # The query admitted only what the policy lets this purpose receive; each customer's
        # decision, asked once a page, gives the fields.
        fields: dict[uuid.UUID, frozenset[str]] = {}
        items = []
        for order, customer in page:
            if customer.id not in fields:
                decision = enforce(actor, customer, Operation.billing_disclose)
                fields[customer.id] = _customer_fields(decision)
            items.append(BillingOrder.of(order, customer, order_fields, fields[customer.id]))
        await self._record_reads(
            actor, items, list({item.customer.id: item.customer for item in items}.values())
        )
        if page:
            last = page[-1][0]
            assert last.invoice_updated_at is not None
            position = (last.invoice_updated_at, last.id)
        else:
            position = after or _FEED_START
        return InvoiceFeedPage(
            items=items,
            next_cursor=encode_cursor(position[0].isoformat(), position[1]),
            has_more=len(rows) > limit,
        )

    async def _record_reads(
        self,
        actor: Actor,
        orders: Sequence[BillingOrderRead],
        customers: Sequence[BillingCustomer],
    ) -> None:
        disclosed = Disclosed()
        events = order_read_events(actor, orders, disclosed)
        for customer in customers:
            fields = customer.fields_with_data()
            events.append(
                AuditTrail.event(
                    actor,
                    AuditAction.read,
                    CUSTOMER_ENTITY,
                    customer.id,
                    customer_id=customer.id,
                    fields=fields,
                )
            )
            disclosed.add(customer.id, fields)
        await self.audit.record_many(events)
        await self.disclosures.record(actor, disclosed)


def _statuses(decision: Decision) -> list[str] | None:
    """The invoice statuses the decision lets go out, or None for any."""
    invoices = decision.invoices
    return None if invoices is None else sorted(status.value for status in invoices)


def _customer_fields(decision: Decision) -> frozenset[str]:
    return decision.fields if decision.fields is not None else frozenset(BILLING_CUSTOMER_FIELDS)


def _order_fields(actor: Actor) -> frozenset[str]:
    """The fields of an order the request's purpose needs."""
    return PURPOSE_ORDER_FIELDS.get(caller_of(actor), frozenset())


def order_read_events(
    actor: Actor,
    orders: Sequence[OrderRead | BillingOrderRead],
    disclosed: Disclosed,
    purpose: str | None = None,
) -> list[dict[str, Any]]:
    """One read event per order, each order's fields also counted as disclosed."""
    events = []
    for order in orders:
        fields = order.fields_with_data()
        events.append(
            AuditTrail.event(
                actor,
                AuditAction.read,
                ORDER_ENTITY,
                order.id,
                customer_id=order.customer_id,
                fields=fields,
                purpose=purpose,
            )
        )
        disclosed.add(order.customer_id, fields, ORDER_ENTITY)
    return events


def _decode_feed_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    moment, order_id = decode_cursor(cursor, 2)
    try:
        position = (dt.datetime.fromisoformat(moment), uuid.UUID(order_id))
    except ValueError as error:
        raise InvalidCursor("The cursor is not one this service issued.") from error
    if position[0].tzinfo is None:
        raise InvalidCursor("The cursor is not one this service issued.")
    return position


async def get_order_service(session: SessionDep) -> OrderService:
    return OrderService(session)


async def get_billing_service(request: Request, session: SessionDep) -> BillingService:
    delay = dt.timedelta(seconds=request.app.state.settings.invoice_feed_delay_seconds)
    return BillingService(session, delay)


OrderServiceDep = Annotated[OrderService, Depends(get_order_service)]
BillingServiceDep = Annotated[BillingService, Depends(get_billing_service)]
