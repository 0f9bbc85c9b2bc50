"""Managing recipients and their API keys (admin), and reading the disclosure log."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.audit.service import AuditTrail
from customer_registry.auth.api_keys import ApiKeyHasher
from customer_registry.auth.principal import Actor
from customer_registry.core.database import SessionDep
from customer_registry.core.errors import NotFound, PreconditionFailed, UnprocessableEntity
from customer_registry.core.pagination import (
    Page,
    decode_int_cursor,
    decode_uuid_cursor,
    encode_cursor,
)
from customer_registry.models import ApiKey, AuditAction, Recipient, RecipientRole
from customer_registry.models.base import utcnow
from customer_registry.partners.exceptions import KeyNotUsable, SafeguardRequired
from customer_registry.partners.regions import may_receive_data
from customer_registry.partners.repository import (
    ApiKeyRepository,
    DisclosureRepository,
    RecipientRepository,
)
from customer_registry.partners.rules import key_rule_violation
from customer_registry.partners.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    ApiKeyRotate,
    DisclosureRead,
    RecipientCreate,
    RecipientRead,
    RecipientUpdate,
)

RECIPIENT_ENTITY = "recipient"
API_KEY_ENTITY = "api_key"
DISCLOSURES_ENTITY = "disclosures"
RECIPIENT_FIELDS = ("name", "business_id", "country", "role", "safeguard")
NO_SAFEGUARD = (
    "The recipient is outside the EU/EEA and has no recorded safeguard: record one before "
    "it can receive data (R13)."
)


class RecipientService:
    def __init__(self, session: AsyncSession, hasher: ApiKeyHasher) -> None:
        self.session = session
        self.recipients = RecipientRepository(session)
        self.keys = ApiKeyRepository(session)
        self.audit = AuditTrail(session)
        self.hasher = hasher

    async def create(self, data: RecipientCreate, actor: Actor) -> RecipientRead:
        recipient = await self.recipients.add(
            Recipient(
                name=data.name,
                business_id=data.business_id,
                country=data.country,
                role=data.role.value,
                safeguard=data.safeguard,
            )
        )
        await self.audit.record(
            actor,
            AuditAction.create,
            RECIPIENT_ENTITY,
            recipient.id,
            fields=[name for name in RECIPIENT_FIELDS if getattr(data, name) is not None],
        )
        return RecipientRead.from_model(recipient)

    async def get(self, recipient_id: uuid.UUID) -> RecipientRead:
        return RecipientRead.from_model(await self._get(recipient_id))

    async def list_recipients(self, cursor: str | None, limit: int) -> Page[RecipientRead]:
        rows = await self.recipients.list(
            after=decode_uuid_cursor(cursor) if cursor else None, limit=limit + 1
        )
        items = [RecipientRead.from_model(row) for row in rows[:limit]]
        return Page[RecipientRead](
            items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None
        )

    async def update(
        self, recipient_id: uuid.UUID, patch: RecipientUpdate, version: int, actor: Actor
    ) -> RecipientRead:
        recipient = await self._get(recipient_id)
        stale = PreconditionFailed(
            f"The recipient has changed since version {version}; read it again."
        )
        if recipient.version != version:
            raise stale
        values = {
            name: value.value if isinstance(value, RecipientRole) else value
            for name in RECIPIENT_FIELDS
            if name in patch.model_fields_set
            and (value := getattr(patch, name)) != getattr(recipient, name)
        }
        if not values:
            return RecipientRead.from_model(recipient)
        if not await self.recipients.update_if_version(
            recipient_id, version, {**values, "updated_at": utcnow()}
        ):
            raise stale
        await self.session.refresh(recipient)
        await self.audit.record(
            actor, AuditAction.update, RECIPIENT_ENTITY, recipient.id, fields=values.keys()
        )
        return RecipientRead.from_model(recipient)

    async def create_key(
        self, recipient_id: uuid.UUID, data: ApiKeyCreate, actor: Actor
    ) -> ApiKeyCreated:
        recipient = await self._get(recipient_id)
        if not may_receive_data(recipient.country, recipient.safeguard):
            raise SafeguardRequired(NO_SAFEGUARD)
        violation = key_rule_violation(RecipientRole(recipient.role), data.scopes, data.purposes)
        if violation is not None:
            raise UnprocessableEntity(
                violation,
                loc=("body",),
                msg="the scopes and purposes do not fit the recipient's role",
            )
        created = await self._issue_key(
            recipient,
            name=data.name,
            scopes=sorted({scope.value for scope in data.scopes}),
            purposes=sorted({purpose.value for purpose in data.purposes}),
            allowed_networks=sorted(set(data.allowed_networks)),
            lifetime=dt.timedelta(days=data.expires_in_days),
            replaces=None,
        )
        await self.audit.record(
            actor,
            AuditAction.create,
            API_KEY_ENTITY,
            created.id,
            fields=["scopes", "purposes", "expires_at", "allowed_networks"],
        )
        return created

    async def list_keys(
        self, recipient_id: uuid.UUID, cursor: str | None, limit: int
    ) -> Page[ApiKeyRead]:
        await self._get(recipient_id)
        rows = await self.keys.list_for(
            recipient_id, after=decode_uuid_cursor(cursor) if cursor else None, limit=limit + 1
        )
        items = [ApiKeyRead.from_model(row) for row in rows[:limit]]
        return Page[ApiKeyRead](
            items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None
        )

    async def revoke_key(
        self, recipient_id: uuid.UUID, key_id: uuid.UUID, actor: Actor
    ) -> ApiKeyRead:
        key = await self._get_key(recipient_id, key_id)
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            await self.session.flush()
            await self.audit.record(
                actor, AuditAction.update, API_KEY_ENTITY, key.id, fields=["revoked_at"]
            )
        return ApiKeyRead.from_model(key)

    async def rotate_key(
        self, recipient_id: uuid.UUID, key_id: uuid.UUID, data: ApiKeyRotate, actor: Actor
    ) -> ApiKeyCreated:
        """A new key with the same grants; the old one ends after the chosen overlap."""
        recipient = await self._get(recipient_id)
        old = await self._get_key(recipient_id, key_id)
        now = utcnow()
        if old.revoked_at is not None or old.expires_at <= now:
            raise KeyNotUsable("Only a key that still works can be rotated; create a new one.")
        if not may_receive_data(recipient.country, recipient.safeguard):
            raise SafeguardRequired(NO_SAFEGUARD)
        created = await self._issue_key(
            recipient,
            name=old.name,
            scopes=list(old.scopes),
            purposes=list(old.purposes),
            allowed_networks=list(old.allowed_networks),
            lifetime=dt.timedelta(days=data.expires_in_days),
            replaces=old.id,
        )
        old.expires_at = min(old.expires_at, now + dt.timedelta(hours=data.old_key_valid_for_hours))
        await self.session.flush()
        await self.audit.record_many(
            [
                AuditTrail.event(
                    actor, AuditAction.update, API_KEY_ENTITY, old.id, fields=["expires_at"]
                ),
                AuditTrail.event(
                    actor,
                    AuditAction.create,
                    API_KEY_ENTITY,
                    created.id,
                    fields=["scopes", "purposes", "expires_at", "allowed_networks", "replaces_id"],
                ),
            ]
        )
        return created

    async def _issue_key(
        self,
        recipient: Recipient,
        *,
        name: str,
        scopes: list[str],
        purposes: list[str],
        allowed_networks: list[str],
        lifetime: dt.timedelta,
        replaces: uuid.UUID | None,
    ) -> ApiKeyCreated:
        new_key = self.hasher.generate()
        now = utcnow()
        key = await self.keys.add(
            ApiKey(
                recipient_id=recipient.id,
                name=name,
                prefix=new_key.prefix,
                key_hash=new_key.key_hash,
                scopes=scopes,
                purposes=purposes,
                allowed_networks=allowed_networks,
                created_at=now,
                expires_at=now + lifetime,
                replaces_id=replaces,
            )
        )
        return ApiKeyCreated(**ApiKeyRead.from_model(key).model_dump(), key=new_key.plaintext)

    async def _get(self, recipient_id: uuid.UUID) -> Recipient:
        recipient = await self.recipients.get(recipient_id)
        if recipient is None:
            raise NotFound("No such recipient.")
        return recipient

    async def _get_key(self, recipient_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
        key = await self.keys.get(key_id)
        if key is None or key.recipient_id != recipient_id:
            raise NotFound("No such API key of this recipient.")
        return key


class DisclosureReportService:
    """Reading the disclosure log (privacy officer): itself an audited read."""

    def __init__(self, session: AsyncSession) -> None:
        self.disclosures = DisclosureRepository(session)
        self.audit = AuditTrail(session)

    async def list_disclosures(
        self,
        actor: Actor,
        *,
        customer_id: uuid.UUID | None,
        recipient_id: uuid.UUID | None,
        cursor: str | None,
        limit: int,
    ) -> Page[DisclosureRead]:
        after_id = decode_int_cursor(cursor) if cursor is not None else None
        rows = await self.disclosures.list(
            customer_id=customer_id, recipient_id=recipient_id, after_id=after_id, limit=limit + 1
        )
        page = rows[:limit]
        await self.audit.record(
            actor,
            AuditAction.read,
            DISCLOSURES_ENTITY,
            customer_id=customer_id,
            fields=[
                name
                for name, value in (("customer_id", customer_id), ("recipient_id", recipient_id))
                if value is not None
            ],
        )
        return Page[DisclosureRead](
            items=[DisclosureRead.model_validate(row) for row in page],
            next_cursor=encode_cursor(page[-1].id) if len(rows) > limit else None,
        )


async def get_recipient_service(request: Request, session: SessionDep) -> RecipientService:
    return RecipientService(session, request.app.state.api_key_hasher)


async def get_disclosure_report_service(session: SessionDep) -> DisclosureReportService:
    return DisclosureReportService(session)


RecipientServiceDep = Annotated[RecipientService, Depends(get_recipient_service)]
DisclosureReportServiceDep = Annotated[
    DisclosureReportService, Depends(get_disclosure_report_service)
]
