"""The processing policy: the one place that says what may be done with a person's data.

Services call `decide` (or `enforce`, which raises the refusal) once per subject before they
touch the subject's data, and use the decision's `fields` to shape what they read and send;
bulk paths (lists, feeds, exports, statistics) turn `admitted` states into query conditions
(`customer_registry.policy.conditions`). The rules themselves are the table in `rules.py`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum

from customer_registry.auth.principal import Actor
from customer_registry.core.errors import RegistryError
from customer_registry.gdpr_requests.deadlines import today_in_finland
from customer_registry.models import ActorType, DataSource, InvoiceStatus, Role, StoredCustomer
from customer_registry.policy.rules import (
    NOT_LINKED,
    OPERATION_PURPOSES,
    RULES,
    Caller,
    CustomerErased,
    CustomerNotLinked,
    CustomerRestricted,
    CustomerRestrictedConflict,
    Effect,
    NoRule,
    Operation,
    Rule,
    State,
    policy_table_markdown,
)

__all__ = [
    "OPERATION_PURPOSES",
    "RULES",
    "Caller",
    "Decision",
    "Operation",
    "RestrictedReadPurpose",
    "State",
    "admitted",
    "caller_of",
    "decide",
    "enforce",
    "linked_recipient",
    "policy_table_markdown",
    "refusals",
    "state_of",
]


class RestrictedReadPurpose(StrEnum):
    """Why a privacy officer uses restricted data: the only uses a restriction allows."""

    legal_claims = "legal_claims"
    data_subject_request = "data_subject_request"


# Operations on which the web shop acts without a subject it is linked to.
_UNLINKED_OPERATIONS = frozenset({Operation.customer_create, Operation.recipient_notice})
_ROLE_CALLERS = {
    Role.staff: Caller.staff,
    Role.privacy_officer: Caller.privacy_officer,
    Role.admin: Caller.admin,
}
_PURPOSE_CALLERS = {
    "invoicing": Caller.invoicing,
    "credit_decision": Caller.credit_decision,
    "debt_collection": Caller.debt_collection,
    "legal_obligation": Caller.legal_obligation,
}


@dataclass(frozen=True, slots=True)
class Decision:
    """Allowed or refused, on which rule, and which fields and invoices may be used."""

    operation: Operation
    caller: Caller
    state: State
    rule: Rule | None
    problem: type[RegistryError] | None = None
    basis: str | None = None

    @property
    def allowed(self) -> bool:
        return self.rule is not None and self.rule.effect is not Effect.refuse

    @property
    def needs_stated_purpose(self) -> bool:
        return self.rule is not None and self.rule.effect is Effect.stated_purpose

    @property
    def fields(self) -> frozenset[str] | None:
        """The customer fields that may be used; None: all of the operation's."""
        return self.rule.fields if self.rule is not None else frozenset()

    @property
    def invoices(self) -> frozenset[InvoiceStatus] | None:
        """The invoice statuses that may be disclosed; None: any."""
        return self.rule.invoices if self.rule is not None else frozenset()

    @property
    def reason(self) -> str:
        """The legal reason of the decision, as the table states it."""
        if self.rule is not None:
            return self.rule.basis
        return self.basis or "No rule allows this processing."

    def refusal(self) -> RegistryError:
        problem = self.problem or NoRule
        return problem(f"{_REFUSALS.get(problem, 'Refused.')} {self.reason}")


_REFUSALS: dict[type[RegistryError], str] = {
    CustomerRestricted: "The processing of this customer is restricted.",
    CustomerNotLinked: "This client may act only on customers it created or was linked to.",
    NoRule: "The processing policy does not allow this.",
    CustomerErased: "This customer's personal data has been erased.",
    CustomerRestrictedConflict: "The processing of this customer is restricted.",
}


def caller_of(actor: Actor) -> Caller:
    """The kind of caller the policy knows `actor` as."""
    principal = actor.principal
    if principal is None:
        return Caller.system
    if principal.kind is ActorType.user:
        return _ROLE_CALLERS[principal.role or Role.staff]
    if principal.purpose is not None:
        return _PURPOSE_CALLERS[principal.purpose]
    if principal.data_source is DataSource.web_shop:
        return Caller.web_shop
    return Caller.system if principal.kind is ActorType.system else Caller.web_shop


def linked_recipient(actor: Actor) -> uuid.UUID | None:
    """The recipient whose links bound the customers the caller acts on: the web shop's;
    None for every other caller."""
    if actor.principal is None or caller_of(actor) is not Caller.web_shop:
        return None
    return actor.principal.recipient_id


def state_of(
    customer: StoredCustomer, today: dt.date | None = None, *, objected: bool = False
) -> State:
    """The subject's state, the first of `State` that holds; `objected` when the person has
    forbidden a purpose the operation serves."""
    if customer.erased_at is not None:
        return State.erased
    if customer.restricted_at is not None:
        if customer.erasure_requested_at is not None:
            return State.partially_erased
        return State.restricted
    if objected:
        return State.objected
    ended = customer.relationship_ended_on
    if ended is not None and ended <= (today or today_in_finland()):
        return State.relationship_ended
    return State.active


def decide(caller: Caller, state: State, operation: Operation, *, linked: bool = True) -> Decision:
    """The first rule of the table that covers the caller, the state and the operation."""
    if caller is Caller.web_shop and not linked and operation not in _UNLINKED_OPERATIONS:
        return Decision(operation, caller, state, None, CustomerNotLinked, NOT_LINKED)
    for rule in _RULES_BY_OPERATION.get(operation, ()):
        if caller in rule.callers and state in rule.states:
            return Decision(operation, caller, state, rule, rule.problem)
    return Decision(operation, caller, state, None, NoRule)


def enforce(
    actor: Actor,
    customer: StoredCustomer,
    operation: Operation,
    *,
    stated_purpose: RestrictedReadPurpose | None = None,
    linked: bool = True,
    today: dt.date | None = None,
) -> Decision:
    """`decide` for this actor and customer; raises the refusal's problem when refused, and
    when the rule wants a stated purpose that is missing."""
    decision = decide(
        caller_of(actor),
        state_of(customer, today),
        operation,
        linked=linked,
    )
    if not decision.allowed:
        raise decision.refusal()
    if decision.needs_stated_purpose and stated_purpose is None:
        raise CustomerRestricted(
            "Using a restricted customer's data needs a stated purpose: "
            + ", ".join(item.value for item in RestrictedReadPurpose)
            + "."
        )
    return decision


def refusals(*operations: Operation) -> tuple[type[RegistryError], ...]:
    """The problems `enforce` can raise for these operations, as a route documents them."""
    found: list[type[RegistryError]] = []
    for operation in operations:
        if operation not in _UNLINKED_OPERATIONS:
            found.append(CustomerNotLinked)
        found.extend(
            rule.problem
            for rule in _RULES_BY_OPERATION.get(operation, ())
            if rule.problem is not None and rule.effect is not Effect.allow
        )
        found.append(NoRule)
    return tuple(dict.fromkeys(found))


def admitted(caller: Caller, operation: Operation) -> frozenset[State]:
    """The states whose subjects a bulk path may include without a stated purpose."""
    return frozenset(
        state
        for state in State
        if (rule := decide(caller, state, operation).rule) is not None
        and rule.effect is Effect.allow
    )


_RULES_BY_OPERATION: dict[Operation, tuple[Rule, ...]] = {
    operation: tuple(rule for rule in RULES if rule.operation is operation)
    for operation in Operation
}
