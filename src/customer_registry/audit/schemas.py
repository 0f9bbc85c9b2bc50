"""The audit event as read."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict


class AuditEventRead(BaseModel):
    """One audit event: who did what to which record; field names, never values."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: dt.datetime
    action: str
    actor_type: str
    actor_id: str | None
    actor_role: str | None
    entity: str
    entity_id: str | None
    customer_id: uuid.UUID | None
    fields: list[str]
    request_id: str | None
    client_address: str | None
    purpose: str | None
