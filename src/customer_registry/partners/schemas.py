"""Bodies of recipients, API keys and disclosures."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from customer_registry.auth.principal import ApiKeyScope
from customer_registry.core import examples
from customer_registry.core.validation import Text100, Text200, Text2000
from customer_registry.customers.validation import BusinessId, CountryCode
from customer_registry.models import (
    ApiKey,
    DisclosurePurpose,
    ProcessorPurpose,
    Recipient,
    RecipientRole,
)
from customer_registry.partners.regions import has_adequacy_decision, in_eu_eea, may_receive_data
from customer_registry.partners.rules import normalize_network

DEFAULT_KEY_DAYS = 90
MAXIMUM_KEY_DAYS = 365
MAXIMUM_OVERLAP_HOURS = 7 * 24

Network = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=49), AfterValidator(normalize_network)
]


class RecipientCreate(BaseModel):
    """An organisation that receives personal data."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.RECIPIENT_CREATE]}
    )

    name: Text200
    business_id: BusinessId | None = None
    country: CountryCode = Field(description="ISO 3166-1 alpha-2 code of where data goes.")
    role: RecipientRole
    safeguard: Text2000 | None = Field(
        default=None,
        description="For a country outside the EU/EEA: the safeguard of the transfer, e.g. "
        "the standard contractual clauses signed on a date. Without it the recipient gets "
        "no key and no data (R13), unless the country has an adequacy decision of the "
        "European Commission (the United States only through a recorded safeguard, e.g. "
        "certification under the EU-US Data Privacy Framework).",
    )


class RecipientUpdate(BaseModel):
    """A change to a recipient; only the fields given change."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.RECIPIENT_UPDATE]}
    )

    name: Text200 | None = None
    business_id: BusinessId | None = None
    country: CountryCode | None = None
    role: RecipientRole | None = None
    safeguard: Text2000 | None = None

    @model_validator(mode="after")
    def _required_fields_not_cleared(self) -> Self:
        for name in ("name", "country", "role"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be cleared")
        return self


class RecipientRead(BaseModel):
    """A recipient as recorded."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.RECIPIENT_READ]})

    id: uuid.UUID
    name: str
    business_id: str | None
    country: str
    role: RecipientRole
    safeguard: str | None
    in_eu_eea: bool
    has_adequacy_decision: bool = Field(
        description="The country has an adequacy decision of the European Commission."
    )
    may_receive_data: bool = Field(
        description="False outside the EU/EEA and the adequate countries without a safeguard."
    )
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_model(cls, recipient: Recipient) -> RecipientRead:
        return cls(
            id=recipient.id,
            name=recipient.name,
            business_id=recipient.business_id,
            country=recipient.country,
            role=RecipientRole(recipient.role),
            safeguard=recipient.safeguard,
            in_eu_eea=in_eu_eea(recipient.country),
            has_adequacy_decision=has_adequacy_decision(recipient.country),
            may_receive_data=may_receive_data(recipient.country, recipient.safeguard),
            version=recipient.version,
            created_at=recipient.created_at,
            updated_at=recipient.updated_at,
        )


class ApiKeyCreate(BaseModel):
    """A new API key for a recipient."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.API_KEY_CREATE]}
    )

    name: Text100 = Field(description="What the key is for, e.g. the system that uses it.")
    scopes: list[ApiKeyScope] = Field(min_length=1, max_length=len(ApiKeyScope))
    purposes: list[DisclosurePurpose] = Field(
        default_factory=list,
        max_length=len(DisclosurePurpose),
        description="Required for keys that disclose data (billing:read, invoices:write); "
        "each request then names one in `X-Purpose`, or uses the key's only purpose.",
    )
    expires_in_days: int = Field(default=DEFAULT_KEY_DAYS, ge=1, le=MAXIMUM_KEY_DAYS)
    allowed_networks: list[Network] = Field(
        default_factory=list,
        max_length=20,
        description="CIDR networks the key may be used from (R17); empty: any address.",
    )


class ApiKeyRotate(BaseModel):
    """Replace a key: the new key is returned; the old one works until its chosen end."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.API_KEY_ROTATE]}
    )

    old_key_valid_for_hours: int = Field(
        default=24,
        ge=0,
        le=MAXIMUM_OVERLAP_HOURS,
        description="How long the old key keeps working, so clients can switch over.",
    )
    expires_in_days: int = Field(default=DEFAULT_KEY_DAYS, ge=1, le=MAXIMUM_KEY_DAYS)


class ApiKeyRead(BaseModel):
    """An API key as stored: never the key itself."""

    id: uuid.UUID
    recipient_id: uuid.UUID
    name: str
    prefix: str = Field(description="The public part that identifies the key.")
    scopes: list[ApiKeyScope]
    purposes: list[DisclosurePurpose]
    allowed_networks: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None = Field(description="Updated at most once a minute.")
    replaces_id: uuid.UUID | None

    @classmethod
    def from_model(cls, key: ApiKey) -> ApiKeyRead:
        return cls(
            id=key.id,
            recipient_id=key.recipient_id,
            name=key.name,
            prefix=key.prefix,
            scopes=[ApiKeyScope(scope) for scope in key.scopes],
            purposes=[DisclosurePurpose(purpose) for purpose in key.purposes],
            allowed_networks=list(key.allowed_networks),
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
            replaces_id=key.replaces_id,
        )


class ApiKeyCreated(ApiKeyRead):
    """A new key; `key` is shown only in this response and cannot be read again."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.API_KEY_CREATED]})

    key: str = Field(description="Send as `X-API-Key`. Shown once: store it now.")


class DisclosureRead(BaseModel):
    """Data of one data subject handed to a recipient: which fields, when and why."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: dt.datetime
    recipient_id: uuid.UUID
    api_key_id: uuid.UUID
    customer_id: uuid.UUID
    purpose: DisclosurePurpose | ProcessorPurpose = Field(
        description="Why the data went out (R12); `web_shop_service` for the web shop "
        "operator, a processor serving the company's own customers (R4)."
    )
    fields: list[str]
    request_id: str | None
