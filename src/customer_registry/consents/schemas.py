"""Consent bodies: a recorded decision, the current state per purpose, and the summary."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from customer_registry.core import examples
from customer_registry.core.pagination import Page
from customer_registry.core.validation import Text2000
from customer_registry.models import (
    ActorType,
    ConsentChannel,
    ConsentDecision,
    ConsentEvent,
    Purpose,
)


class ConsentEventCreate(BaseModel):
    """A decision of the customer about one purpose, as staff or the web shop received it."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.CONSENT_EVENT_CREATE]}
    )

    purpose: Purpose
    decision: ConsentDecision
    channel: ConsentChannel
    evidence: Text2000 | None = Field(
        default=None,
        description="Where the decision can be verified, e.g. the ticket or letter reference.",
    )


class ConsentEventRead(BaseModel):
    """One entry of the ledger."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.CONSENT_EVENT_READ]})

    id: int
    purpose: Purpose
    decision: ConsentDecision
    recorded_at: dt.datetime
    recorded_by_type: ActorType
    recorded_by_id: str | None
    channel: ConsentChannel
    evidence: str | None
    privacy_notice_version: str

    @classmethod
    def from_model(cls, event: ConsentEvent) -> ConsentEventRead:
        return cls.model_construct(
            id=event.id,
            purpose=Purpose(event.purpose),
            decision=ConsentDecision(event.decision),
            recorded_at=event.recorded_at,
            recorded_by_type=ActorType(event.recorded_by_type),
            recorded_by_id=event.recorded_by_id,
            channel=ConsentChannel(event.channel),
            evidence=event.evidence,
            privacy_notice_version=event.privacy_notice_version,
        )


class ConsentStateRead(BaseModel):
    """The current state of one purpose: the latest decision, or the configured default."""

    purpose: Purpose
    decision: ConsentDecision
    is_default: bool = Field(description="True when no decision is recorded for the purpose.")
    event_id: int | None
    decided_at: dt.datetime | None


class ConsentsRead(BaseModel):
    """The current state of every purpose and the ledger, newest first."""

    customer_id: uuid.UUID
    state: list[ConsentStateRead]
    history: Page[ConsentEventRead]


class ConsentSummary(BaseModel):
    """The current state of each purpose, as part of a customer."""

    direct_advertising: ConsentDecision
    distance_selling: ConsentDecision
    direct_marketing: ConsentDecision
    market_research: ConsentDecision
    opinion_research: ConsentDecision
    listing: ConsentDecision
    targeted_content: ConsentDecision

    @classmethod
    def of(cls, decisions: Mapping[Purpose, ConsentDecision]) -> ConsentSummary:
        return cls.model_validate({purpose.value: decisions[purpose] for purpose in Purpose})
