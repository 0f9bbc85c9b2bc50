"""Who may read or change a restricted customer, and why; used by every customer endpoint."""

from __future__ import annotations

from enum import StrEnum

from customer_registry.auth.principal import Actor, Permission
from customer_registry.core.errors import Conflict, Forbidden
from customer_registry.models import StoredCustomer


class RestrictedReadPurpose(StrEnum):
    """Why a restricted customer is read: the only processing a restriction allows."""

    legal_claims = "legal_claims"
    data_subject_request = "data_subject_request"


class CustomerRestricted(Forbidden):
    code = "customer-restricted"
    title = "Processing is restricted"


class CustomerRestrictedConflict(Conflict):
    code = "customer-restricted"
    title = "Processing is restricted"


def is_restricted(customer: StoredCustomer) -> bool:
    return customer.restricted_at is not None


def read_purpose(
    customer: StoredCustomer, actor: Actor, purpose: RestrictedReadPurpose | None
) -> str | None:
    """The purpose to audit for reading `customer`; refuses a read the restriction forbids.

    A restricted customer is read only by a privacy officer or an administrator who states
    why; anyone else gets 403, so that staff learn why the customer cannot be processed.
    """
    if not is_restricted(customer):
        return purpose.value if purpose else None
    if actor.principal is None or not actor.principal.can(Permission.restricted_read):
        raise CustomerRestricted("The processing of this customer is restricted.")
    if purpose is None:
        raise CustomerRestricted(
            "Reading a restricted customer needs a stated purpose: "
            + ", ".join(item.value for item in RestrictedReadPurpose)
            + "."
        )
    return purpose.value


def ensure_changeable(customer: StoredCustomer) -> None:
    """Refuse a change to a restricted customer: only lifting the restriction is allowed."""
    if is_restricted(customer):
        raise CustomerRestrictedConflict(
            "The processing of this customer is restricted; release the restriction first."
        )
