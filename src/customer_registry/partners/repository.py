"""Queries on recipients, API keys and disclosures."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Bundle

from customer_registry.core.grouped import GroupedInsert
from customer_registry.models import ApiKey, Disclosure, Recipient

# Built once, on the table (no ORM bulk machinery), for a row as `DisclosureLog` makes it.
_INSERT_DISCLOSURES = GroupedInsert(cast(Table, Disclosure.__table__))
# A key's lookup on every request of a machine client, and its use recorded, built once.
_KEY: Bundle[Any] = Bundle("key", *cast(Table, ApiKey.__table__).columns)
_RECIPIENT: Bundle[Any] = Bundle("recipient", *cast(Table, Recipient.__table__).columns)
_KEY_WITH_RECIPIENT = (
    select(_KEY, _RECIPIENT)
    .join_from(ApiKey, Recipient, Recipient.id == ApiKey.recipient_id)
    .where(ApiKey.prefix == bindparam("prefix"))
)
_TOUCH_KEY = (
    update(ApiKey)
    .where(
        ApiKey.id == bindparam("key_id"),
        or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < bindparam("stale_before")),
    )
    .values(last_used_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)


class RecipientRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, recipient_id: uuid.UUID) -> Recipient | None:
        return await self.session.get(Recipient, recipient_id)

    async def list(self, *, after: uuid.UUID | None, limit: int) -> Sequence[Recipient]:
        query = select(Recipient).order_by(Recipient.id).limit(limit)
        if after is not None:
            query = query.where(Recipient.id > after)
        return (await self.session.scalars(query)).all()

    async def add(self, recipient: Recipient) -> Recipient:
        self.session.add(recipient)
        await self.session.flush()
        return recipient

    async def update_if_version(
        self, recipient_id: uuid.UUID, expected_version: int, values: dict[str, Any]
    ) -> bool:
        """Apply `values` and bump the version only if it is still `expected_version`."""
        result = await self.session.execute(
            update(Recipient)
            .where(Recipient.id == recipient_id, Recipient.version == expected_version)
            .values(**values, version=expected_version + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key_id: uuid.UUID) -> ApiKey | None:
        return await self.session.get(ApiKey, key_id)

    async def get_with_recipient(self, prefix: str) -> tuple[Row[Any], Row[Any]] | None:
        """The key with this public prefix and its recipient (their columns as rows, no ORM
        objects), in one query."""
        row = (await self.session.execute(_KEY_WITH_RECIPIENT, {"prefix": prefix})).first()
        return None if row is None else (row.key, row.recipient)

    async def list_for(
        self, recipient_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
    ) -> Sequence[ApiKey]:
        query = (
            select(ApiKey)
            .where(ApiKey.recipient_id == recipient_id)
            .order_by(ApiKey.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(ApiKey.id > after)
        return (await self.session.scalars(query)).all()

    async def add(self, key: ApiKey) -> ApiKey:
        self.session.add(key)
        await self.session.flush()
        return key

    async def touch(self, key_id: uuid.UUID, now: dt.datetime, stale_before: dt.datetime) -> None:
        """Record use of a key, unless that was already done since `stale_before`.

        The condition keeps this to one write per key per interval, however busy the key.
        """
        await self.session.execute(
            _TOUCH_KEY, {"key_id": key_id, "now": now, "stale_before": stale_before}
        )


class DisclosureRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def append(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert disclosure rows (as `DisclosureLog.record` makes them) in one statement."""
        if rows:
            await _INSERT_DISCLOSURES.execute(self.session, rows)

    async def list(
        self,
        *,
        customer_id: uuid.UUID | None,
        recipient_id: uuid.UUID | None,
        after_id: int | None,
        limit: int,
    ) -> Sequence[Disclosure]:
        query = select(Disclosure).order_by(Disclosure.id).limit(limit)
        if customer_id is not None:
            query = query.where(Disclosure.customer_id == customer_id)
        if recipient_id is not None:
            query = query.where(Disclosure.recipient_id == recipient_id)
        if after_id is not None:
            query = query.where(Disclosure.id > after_id)
        return (await self.session.scalars(query)).all()
