"""Restriction bodies."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from customer_registry.core.validation import reject_control_characters
from customer_registry.models import Customer

Text500 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(reject_control_characters),
]


class RestrictionCreate(BaseModel):
    """Why processing is restricted, e.g. the customer contests the accuracy of the data."""

    model_config = ConfigDict(extra="forbid")

    reason: Text500


class RestrictionRead(BaseModel):
    """Whether a customer's processing is restricted, since when, why and by whom."""

    customer_id: uuid.UUID
    restricted: bool
    restricted_at: dt.datetime | None
    reason: str | None
    restricted_by: str | None = Field(description="The account that set the restriction.")

    @classmethod
    def from_model(cls, customer: Customer) -> RestrictionRead:
        return cls(
            customer_id=customer.id,
            restricted=customer.restricted_at is not None,
            restricted_at=customer.restricted_at,
            reason=customer.restriction_reason,
            restricted_by=customer.restricted_by,
        )
