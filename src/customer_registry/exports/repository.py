"""Queries for exports: customers in keyset batches, selected column by column."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.models import Customer

if TYPE_CHECKING:
    # id, first name, last name, organisation, street, postal code, city, country
    LabelRow = Row[
        uuid.UUID,
        str | None,
        str | None,
        str | None,
        str | None,
        str | None,
        str | None,
        str | None,
    ]


class ExportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def label_batch(
        self, conditions: Sequence[ColumnElement[bool]], *, after: uuid.UUID | None, limit: int
    ) -> Sequence[LabelRow]:
        """The next `limit` customers after `after` (by id) that meet every condition."""
        query = (
            select(
                Customer.id,
                Customer.first_name,
                Customer.last_name,
                Customer.organisation_name,
                Customer.street,
                Customer.postal_code,
                Customer.city,
                Customer.country,
            )
            .where(*conditions)
            .order_by(Customer.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(Customer.id > after)
        return (await self.session.execute(query)).all()
