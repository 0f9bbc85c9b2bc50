"""The policy's admitted states as query conditions on `Customer`, for the bulk paths."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Collection

from sqlalchemy import ColumnElement, and_, false, or_, true

from customer_registry.models import Customer, InvoiceStatus, Order, Purpose
from customer_registry.policy import admitted, decide
from customer_registry.policy.rules import OPERATION_PURPOSES, Caller, Effect, Operation, State

_NOT_ERASED = Customer.erased_at.is_(None)
_NOT_HELD = Customer.restricted_at.is_(None)


def in_states(states: Collection[State], today: dt.date | None = None) -> ColumnElement[bool]:
    """Customers in one of `states` (objections aside: they depend on the operation's
    purposes, see `ConsentStates.allows`); `today` is needed to tell an ended relationship."""
    live = {State.active, State.relationship_ended, State.objected} & set(states)
    parts: list[ColumnElement[bool]] = []
    if State.erased in states:
        parts.append(Customer.erased_at.is_not(None))
    if State.partially_erased in states:
        parts.append(
            and_(
                _NOT_ERASED,
                Customer.restricted_at.is_not(None),
                Customer.erasure_requested_at.is_not(None),
            )
        )
    if State.restricted in states:
        parts.append(
            and_(
                _NOT_ERASED,
                Customer.restricted_at.is_not(None),
                Customer.erasure_requested_at.is_(None),
            )
        )
    if live:
        ended = State.relationship_ended in live
        current = bool(live - {State.relationship_ended})
        if ended and current:
            parts.append(and_(_NOT_ERASED, _NOT_HELD))
        else:
            if today is None:
                raise ValueError("telling an ended relationship apart needs today's date")
            relationship = (
                and_(
                    Customer.relationship_ended_on.is_not(None),
                    Customer.relationship_ended_on <= today,
                )
                if ended
                else or_(
                    Customer.relationship_ended_on.is_(None),
                    Customer.relationship_ended_on > today,
                )
            )
            parts.append(and_(_NOT_ERASED, _NOT_HELD, relationship))
    if not parts:
        return false()
    if {State.erased, State.partially_erased, State.restricted, State.active} <= set(states) and (
        State.relationship_ended in states
    ):
        return true()  # every state there is: no condition
    return or_(*parts) if len(parts) > 1 else parts[0]


# Built once a day for each purpose: the table does not change while the process runs.
@functools.lru_cache(maxsize=64)
def disclosed_invoices(caller: Caller, today: dt.date) -> ColumnElement[bool]:
    """Invoiced orders (joined with their `Customer`) that `caller` may receive: per subject
    state, the invoice statuses its rule of `Operation.billing_disclose` allows."""
    by_invoices: dict[frozenset[InvoiceStatus] | None, set[State]] = {}
    for state in State:
        decision = decide(caller, state, Operation.billing_disclose)
        if decision.rule is not None and decision.rule.effect is Effect.allow:
            by_invoices.setdefault(decision.invoices, set()).add(state)
    parts = [
        in_states(states, today)
        if invoices is None
        else and_(
            in_states(states, today),
            Order.invoice_status.in_(sorted(status.value for status in invoices)),
        )
        for invoices, states in by_invoices.items()
    ]
    if not parts:
        return false()
    return or_(*parts) if len(parts) > 1 else parts[0]


def admitted_subjects(
    caller: Caller,
    operation: Operation,
    today: dt.date,
    allows: Callable[[Purpose], ColumnElement[bool]] | None = None,
) -> ColumnElement[bool]:
    """The customers a bulk path may include: in an admitted state and, unless objected
    subjects are admitted, allowing every purpose the operation serves (`allows`)."""
    states = admitted(caller, operation)
    condition = in_states(states, today)
    purposes = OPERATION_PURPOSES.get(operation, ())
    if purposes and State.objected not in states:
        if allows is None:
            raise ValueError(f"{operation.value} needs the consent conditions of its purposes")
        condition = and_(condition, *(allows(purpose) for purpose in purposes))
    return condition
