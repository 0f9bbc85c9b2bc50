"""Aggregate queries: counts only, no row of personal data leaves the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from customer_registry.models import Customer

Grouping = InstrumentedAttribute[Any] | ColumnElement[Any]


class StatisticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count_by(
        self, conditions: Sequence[ColumnElement[bool]], *groups: Grouping
    ) -> list[tuple[tuple[object, ...], int]]:
        """Customers meeting `conditions`, counted per distinct value of `groups`."""
        query = select(*groups, func.count(Customer.id)).where(*conditions).group_by(*groups)
        return [
            (tuple(row[:-1]), int(row[-1])) for row in (await self.session.execute(query)).all()
        ]

    async def count_by_day(
        self,
        conditions: Sequence[ColumnElement[bool]],
        day: InstrumentedAttribute[dt.date] | InstrumentedAttribute[dt.date | None],
        since: dt.date,
    ) -> list[tuple[dt.date, int]]:
        """Customers per date in the `day` column from `since` on."""
        query = select(day, func.count(Customer.id)).where(*conditions, day >= since).group_by(day)
        rows = (await self.session.execute(query)).all()
        return [(row[0], int(row[1])) for row in rows if row[0] is not None]
