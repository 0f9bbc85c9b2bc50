"""Customer bodies: exactly the data of the privacy notice (R9), nothing else."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from customer_registry.consents.schemas import ConsentSummary
from customer_registry.core import examples
from customer_registry.core.validation import ExactBool, IsoDate, Text100, Text200
from customer_registry.customers.validation import (
    BusinessId,
    CountryCode,
    PhoneNumber,
    PostalCode,
    compatible_email,
    email_key,
)
from customer_registry.models import (
    CustomerType,
    DataSource,
    Language,
    LegalBasis,
    StoredCustomer,
)

# Stored as email-validator normalises it after NFKC; unique and looked up by `email_key`.
Email = Annotated[EmailStr, BeforeValidator(compatible_email), StringConstraints(max_length=254)]

# The personal fields of a customer, as named in audit events.
CUSTOMER_FIELDS = (
    "type",
    "first_name",
    "last_name",
    "organisation",
    "email",
    "phone",
    "address",
    "language",
    "legal_basis",
    "source",
    "relationship_started_on",
    "relationship_ended_on",
    "is_contact_person",
)


class Organisation(BaseModel):
    """The organisation the person represents."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    name: Text200
    business_id: BusinessId | None = Field(default=None, description="E.g. a Finnish Y-tunnus.")


class Address(BaseModel):
    """A postal address."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    street: Text200
    postal_code: PostalCode
    city: Text100
    country: CountryCode = Field(default="FI", description="ISO 3166-1 alpha-2 code.")

    @model_validator(mode="after")
    def _finnish_postal_code(self) -> Self:
        if self.country == "FI" and not (len(self.postal_code) == 5 and self.postal_code.isdigit()):
            raise ValueError("a Finnish postal code has five digits")
        return self


def check_customer_rules(
    customer_type: CustomerType,
    organisation: Organisation | None,
    is_contact_person: bool,
    started_on: dt.date | None,
    ended_on: dt.date | None,
) -> None:
    """Rules that span fields; raises ValueError naming the rule."""
    if customer_type is CustomerType.private_person and organisation is not None:
        raise ValueError("a private person has no organisation")
    if customer_type is not CustomerType.private_person and organisation is None:
        raise ValueError(f"a customer of type {customer_type.value} needs its organisation")
    if is_contact_person and organisation is None:
        raise ValueError("a contact person needs the organisation they represent")
    if started_on is not None and ended_on is not None and ended_on < started_on:
        raise ValueError("the relationship cannot end before it started")


class CustomerCreate(BaseModel):
    """A new customer."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.CUSTOMER_CREATE]}
    )

    type: CustomerType
    first_name: Text100
    last_name: Text100
    organisation: Organisation | None = None
    email: Email | None = None
    phone: PhoneNumber | None = Field(default=None, description="Stored in E.164.")
    address: Address | None = None
    language: Language = Language.fi
    legal_basis: LegalBasis = LegalBasis.contract
    source: DataSource
    relationship_started_on: IsoDate | None = Field(
        default=None, description="Today when not given."
    )
    relationship_ended_on: IsoDate | None = None
    is_contact_person: ExactBool = Field(
        default=False,
        description="Whether the person is an active contact person of their organisation; "
        "erasure is blocked meanwhile (R25).",
    )

    @model_validator(mode="after")
    def _rules(self) -> Self:
        check_customer_rules(
            self.type,
            self.organisation,
            self.is_contact_person,
            self.relationship_started_on,
            self.relationship_ended_on,
        )
        return self


class CustomerUpdate(BaseModel):
    """A change to a customer: only the fields given change; null clears an optional field."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.CUSTOMER_UPDATE]}
    )

    type: CustomerType | None = None
    first_name: Text100 | None = None
    last_name: Text100 | None = None
    organisation: Organisation | None = None
    email: Email | None = None
    phone: PhoneNumber | None = None
    address: Address | None = None
    language: Language | None = None
    legal_basis: LegalBasis | None = None
    source: DataSource | None = Field(
        default=None, description="Where this change came from (R10)."
    )
    relationship_started_on: IsoDate | None = None
    relationship_ended_on: IsoDate | None = None
    is_contact_person: ExactBool | None = None

    @model_validator(mode="after")
    def _required_fields_not_cleared(self) -> Self:
        for name in (
            "type",
            "first_name",
            "last_name",
            "language",
            "legal_basis",
            "source",
            "relationship_started_on",
            "is_contact_person",
        ):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be cleared")
        return self


class CustomerLookup(BaseModel):
    """Find a customer by e-mail address."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.CUSTOMER_LOOKUP]}
    )

    email: Email


