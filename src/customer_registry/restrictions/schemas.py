"""Restriction bodies."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from customer_registry.core import examples
from customer_registry.core.validation import Text500
from customer_registry.models import Customer, RestrictionGround


class RestrictionCreate(BaseModel):
    """Why processing is restricted, e.g. the customer contests the accuracy of the data."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.RESTRICTION_CREATE]}
    )

    reason: Text500
    ground: RestrictionGround | None = Field(
        default=None, description="The ground of GDPR Art. 18(1) the restriction rests on."
    )


class RestrictionRead(BaseModel):
    """Whether a customer's processing is restricted, since when, why and by whom."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.RESTRICTION_READ]})

    customer_id: uuid.UUID
    restricted: bool
    restricted_at: dt.datetime | None
    reason: str | None
    ground: RestrictionGround | None
    restricted_by: str | None = Field(description="The account that set the restriction.")

    @classmethod
    def from_model(cls, customer: Customer) -> RestrictionRead:
        return cls(
            customer_id=customer.id,
            restricted=customer.restricted_at is not None,
            restricted_at=customer.restricted_at,
            reason=customer.restriction_reason,
            ground=RestrictionGround(customer.restriction_ground)
            if customer.restriction_ground
            else None,
            restricted_by=customer.restricted_by,
        )
