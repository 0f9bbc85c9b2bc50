"""Rules of API keys: which scopes a recipient may hold, purposes, networks (R12, R17)."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection

from customer_registry.auth.principal import ApiKeyScope
from customer_registry.models import DisclosurePurpose, RecipientRole
from customer_registry.partners.exceptions import (
    InvalidPurpose,
    PurposeNotGranted,
    PurposeRequired,
)

PURPOSE_HEADER = "X-Purpose"

# The scopes each kind of recipient can be given. The web shop operator acts for the company
# (a processor, R4); finance and debt collection receive data for one of R12's purposes.
ROLE_SCOPES: dict[RecipientRole, frozenset[ApiKeyScope]] = {
    RecipientRole.web_shop_operator: frozenset(
        {
            ApiKeyScope.customers_write,
            ApiKeyScope.customers_lookup,
            ApiKeyScope.orders_write,
            ApiKeyScope.gdpr_requests_submit,
        }
    ),
    RecipientRole.finance_partner: frozenset(
        {ApiKeyScope.billing_read, ApiKeyScope.invoices_write}
    ),
    RecipientRole.debt_collection: frozenset(
        {ApiKeyScope.billing_read, ApiKeyScope.invoices_write}
    ),
    RecipientRole.processor: frozenset(),
}

# Scopes that disclose data to a third party: a key holding one needs its purposes.
PURPOSE_SCOPES = frozenset({ApiKeyScope.billing_read, ApiKeyScope.invoices_write})


def key_rule_violation(
    role: RecipientRole, scopes: Collection[ApiKeyScope], purposes: Collection[DisclosurePurpose]
) -> str | None:
    """Why a key with these scopes and purposes cannot be given to this recipient, or None."""
    not_allowed = sorted(scope.value for scope in set(scopes) - ROLE_SCOPES[role])
    if not_allowed:
        return f"A recipient of role {role.value} cannot hold: {', '.join(not_allowed)}."
    discloses = bool(PURPOSE_SCOPES & set(scopes))
    if discloses and not purposes:
        return "A key that discloses data needs at least one purpose (R12)."
    if purposes and not discloses:
        return "Purposes are only for keys that disclose data (billing:read, invoices:write)."
    return None


def request_purpose(granted: Collection[str], named: str | None) -> str | None:
    """The purpose of one request: the one named in X-Purpose, or the key's only purpose."""
    if named is None or not named.strip():
        if len(granted) > 1:
            raise PurposeRequired(
                f"This key has several purposes: name one in the {PURPOSE_HEADER} header."
            )
        return next(iter(granted), None)
    try:
        purpose = DisclosurePurpose(named.strip())
    except ValueError as error:
        allowed = ", ".join(purpose.value for purpose in DisclosurePurpose)
        raise InvalidPurpose(
            f"{PURPOSE_HEADER} must be one of: {allowed}.", loc=("header", PURPOSE_HEADER)
        ) from error
    if purpose.value not in granted:
        raise PurposeNotGranted("This key is not granted that purpose.")
    return purpose.value


def address_allowed(networks: Collection[str], address: str | None) -> bool:
    """Whether a client address is inside one of the allowed networks (none: any address)."""
    if not networks:
        return True
    if address is None:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in networks)


def normalize_network(value: str) -> str:
    """A CIDR network in canonical form; host bits are not allowed."""
    try:
        return str(ipaddress.ip_network(value.strip(), strict=True))
    except ValueError as error:
        raise ValueError("is not a CIDR network such as 192.0.2.0/24") from error
