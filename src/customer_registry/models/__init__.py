"""All ORM models, imported here so that metadata is complete wherever it is used."""

from customer_registry.models.account import Role, User
from customer_registry.models.audit import ActorType, AuditAction, AuditChainEntry, AuditEvent
from customer_registry.models.base import Base
from customer_registry.models.consent import (
    ConsentChannel,
    ConsentDecision,
    ConsentEvent,
    Purpose,
)
from customer_registry.models.console import ConsoleSession
from customer_registry.models.customer import (
    Customer,
    CustomerType,
    DataSource,
    Language,
    LegalBasis,
    RestrictionGround,
    StoredCustomer,
)
from customer_registry.models.erasure_log import ErasureLogEntry
from customer_registry.models.gdpr_request import (
    GdprRequest,
    RequestChannel,
    RequestLanguage,
    RequestStatus,
    RequestType,
    VerificationMethod,
)
from customer_registry.models.idempotency import IdempotencyKey
from customer_registry.models.link import CustomerLink
from customer_registry.models.notice import NoticeKind, RecipientNotice
from customer_registry.models.order import (
    InvoiceStatus,
    InvoiceStatusChange,
    Order,
    OrderChannel,
    OrderLine,
    OrderRecord,
    OrderStatus,
    Record,
    StoredOrder,
)
from customer_registry.models.partner import (
    ApiKey,
    Disclosure,
    DisclosurePurpose,
    ProcessorPurpose,
    Recipient,
    RecipientRole,
)
from customer_registry.models.security import LoginFailure, RateLimitCounter, RevokedToken

__all__ = [
    "ActorType",
    "ApiKey",
    "AuditAction",
    "AuditChainEntry",
    "AuditEvent",
    "Base",
    "ConsentChannel",
    "ConsentDecision",
    "ConsentEvent",
    "ConsoleSession",
    "Customer",
    "CustomerLink",
    "CustomerType",
    "DataSource",
    "Disclosure",
    "DisclosurePurpose",
    "ErasureLogEntry",
    "GdprRequest",
    "IdempotencyKey",
    "InvoiceStatus",
    "InvoiceStatusChange",
    "Language",
    "LegalBasis",
    "LoginFailure",
    "NoticeKind",
    "Order",
    "OrderChannel",
    "OrderLine",
    "OrderRecord",
    "OrderStatus",
    "ProcessorPurpose",
    "Purpose",
    "RateLimitCounter",
    "Recipient",
    "RecipientNotice",
    "RecipientRole",
    "Record",
    "RequestChannel",
    "RequestLanguage",
    "RequestStatus",
    "RequestType",
    "RestrictionGround",
    "RevokedToken",
    "Role",
    "StoredCustomer",
    "StoredOrder",
    "User",
    "VerificationMethod",
]
