"""The caller of a request, staff user or machine client, and what it may do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from customer_registry.models import ActorType, DataSource, Role


class Permission(StrEnum):
    """What a route needs; roles and API-key scopes are sets of these."""

    customers_read = "customers:read"
    customers_write = "customers:write"
    customers_lookup = "customers:lookup"
    orders_read = "orders:read"
    orders_write = "orders:write"
    invoices_write = "invoices:write"
    billing_read = "billing:read"
    users_manage = "users:manage"
    audit_read = "audit:read"
    recipients_manage = "recipients:manage"
    gdpr_requests_submit = "gdpr_requests:submit"
    gdpr_requests_handle = "gdpr_requests:handle"
    retention_run = "retention:run"
    statistics_read = "statistics:read"
    restrictions_manage = "restrictions:manage"
    restricted_read = "restricted:read"
    customer_links_manage = "customers:link"
    exports_labels = "exports:labels"
    address_updates_import = "address-updates:import"


_STAFF = frozenset(
    {
        Permission.customers_read,
        Permission.customers_write,
        Permission.customers_lookup,
        Permission.orders_read,
        Permission.orders_write,
        Permission.invoices_write,
        Permission.gdpr_requests_submit,
        Permission.statistics_read,
    }
)
# Data-subject requests, restriction (R23) and bulk exports of personal data are
# privacy-officer work.
_PRIVACY_OFFICER = _STAFF | {
    Permission.audit_read,
    Permission.gdpr_requests_handle,
    Permission.restrictions_manage,
    Permission.restricted_read,
    Permission.customer_links_manage,
    Permission.exports_labels,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.staff: _STAFF,
    Role.privacy_officer: _PRIVACY_OFFICER,
    Role.admin: _PRIVACY_OFFICER
    | {
        Permission.users_manage,
        Permission.recipients_manage,
        Permission.retention_run,
        Permission.address_updates_import,
    },
}


class ApiKeyScope(StrEnum):
    """What an API key can be granted: each scope is the permission of the same name.

    Everything else (accounts, the audit log, recipients and keys, reading customers and
    orders in full) stays with staff.
    """

    customers_write = "customers:write"
    customers_lookup = "customers:lookup"
    orders_write = "orders:write"
    billing_read = "billing:read"
    invoices_write = "invoices:write"
    gdpr_requests_submit = "gdpr_requests:submit"


API_KEY_PERMISSIONS = frozenset(Permission(scope.value) for scope in ApiKeyScope)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    kind: ActorType
    id: str
    permissions: frozenset[Permission]
    role: Role | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    # For API keys: the recipient the key belongs to, the disclosure purpose this request
    # names, and the source that data written through the key is recorded with.
    recipient_id: uuid.UUID | None = None
    purpose: str | None = None
    data_source: DataSource | None = None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


@dataclass(frozen=True, slots=True)
class Actor:
    """A principal together with the request it acts in: what the audit records."""

    principal: Principal | None
    request_id: str | None
    client_address: str | None

    @property
    def actor_type(self) -> ActorType:
        return self.principal.kind if self.principal else ActorType.system

    @property
    def actor_id(self) -> str | None:
        return self.principal.id if self.principal else None

    @property
    def actor_role(self) -> str | None:
        if self.principal is None or self.principal.role is None:
            return None
        return self.principal.role.value

    @property
    def purpose(self) -> str | None:
        """The disclosure purpose a machine client named for this request (R12)."""
        return self.principal.purpose if self.principal else None

    @property
    def data_source(self) -> DataSource | None:
        """The source (R10) that data written by this caller is recorded with, if fixed."""
        return self.principal.data_source if self.principal else None

    @property
    def is_api_key(self) -> bool:
        return self.principal is not None and self.principal.kind is ActorType.api_key


SYSTEM_ACTOR = Actor(principal=None, request_id=None, client_address=None)
