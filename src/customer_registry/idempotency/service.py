"""Idempotency keys (Stripe's rules): replay the first response, refuse a changed body.

A POST that carries `Idempotency-Key` claims the key for its caller in the request's own
transaction. A retry with the same key and the same body gets the first response again
(marked `Idempotent-Replayed: true`) and creates nothing; the same key with another body is
a 422. A failed request keeps nothing, so it can be retried with the same key. Keys are kept
for at least `RETENTION`; `customer-registry purge-idempotency-keys` removes older ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.audit.service import AuditTrail
from customer_registry.auth.principal import Actor
from customer_registry.core.database import SessionDep
from customer_registry.core.errors import Conflict, UnprocessableEntity
from customer_registry.idempotency.repository import IdempotencyKeyRepository
from customer_registry.models import AuditAction
from customer_registry.models.base import utcnow
from customer_registry.partners.disclosures import Disclosed, DisclosureLog

RETENTION = dt.timedelta(hours=24)
REPLAYED_HEADER = "Idempotent-Replayed"
_KEPT_HEADERS = ("ETag", "Location")


class IdempotencyKeyReused(UnprocessableEntity):
    code = "idempotency-key-reused"
    title = "Idempotency key reused with another request"
    default_loc = ("header", "Idempotency-Key")


class IdempotencyKeyInProgress(Conflict):
    code = "idempotency-key-in-progress"
    title = "A request with this idempotency key is in progress"


# What a POST with `Idempotency-Key` can be refused with.
IDEMPOTENCY_ERRORS = (IdempotencyKeyInProgress, IdempotencyKeyReused)


def _principal_key(actor: Actor) -> str:
    principal = actor.principal
    if principal is None:
        return "system"
    # A recipient's keys share idempotency keys, so that a retry survives a key rotation.
    if principal.recipient_id is not None:
        return f"recipient:{principal.recipient_id}"
    return f"{principal.kind.value}:{principal.id}"


class Idempotency:
    """The idempotency key of one request, if it carries one."""

    def __init__(self, session: AsyncSession, request: Request, key: str | None) -> None:
        self.keys = IdempotencyKeyRepository(session)
        self.audit = AuditTrail(session)
        self.disclosures = DisclosureLog(session)
        self.key = key
        self.method = request.method
        self.path = request.url.path
        self._claimed: int | None = None

    async def claim(self, actor: Actor, body: BaseModel) -> Response | None:
        """None when this request should run; the first response when it is a retry."""
        if self.key is None:
            return None
        principal = _principal_key(actor)
        canonical = json.dumps(
            [self.method, self.path, body.model_dump(mode="json")],
            sort_keys=True,
            separators=(",", ":"),
        )
        request_hash = hashlib.sha256(canonical.encode()).hexdigest()
        now = utcnow()
        await self.keys.delete_if_created_before(now - RETENTION, principal, self.key)
        self._claimed = await self.keys.claim(
            {
                "principal": principal,
                "key": self.key,
                "request_hash": request_hash,
                "created_at": now,
            }
        )
        if self._claimed is not None:
            return None
        first = await self.keys.get(principal, self.key)
        if first is not None and first.request_hash != request_hash:
            raise IdempotencyKeyReused(
                "This idempotency key was used with another request; use a new key."
            )
        if first is None or first.response_status is None or first.response_body is None:
            raise IdempotencyKeyInProgress("Retry this request in a moment.")
        # The replay hands the data over again: audited, and a disclosure to a recipient.
        if first.entity is not None and first.customer_id is not None:
            fields = first.fields or []
            await self.audit.record(
                actor,
                AuditAction.read,
                first.entity,
                first.entity_id,
                customer_id=first.customer_id,
                fields=fields,
            )
            await self.disclosures.record(
                actor, Disclosed().add(first.customer_id, fields, entity=first.entity)
            )
        return Response(
            content=first.response_body,
            status_code=first.response_status,
            media_type="application/json",
            headers={**(first.response_headers or {}), REPLAYED_HEADER: "true"},
        )

    async def complete(
        self,
        status_code: int,
        body: BaseModel,
        headers: Mapping[str, str],
        *,
        entity: str,
        entity_id: Any,
        customer_id: uuid.UUID,
        fields: Iterable[str],
    ) -> None:
        """Keep the response of a claimed key, with what it disclosed, for retries."""
        if self._claimed is None:
            return
        await self.keys.complete(
            self._claimed,
            {
                "response_status": status_code,
                "response_body": body.model_dump_json(),
                "response_headers": {
                    name: headers[name] for name in _KEPT_HEADERS if name in headers
                },
                "entity": entity,
                "entity_id": str(entity_id),
                "customer_id": customer_id,
                "fields": sorted(fields),
            },
        )


# An Idempotency-Key is 1 to 255 visible ASCII characters.
KEY_MAX_LENGTH = 255
_KEY_CHARACTERS = r"[\x21-\x7e]"


async def get_idempotency(
    request: Request,
    session: SessionDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=KEY_MAX_LENGTH,
            pattern=f"^{_KEY_CHARACTERS}+$",
            description="A unique key per intended operation (e.g. a UUID). A retry with the "
            "same key and body returns the first response and creates nothing; the same key "
            "with another body is a 422. Kept at least 24 hours.",
        ),
    ] = None,
) -> Idempotency:
    return Idempotency(session, request, idempotency_key)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]


async def purge_expired(session: AsyncSession, now: dt.datetime | None = None) -> int:
    """Delete idempotency keys past their retention; the number deleted."""
    cutoff = (now or utcnow()) - RETENTION
    return await IdempotencyKeyRepository(session).delete_created_before(cutoff)
