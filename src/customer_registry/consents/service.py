"""Consent rules: recording decisions, and the state every endpoint must honour (R5, R20)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import ColumnElement, Label, Row
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.audit.service import AuditTrail
from customer_registry.auth.principal import Actor
from customer_registry.config import Settings
from customer_registry.consents.purposes import effective_defaults
from customer_registry.consents.repository import ConsentRepository, allows, latest_decision
from customer_registry.consents.schemas import (
    ConsentEventCreate,
    ConsentEventRead,
    ConsentsRead,
    ConsentStateRead,
    ConsentSummary,
)
from customer_registry.core.database import SessionDep
from customer_registry.core.errors import NotFound
from customer_registry.core.pagination import Page, decode_int_cursor, encode_cursor
from customer_registry.customers.repository import CustomerRepository
from customer_registry.models import AuditAction, ConsentDecision, ConsentEvent, Customer, Purpose
from customer_registry.policy import Operation, RestrictedReadPurpose, enforce, linked_recipient

CONSENT_ENTITY = "consent"


# Each purpose, and the column of a customer query that carries its latest decision.
_SUMMARY_COLUMNS = tuple((purpose, f"consent_{purpose.value}") for purpose in Purpose)


@functools.lru_cache(maxsize=16)
def _undecided(defaults: tuple[tuple[Purpose, ConsentDecision], ...]) -> ConsentSummary:
    """The summary of a customer without any recorded decision, most customers': one
    instance per set of defaults, which every response showing it shares (none changes it)."""
    return ConsentSummary.of(dict(defaults))


@functools.lru_cache(maxsize=16)
def _configured_defaults(
    overrides: tuple[tuple[Purpose, ConsentDecision], ...],
) -> Mapping[Purpose, ConsentDecision]:
    """The default of every purpose with these overrides (configured ones), read-only."""
    return MappingProxyType(effective_defaults(dict(overrides)))


class ConsentStates:
    """The current consent state of customers: the one place every endpoint asks.

    An endpoint that processes customers for one of the purposes either calls
    `is_allowed` for a single customer or filters its query with `allows` (set-based, so a
    forbid recorded a moment ago takes effect in the very next query).
    """

    def __init__(self, session: AsyncSession, defaults: Mapping[Purpose, ConsentDecision]) -> None:
        self.ledger = ConsentRepository(session)
        # Read-only, as the configured defaults are shared by every request's states.
        self.defaults: Mapping[Purpose, ConsentDecision] = (
            defaults if isinstance(defaults, MappingProxyType) else MappingProxyType(dict(defaults))
        )
        self._defaults_key = tuple(defaults.items())

    @classmethod
    def from_settings(cls, session: AsyncSession, settings: Settings) -> ConsentStates:
        # Made for every request that shows a customer: the defaults are worked out once.
        return cls(session, _configured_defaults(tuple(settings.consent_defaults.items())))

    async def decisions(
        self, customer_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, dict[Purpose, ConsentEvent]]:
        """The latest event per purpose of each customer (purposes without one are left out)."""
        latest: dict[uuid.UUID, dict[Purpose, ConsentEvent]] = {
            customer_id: {} for customer_id in customer_ids
        }
        for event in await self.ledger.latest(customer_ids):
            latest[event.customer_id][Purpose(event.purpose)] = event
        return latest

    async def summaries(self, customer_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ConsentSummary]:
        """The current state of every purpose for many customers, with one query."""
        return {
            customer_id: self._summary(
                {purpose: event.decision for purpose, event in events.items()}
            )
            for customer_id, events in (await self.decisions(customer_ids)).items()
        }

    @staticmethod
    @functools.cache
    def summary_columns() -> tuple[Label[str], ...]:
        """Columns for a query on `Customer` that carry what `summary_of` needs, so that
        customers are read with their consents in one query (built once)."""
        return tuple(latest_decision(purpose).label(column) for purpose, column in _SUMMARY_COLUMNS)

    def summary_of(self, row: Row[Any]) -> ConsentSummary:
        """The summary from a row that has the `summary_columns`."""
        mapping = row._mapping
        return self._summary(
            {
                purpose: decision
                for purpose, column in _SUMMARY_COLUMNS
                if (decision := mapping[column]) is not None
            }
        )

    def default_summary(self) -> ConsentSummary:
        """The state of a customer without any recorded decision."""
        return self._summary({})

    def _summary(self, decided: Mapping[Purpose, str]) -> ConsentSummary:
        """Recorded decisions, and the defaults for the purposes without one."""
        if not decided:
            return _undecided(self._defaults_key)
        return ConsentSummary.of(
            {
                purpose: ConsentDecision(decided[purpose])
                if purpose in decided
                else self.defaults[purpose]
                for purpose in Purpose
            }
        )

    async def is_allowed(self, customer_id: uuid.UUID, purpose: Purpose) -> bool:
        """Whether the customer's data may be processed for `purpose` now."""
        summary = (await self.summaries([customer_id]))[customer_id]
        return bool(getattr(summary, purpose.value) is ConsentDecision.granted)

    def allows(self, purpose: Purpose) -> ColumnElement[bool]:
        """A query condition on `Customer`: processing for `purpose` is allowed now."""
        return allows(purpose, self.defaults[purpose])


