"""The caller of a request, staff user or machine client, and what it may do."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from customer_registry.models import ActorType, Role


class Permission(StrEnum):
    """What a route needs; roles and API-key scopes are sets of these."""

    customers_read = "customers:read"
    customers_write = "customers:write"
    users_manage = "users:manage"
    audit_read = "audit:read"
    statistics_read = "statistics:read"
    restrictions_manage = "restrictions:manage"
    restricted_read = "restricted:read"
    exports_labels = "exports:labels"
    address_updates_import = "address-updates:import"


_STAFF = frozenset(
    {Permission.customers_read, Permission.customers_write, Permission.statistics_read}
)
# Restriction (R23) and bulk exports of personal data are privacy-officer work.
_PRIVACY_OFFICER = _STAFF | {
    Permission.audit_read,
    Permission.restrictions_manage,
    Permission.restricted_read,
    Permission.exports_labels,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.staff: _STAFF,
    Role.privacy_officer: _PRIVACY_OFFICER,
    Role.admin: _PRIVACY_OFFICER | {Permission.users_manage, Permission.address_updates_import},
}


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    kind: ActorType
    id: str
    permissions: frozenset[Permission]
    role: Role | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

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


SYSTEM_ACTOR = Actor(principal=None, request_id=None, client_address=None)
