"""All ORM models, imported here so that metadata is complete wherever it is used."""

from customer_registry.models.account import Role, User
from customer_registry.models.audit import ActorType, AuditAction, AuditChainEntry, AuditEvent
from customer_registry.models.base import Base
from customer_registry.models.customer import (
    Customer,
    CustomerType,
    DataSource,
    Language,
    LegalBasis,
)
from customer_registry.models.security import LoginFailure, RateLimitCounter, RevokedToken

__all__ = [
    "ActorType",
    "AuditAction",
    "AuditChainEntry",
    "AuditEvent",
    "Base",
    "Customer",
    "CustomerType",
    "DataSource",
    "Language",
    "LegalBasis",
    "LoginFailure",
    "RateLimitCounter",
    "RevokedToken",
    "Role",
    "User",
]
