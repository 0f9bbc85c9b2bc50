"""Bodies of data-subject requests and of their handling."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from customer_registry.core import examples
from customer_registry.core.validation import Text100, Text200, Text400, Text2000
from customer_registry.customers.schemas import CustomerUpdate, Email
from customer_registry.models import (
    Purpose,
    RequestChannel,
    RequestLanguage,
    RequestStatus,
    RequestType,
    VerificationMethod,
)


class Requester(BaseModel):
    """Who made the request, as they identified themselves (when not found in the register)."""

    model_config = ConfigDict(extra="forbid")

    name: Text200
    email: Email | None = None
    address: Text400 | None = Field(default=None, description="On one line.")


class GdprRequestCreate(BaseModel):
    """A data-subject request as received."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.GDPR_REQUEST_CREATE]}
    )

    type: RequestType
    customer_id: uuid.UUID | None = Field(
        default=None, description="The customer the request concerns, when found."
    )
    requester: Requester | None = Field(
        default=None, description="The identifying details given, when no customer is named."
    )
    channel: RequestChannel
    language: RequestLanguage = RequestLanguage.fi
    received_at: AwareDatetime | None = Field(
        default=None, description="When the request arrived; now when not given."
    )
    signed: bool = Field(default=False, description="Whether a written request is signed.")
    reference: Text200 | None = Field(
        default=None,
        description="The reference of the letter or message received, e.g. its archive number.",
    )
    changes: CustomerUpdate | None = Field(
        default=None, description="Rectification: the corrected values."
    )
    grounds: Text2000 | None = Field(
        default=None, description="Rectification: why the data is wrong, incomplete or outdated."
    )
    purposes: Annotated[list[Purpose], Field(min_length=1, max_length=len(Purpose))] | None = Field(
        default=None, description="Objection: the purposes the person forbids."
    )
    reason: Text2000 | None = Field(
        default=None, description="Restriction or erasure: the reason the person gives."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.customer_id is None and self.requester is None:
            raise ValueError("name the customer, or give the requester's identifying details")
        if self.type is RequestType.rectification and (
            self.changes is None or not self.changes.model_fields_set or self.grounds is None
        ):
            raise ValueError("a rectification request names the changes and their grounds")
        if self.type is RequestType.objection and not self.purposes:
            raise ValueError("an objection names the purposes the person forbids")
        if self.changes is not None and self.type is not RequestType.rectification:
            raise ValueError("only a rectification request carries changes")
        return self


class Verification(BaseModel):
    """How the requester's identity was verified."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.VERIFICATION]}
    )

    method: VerificationMethod
    signed: bool | None = Field(
        default=None, description="For a letter: that it is signed (R19, R22)."
    )
    customer_id: uuid.UUID | None = Field(
        default=None, description="The customer the requester was identified as, if not yet set."
    )


class Extension(BaseModel):
    """An extension of the deadline by one or two further months (Art. 12(3))."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [examples.EXTENSION]})

    months: Literal[1, 2]
    reason: Text2000


class Refusal(BaseModel):
    """A refusal, with the reasons given to the person in writing (R22, R26)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [examples.REFUSAL]})

    reasons: Text2000


class Completion(BaseModel):
    """Completing a verified request."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [examples.COMPLETION]})

    note: Text100 | None = None


class GdprRequestRead(BaseModel):
    """A data-subject request and where it stands."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.GDPR_REQUEST_READ]})

    id: uuid.UUID
    type: RequestType
    customer_id: uuid.UUID | None
    requester: Requester | None
    channel: RequestChannel
    language: RequestLanguage
    status: RequestStatus
    received_at: dt.datetime
    due_on: dt.date = Field(description="One month after receipt (Art. 12(3)).")
    deadline_on: dt.date = Field(description="The deadline in force, extensions included.")
    overdue: bool
    extension_reason: str | None
    extended_at: dt.datetime | None
    signed: bool
    verification_method: VerificationMethod | None
    verified_by: str | None
    verified_at: dt.datetime | None
    closed_by: str | None
    closed_at: dt.datetime | None
    details: dict[str, Any]
    outcome: dict[str, Any] | None
    created_at: dt.datetime
    updated_at: dt.datetime
