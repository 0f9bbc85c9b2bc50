"""The processing policy as data: who may do what with a person's data, in which state, and why.

`RULES` is the one table every path asks (through `customer_registry.policy.decide`). A row
names an operation, the callers and the subject states it covers, its effect, the problem a
refusal answers with, the article it rests on and, for a partner's purpose, the fields and
invoices it may use. The first row that matches decides; no row means refused. The README
prints the same table (`policy_table_markdown`, checked by a test).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from customer_registry.consents.purposes import MAILING_LABEL_PURPOSES
from customer_registry.core.errors import Conflict, Forbidden, Gone, RegistryError
from customer_registry.models import InvoiceStatus, Purpose
from customer_registry.orders.schemas import ORDER_FIELDS


class Caller(StrEnum):
    """Who processes: a staff role, the web shop's key, a partner's key under one purpose, a job."""

    staff = "staff"
    privacy_officer = "privacy_officer"
    admin = "admin"
    web_shop = "web_shop"
    invoicing = "finance:invoicing"
    credit_decision = "finance:credit_decision"
    debt_collection = "finance:debt_collection"
    legal_obligation = "finance:legal_obligation"
    system = "system"


class State(StrEnum):
    """What the register knows of the data subject, in order of precedence (the first that
    holds is the subject's state)."""

    erased = "erased"
    partially_erased = "partially_erased"
    restricted = "restricted"
    objected = "objected"
    relationship_ended = "relationship_ended"
    active = "active"


class Operation(StrEnum):
    """Each kind of processing of a person's data that a path of the register performs."""

    customer_create = "customer.create"
    customer_read = "customer.read"
    customer_list = "customer.list"
    customer_lookup = "customer.lookup"
    customer_rectify = "customer.rectify"
    consent_read = "consent.read"
    consent_record = "consent.record"
    order_create = "order.create"
    order_read = "order.read"
    order_change = "order.change"
    invoice_change = "invoice.change"
    billing_disclose = "billing.disclose"
    restriction_manage = "restriction.manage"
    recipient_notice = "recipient_notice.read"
    labels_export = "labels.export"
    statistics = "statistics.read"
    request_submit = "gdpr_request.submit"
    request_handle = "gdpr_request.handle"
    access_report = "gdpr_request.access_report"
    portability = "gdpr_request.portability"
    retention = "retention.run"
    address_update = "address_update.import"
    audit_read = "audit.read"


# The consent purposes an operation serves: a subject who forbade one of them is `objected`
# for that operation (Art. 21); for every other operation an objection changes nothing.
OPERATION_PURPOSES: dict[Operation, tuple[Purpose, ...]] = {
    Operation.labels_export: MAILING_LABEL_PURPOSES,
}


class Effect(StrEnum):
    allow = "allow"
    # Allowed to a caller who states why (a restricted read: legal claims, a request).
    stated_purpose = "allow with a stated purpose"
    refuse = "refuse"


class CustomerRestricted(Forbidden):
    """A read or use that a restriction (Art. 18) or a pending erasure forbids this caller."""

    code = "customer-restricted"
    title = "Processing is restricted"


class CustomerRestrictedConflict(Conflict):
    """New processing (an order, a change) of a restricted customer: the web shop can show it."""

    code = "customer-restricted"
    title = "Processing is restricted"


class CustomerNotLinked(Forbidden):
    """The web shop acts only on customers it created or was linked to."""

    code = "customer-not-linked"
    title = "Not a customer of this client"


class FieldsNotAllowed(Forbidden):
    """A change to fields the caller may not change (the register's own, for the web shop)."""

    code = "fields-not-allowed"
    title = "Fields not allowed"


class NoRule(Forbidden):
    """No rule of the processing policy allows this: refused by default."""

    code = "processing-not-allowed"
    title = "Processing not allowed"


class CustomerErased(Gone):
    code = "gone"
    title = "Gone"
    description = "The customer's data was erased"


# The fields of a customer, as the API names them (`customers.schemas.CUSTOMER_FIELDS`).
ALL = None  # every field the operation has
SHOP_CUSTOMER_FIELDS = frozenset(
    {
        "type",
        "first_name",
        "last_name",
        "organisation",
        "email",
        "phone",
        "address",
        "language",
        "consents",
    }
)
# What each disclosure purpose needs (Art. 5(1)(c)): of the customer, and of each order.
PURPOSE_CUSTOMER_FIELDS: dict[Caller, frozenset[str]] = {
    Caller.invoicing: frozenset({"first_name", "last_name", "organisation", "address"}),
    Caller.credit_decision: frozenset({"first_name", "last_name", "organisation"}),
    Caller.debt_collection: frozenset(
        {"first_name", "last_name", "organisation", "email", "address"}
    ),
    Caller.legal_obligation: frozenset(
        {"first_name", "last_name", "organisation", "email", "address"}
    ),
}
PURPOSE_ORDER_FIELDS: dict[Caller, frozenset[str]] = {
    Caller.invoicing: frozenset({"number", "ordered_on", "currency", "lines", "totals", "invoice"}),
    # Payment history: which invoices, when due, whether paid; no order lines.
    Caller.credit_decision: frozenset({"number", "ordered_on", "currency", "totals", "invoice"}),
    Caller.debt_collection: frozenset(
        {"number", "ordered_on", "currency", "lines", "totals", "invoice"}
    ),
    # What the law requires may be the whole order.
    Caller.legal_obligation: frozenset(ORDER_FIELDS),
}
# Invoices whose claim is pending: what debt collection of a restricted customer needs.
CLAIMED = frozenset({InvoiceStatus.in_collection})
BILLED = frozenset({InvoiceStatus.open})


@dataclass(frozen=True, slots=True)
class Rule:
    operation: Operation
    callers: frozenset[Caller]
    states: frozenset[State]
    effect: Effect
    basis: str
    problem: type[RegistryError] | None = None
    # Which customer fields may be used; None: every field the operation has.
    fields: frozenset[str] | None = None
    # For a disclosure of invoices: which invoice statuses may go; None: any.
    invoices: frozenset[InvoiceStatus] | None = None


STAFF = frozenset({Caller.staff, Caller.privacy_officer, Caller.admin})
OFFICERS = frozenset({Caller.privacy_officer, Caller.admin})
FINANCE = frozenset(
    {Caller.invoicing, Caller.credit_decision, Caller.debt_collection, Caller.legal_obligation}
)
SHOP = frozenset({Caller.web_shop})
SYSTEM = frozenset({Caller.system})
EVERY_STATE = frozenset(State)
LIVE = frozenset({State.active, State.relationship_ended, State.objected})
HELD = frozenset({State.restricted, State.partially_erased})
PRESENT = LIVE | HELD
ERASED = frozenset({State.erased})


def allow(
    operation: Operation,
    callers: Iterable[Caller],
    states: Iterable[State],
    basis: str,
    *,
    fields: frozenset[str] | None = None,
    invoices: frozenset[InvoiceStatus] | None = None,
) -> Rule:
    return Rule(
        operation,
        frozenset(callers),
        frozenset(states),
        Effect.allow,
        basis,
        fields=fields,
        invoices=invoices,
    )


def stated(
    operation: Operation, callers: Iterable[Caller], states: Iterable[State], basis: str
) -> Rule:
    return Rule(
        operation,
        frozenset(callers),
        frozenset(states),
        Effect.stated_purpose,
        basis,
        problem=CustomerRestricted,
    )


def refuse(
    operation: Operation,
    callers: Iterable[Caller],
    states: Iterable[State],
    problem: type[RegistryError],
    basis: str,
) -> Rule:
    return Rule(
        operation, frozenset(callers), frozenset(states), Effect.refuse, basis, problem=problem
    )


CONTRACT = "Art. 6(1)(b): the customer relationship and its orders (R1, R6)."
RESTRICTED_STORAGE = "Art. 18(2): restricted data is only stored, or used for legal claims."
ERASED_NOTHING = "Art. 17: the person's data has been erased; nothing is left to process."
PENDING_ERASURE = (
    "Art. 17(3)(b),(e): erasure is pending; what is kept serves only its blocking purpose "
    "(bookkeeping, the open invoice, the claim in collection)."
)
ANONYMOUS = "Recital 26: the orders of an anonymised customer are no longer personal data."
DATA_SUBJECT_RIGHT = "Art. 12-22: the person's own request is handled in every state."
NOT_LINKED = (
    "Art. 28(3)(a): the web shop, a processor, acts only on customers it created or was "
    "linked to, and sees what the shop shows its user."
)

RULES: list[Rule] = [
    allow(Operation.customer_create, STAFF, EVERY_STATE, CONTRACT),
    allow(Operation.customer_create, SHOP, EVERY_STATE, CONTRACT, fields=SHOP_CUSTOMER_FIELDS),
    refuse(Operation.customer_read, STAFF, ERASED, CustomerErased, ERASED_NOTHING),
    allow(Operation.customer_read, STAFF, LIVE, CONTRACT),
    stated(Operation.customer_read, OFFICERS, HELD, RESTRICTED_STORAGE),
    refuse(Operation.customer_read, STAFF, HELD, CustomerRestricted, RESTRICTED_STORAGE),
    allow(Operation.customer_list, STAFF, LIVE, CONTRACT),
    refuse(Operation.customer_list, STAFF, HELD | ERASED, CustomerRestricted, RESTRICTED_STORAGE),
    allow(Operation.customer_lookup, STAFF, LIVE, CONTRACT),
    allow(Operation.customer_lookup, SHOP, LIVE, NOT_LINKED, fields=SHOP_CUSTOMER_FIELDS),
    refuse(
        Operation.customer_lookup,
        STAFF | SHOP,
        HELD | ERASED,
        CustomerRestricted,
        RESTRICTED_STORAGE,
    ),
    refuse(Operation.customer_rectify, STAFF | SHOP, ERASED, CustomerErased, ERASED_NOTHING),
    allow(Operation.customer_rectify, STAFF, LIVE, "Art. 16: rectification without delay (R22)."),
    allow(
        Operation.customer_rectify,
        SHOP,
        LIVE,
        NOT_LINKED,
        fields=SHOP_CUSTOMER_FIELDS - {"type", "consents"},
    ),
    allow(
        Operation.customer_rectify,
        OFFICERS,
        {State.restricted},
        "Art. 16, 18(1)(a): contested data is corrected while restricted; the restriction "
        "stays until it is released.",
    ),
    refuse(
        Operation.customer_rectify,
        STAFF | SHOP,
        HELD,
        CustomerRestrictedConflict,
        RESTRICTED_STORAGE,
    ),
    refuse(Operation.consent_read, STAFF, ERASED, CustomerErased, ERASED_NOTHING),
    allow(
        Operation.consent_read, STAFF, LIVE, "Art. 7(1), 21: the ledger of consents and objections."
    ),
    stated(Operation.consent_read, OFFICERS, HELD, RESTRICTED_STORAGE),
    refuse(Operation.consent_read, STAFF, HELD, CustomerRestricted, RESTRICTED_STORAGE),
    refuse(Operation.consent_record, STAFF | SHOP, ERASED, CustomerErased, ERASED_NOTHING),
    allow(
        Operation.consent_record,
        STAFF | SHOP,
        LIVE | HELD,
        "Art. 7(3), 21(3): a prohibition or consent is recorded in every state; it only "
        "narrows processing.",
    ),
    refuse(Operation.order_create, STAFF | SHOP, ERASED, CustomerErased, ERASED_NOTHING),
    allow(Operation.order_create, STAFF | SHOP, LIVE, CONTRACT),
    refuse(
        Operation.order_create, STAFF | SHOP, HELD, CustomerRestrictedConflict, RESTRICTED_STORAGE
    ),
    allow(Operation.order_read, STAFF, LIVE, CONTRACT),
    allow(Operation.order_read, STAFF, ERASED, ANONYMOUS),
    stated(Operation.order_read, OFFICERS, HELD, RESTRICTED_STORAGE),
    refuse(Operation.order_read, STAFF, HELD, CustomerRestricted, RESTRICTED_STORAGE),
    allow(Operation.order_change, STAFF | SHOP, LIVE, CONTRACT),
    allow(Operation.order_change, STAFF, ERASED, ANONYMOUS),
    refuse(Operation.order_change, SHOP, ERASED, CustomerErased, ERASED_NOTHING),
    refuse(
        Operation.order_change, STAFF | SHOP, HELD, CustomerRestrictedConflict, RESTRICTED_STORAGE
    ),
    allow(
        Operation.invoice_change,
        STAFF | FINANCE,
        EVERY_STATE,
        "Art. 6(1)(c), 17(3)(b): recording a payment or a collection is bookkeeping "
        "(Kirjanpitolaki 2:10), allowed in every state.",
    ),
    *(
        allow(
            Operation.billing_disclose,
            {caller},
            LIVE,
            "Art. 6(1)(b),(f), 5(1)(c): disclosed for invoicing, credit decisions, debt "
            "collection or a legal obligation (R12), with only what the purpose needs.",
            fields=PURPOSE_CUSTOMER_FIELDS[caller],
        )
        for caller in sorted(FINANCE)
    ),
    allow(
        Operation.billing_disclose,
        {Caller.debt_collection},
        HELD,
        "Art. 18(2), 17(3)(e): a pending legal claim: only the invoices in collection.",
        fields=PURPOSE_CUSTOMER_FIELDS[Caller.debt_collection],
        invoices=CLAIMED,
    ),
    allow(
        Operation.billing_disclose,
        {Caller.invoicing},
        {State.partially_erased},
        PENDING_ERASURE + " The open invoice is still billed.",
        fields=PURPOSE_CUSTOMER_FIELDS[Caller.invoicing],
        invoices=BILLED,
    ),
    allow(
        Operation.billing_disclose,
        {Caller.legal_obligation},
        HELD,
        "Art. 6(1)(c), 18(2): what the law requires is disclosed in every state.",
        fields=PURPOSE_CUSTOMER_FIELDS[Caller.legal_obligation],
    ),
    refuse(Operation.billing_disclose, FINANCE, HELD, CustomerRestricted, RESTRICTED_STORAGE),
    refuse(Operation.billing_disclose, FINANCE, ERASED, CustomerErased, ERASED_NOTHING),
    refuse(Operation.restriction_manage, OFFICERS, ERASED, CustomerErased, ERASED_NOTHING),
    allow(
        Operation.restriction_manage,
        OFFICERS,
        PRESENT,
        "Art. 18: restricting and releasing is the officer's.",
    ),
    allow(
        Operation.recipient_notice,
        FINANCE | SHOP,
        EVERY_STATE,
        "Art. 19: each recipient is told of rectification, erasure and restriction.",
    ),
    allow(
        Operation.labels_export,
        OFFICERS,
        {State.active},
        "Art. 6(1)(f), 21(2): a mailing list (R5) of active customers who have not "
        "forbidden listing or direct advertising.",
    ),
    refuse(
        Operation.labels_export,
        OFFICERS,
        EVERY_STATE - {State.active},
        NoRule,
        "Art. 21(3), 18(2), 17: objected, ended, restricted and erased customers are left out.",
    ),
    allow(
        Operation.statistics,
        STAFF,
        LIVE | ERASED,
        "Art. 89, R2, R27: aggregates without personal data; anonymised customers keep "
        "their orders in the statistics.",
    ),
    refuse(Operation.statistics, STAFF, HELD, CustomerRestricted, RESTRICTED_STORAGE),
    allow(Operation.request_submit, STAFF | SHOP, EVERY_STATE, DATA_SUBJECT_RIGHT),
    allow(Operation.request_handle, OFFICERS, EVERY_STATE, DATA_SUBJECT_RIGHT),
    allow(
        Operation.access_report,
        OFFICERS,
        PRESENT,
        "Art. 15: the person's access, also while restricted.",
    ),
    refuse(Operation.access_report, OFFICERS, ERASED, CustomerErased, ERASED_NOTHING),
    allow(
        Operation.portability,
        OFFICERS,
        PRESENT,
        "Art. 20: the data the person provided, in every state.",
    ),
    refuse(Operation.portability, OFFICERS, ERASED, CustomerErased, ERASED_NOTHING),
    allow(
        Operation.retention,
        SYSTEM | {Caller.admin},
        EVERY_STATE - ERASED,
        "Art. 5(1)(e), R15: erased or anonymised when the retention period has passed.",
    ),
    allow(
        Operation.address_update,
        SYSTEM | {Caller.admin},
        LIVE,
        "Art. 5(1)(d), R10: addresses kept up to date from an update service.",
    ),
    refuse(
        Operation.address_update,
        SYSTEM | {Caller.admin},
        HELD | ERASED,
        CustomerRestrictedConflict,
        "Art. 18(2), 17: restricted and erased customers are not updated.",
    ),
    allow(
        Operation.audit_read,
        OFFICERS,
        EVERY_STATE,
        "Art. 5(2), 30: the register's accountability: the audit and disclosure logs.",
    ),
]


def policy_table_markdown() -> str:
    """The table as Markdown, as the README shows it."""
    lines = [
        "| operation | callers | subject states | effect | fields | legal basis |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for rule in RULES:
        callers = ", ".join(sorted(caller.value for caller in rule.callers))
        states = ", ".join(state.value for state in State if state in rule.states)
        effect = rule.effect.value
        if rule.problem is not None and rule.effect is Effect.refuse:
            effect = f"refuse ({rule.problem.status_code} {rule.problem.code})"
        fields = "all" if rule.fields is None else ", ".join(sorted(rule.fields))
        if rule.invoices is not None:
            fields += "; invoices " + ", ".join(sorted(status.value for status in rule.invoices))
        lines.append(
            f"| `{rule.operation.value}` | {callers} | {states} | {effect} | {fields} "
            f"| {rule.basis} |"
        )
    return "\n".join(lines) + "\n"
