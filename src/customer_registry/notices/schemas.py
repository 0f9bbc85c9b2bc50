"""Recipient notices as a recipient reads them."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict

from customer_registry.models import NoticeKind


class NoticeRead(BaseModel):
    """Data of `customer_id` that this recipient holds was rectified or erased.

    For `rectified`, fetch the customer's current data through the billing view and replace
    the named fields; for `erased`, delete what you hold of the customer. Then acknowledge.
    """

    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: uuid.UUID
    kind: NoticeKind
    fields: list[str]
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None


class NotifiedParty(BaseModel):
    """Someone told of a rectification or erasure: the source of the data, or a recipient."""

    party: str
    source: str | None = None
    recipient_id: uuid.UUID | None = None
    name: str | None = None
    notice_id: int | None = None
