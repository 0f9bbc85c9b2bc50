"""All ORM models, imported here so that metadata is complete wherever it is used."""

from customer_registry.models.account import Role, User
from customer_registry.models.audit import ActorType, AuditAction, AuditEvent
from customer_registry.models.base import Base
from customer_registry.models.consent import (
    ConsentChannel,
    ConsentDecision,
    ConsentEvent,
    Purpose,
)
from customer_registry.models.customer import (
    Customer,
    CustomerType,
    DataSource,
    Language,
    LegalBasis,
)

__all__ = [
    "ActorType",
    "AuditAction",
    "AuditEvent",
    "Base",
    "ConsentChannel",
    "ConsentDecision",
    "ConsentEvent",
    "Customer",
    "CustomerType",
    "DataSource",
    "Language",
    "LegalBasis",
    "Purpose",
    "Role",
    "User",
]