class CustomerLinkCreate(BaseModel):
    """Let a client (the web shop) act on this customer, e.g. one who registered online after
    buying in a shop."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.CUSTOMER_LINK_CREATE]}
    )

    recipient_id: uuid.UUID = Field(description="The web shop operator's recipient id.")


class CustomerLinkRead(BaseModel):
    """A client that acts on the customer: it created it, or was linked to it."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.CUSTOMER_LINK_READ]})

    customer_id: uuid.UUID
    recipient_id: uuid.UUID


class CustomerRead(BaseModel):
    """A customer as stored."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.CUSTOMER_READ]})

    id: uuid.UUID
    type: CustomerType
    first_name: str | None
    last_name: str | None
    organisation: Organisation | None
    email: str | None
    phone: str | None
    address: Address | None
    language: Language
    # The register's own fields: null in a response to the web shop's key, which sees only
    # what the shop shows its user (the processing policy's fields).
    legal_basis: LegalBasis | None
    source: DataSource | None
    relationship_started_on: dt.date | None
    relationship_ended_on: dt.date | None
    is_contact_person: bool | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    consents: ConsentSummary = Field(description="The current state of each purpose.")
    restricted_at: dt.datetime | None = Field(
        description="When processing was restricted (R23); null when it is not."
    )

    @classmethod
    def from_model(cls, customer: StoredCustomer, consents: ConsentSummary) -> CustomerRead:
        """The customer as stored, as the response model."""
        return cls.model_validate(
            {
                "id": customer.id,
                "type": CustomerType(customer.type),
                "first_name": customer.first_name,
                "last_name": customer.last_name,
                "organisation": organisation_of(customer),
                "email": customer.email,
                "phone": customer.phone,
                "address": address_of(customer),
                "language": Language(customer.language),
                "legal_basis": LegalBasis(customer.legal_basis),
                "source": DataSource(customer.source),
                "relationship_started_on": customer.relationship_started_on,
                "relationship_ended_on": customer.relationship_ended_on,
                "is_contact_person": customer.is_contact_person,
                "version": customer.version,
                "created_at": customer.created_at,
                "updated_at": customer.updated_at,
                "consents": consents,
                "restricted_at": customer.restricted_at,
            },
        )


def organisation_of(customer: StoredCustomer) -> dict[str, Any] | None:
    """The customer's organisation as `Organisation`'s values, or None."""
    if customer.organisation_name is None:
        return None
    return {"name": customer.organisation_name, "business_id": customer.organisation_business_id}


def address_of(customer: StoredCustomer) -> dict[str, Any] | None:
    """The customer's postal address as `Address`'s values, or None when incomplete."""
    if (
        customer.street is None
        or customer.postal_code is None
        or customer.city is None
        or customer.country is None
    ):
        return None
    return {
        "street": customer.street,
        "postal_code": customer.postal_code,
        "city": customer.city,
        "country": customer.country,
    }


def columns_for(field: str, value: Any) -> dict[str, Any]:
    """The table columns that store one API field."""
    if field == "organisation":
        organisation: Organisation | None = value
        return {
            "organisation_name": organisation.name if organisation else None,
            "organisation_business_id": organisation.business_id if organisation else None,
        }
    if field == "address":
        address: Address | None = value
        return {
            "street": address.street if address else None,
            "postal_code": address.postal_code if address else None,
            "city": address.city if address else None,
            "country": address.country if address else None,
        }
    if field == "email":
        return {"email": value, "email_normalized": email_key(value) if value else None}
    if hasattr(value, "value"):
        return {field: value.value}
    return {field: value}