class ConsentService:
    def __init__(self, session: AsyncSession, states: ConsentStates, settings: Settings) -> None:
        self.customers = CustomerRepository(session)
        self.states = states
        self.settings = settings
        self.audit = AuditTrail(session)

    async def get(
        self,
        customer_id: uuid.UUID,
        actor: Actor,
        *,
        purpose: RestrictedReadPurpose | None,
        cursor: str | None,
        limit: int,
    ) -> ConsentsRead:
        customer = await self._get(customer_id)
        enforce(actor, customer, Operation.consent_read, stated_purpose=purpose)
        audit_purpose = purpose.value if purpose else None
        before_id = decode_int_cursor(cursor) if cursor else None
        events = await self.states.ledger.history(customer_id, before_id=before_id, limit=limit + 1)
        latest = (await self.states.decisions([customer_id]))[customer_id]
        state = [
            ConsentStateRead(
                purpose=item,
                decision=ConsentDecision(latest[item].decision)
                if item in latest
                else self.states.defaults[item],
                is_default=item not in latest,
                event_id=latest[item].id if item in latest else None,
                decided_at=latest[item].recorded_at if item in latest else None,
            )
            for item in Purpose
        ]
        page = events[:limit]
        await self.audit.record(
            actor,
            AuditAction.read,
            CONSENT_ENTITY,
            customer_id,
            customer_id=customer_id,
            fields=["state", "history"],
            purpose=audit_purpose,
        )
        return ConsentsRead(
            customer_id=customer_id,
            state=state,
            history=Page[ConsentEventRead](
                items=[ConsentEventRead.from_model(event) for event in page],
                next_cursor=encode_cursor(page[-1].id) if len(events) > limit else None,
            ),
        )

    async def record(
        self,
        customer_id: uuid.UUID,
        data: ConsentEventCreate,
        actor: Actor,
        *,
        purpose: RestrictedReadPurpose | None,
    ) -> ConsentEventRead:
        customer = await self._get(customer_id)
        linked = await self.customers.links_allow(customer_id, linked_recipient(actor))
        enforce(actor, customer, Operation.consent_record, linked=linked)
        audit_purpose = purpose.value if purpose else None
        event = await self.states.ledger.append(
            ConsentEvent(
                customer_id=customer_id,
                purpose=data.purpose.value,
                decision=data.decision.value,
                recorded_by_type=actor.actor_type.value,
                recorded_by_id=actor.actor_id,
                channel=data.channel.value,
                evidence=data.evidence,
                privacy_notice_version=self.settings.privacy_notice_version,
            )
        )
        await self.audit.record(
            actor,
            AuditAction.create,
            CONSENT_ENTITY,
            event.id,
            customer_id=customer_id,
            fields=[name for name in ConsentEventCreate.model_fields if getattr(data, name)],
            purpose=audit_purpose,
        )
        return ConsentEventRead.from_model(event)

    async def _get(self, customer_id: uuid.UUID) -> Customer:
        customer = await self.customers.get(customer_id)
        if customer is None:
            raise NotFound("No such customer.")
        return customer


async def get_consent_states(request: Request, session: SessionDep) -> ConsentStates:
    return ConsentStates.from_settings(session, request.app.state.settings)


ConsentStatesDep = Annotated[ConsentStates, Depends(get_consent_states)]


async def get_consent_service(
    request: Request, session: SessionDep, states: ConsentStatesDep
) -> ConsentService:
    return ConsentService(session, states, request.app.state.settings)


ConsentServiceDep = Annotated[ConsentService, Depends(get_consent_service)]
