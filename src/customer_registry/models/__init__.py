"""All ORM models, imported here so that metadata is complete wherever it is used."""

from customer_registry.models.account import Role, User
from customer_registry.models.audit import ActorType, AuditAction, AuditEvent
from customer_registry.models.base import Base
from customer_registry.models.customer import (
    Customer,
    CustomerType,
    DataSource,
    Language,
    LegalBasis,
)
from customer_registry.models.gdpr_request import (
    GdprRequest,
    RequestChannel,
    RequestLanguage,
    RequestStatus,
    RequestType,
    VerificationMethod,
)

__all__ = [
    "ActorType",
    "AuditAction",
    "AuditEvent",
    "Base",
    "Customer",
    "CustomerType",
    "DataSource",
    "GdprRequest",
    "Language",
    "LegalBasis",
    "RequestChannel",
    "RequestLanguage",
    "RequestStatus",
    "RequestType",
    "Role",
    "User",
    "VerificationMethod",
]
