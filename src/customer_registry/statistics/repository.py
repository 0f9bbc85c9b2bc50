"""Aggregate queries: counts only, no row of personal data leaves the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from customer_registry.models import Customer, Order

Grouping = InstrumentedAttribute[Any] | ColumnElement[Any]


class month_of(FunctionElement[str]):
    """The calendar month of a date column as `YYYY-MM`, on SQLite and PostgreSQL."""

    type = String()
    name = "month_of"
    inherit_cache = True


@compiles(month_of, "sqlite")
def _month_of_sqlite(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


@compiles(month_of, "postgresql")
def _month_of_postgresql(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


@dataclass(frozen=True, slots=True)
class OrderTotals:
    """Orders of one currency in one group: how many people, orders, and their net sum."""

    currency: str
    key: str
    people: int
    orders: int
    net_cents: int


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

    async def order_totals(
        self, conditions: Sequence[ColumnElement[bool]], group: Grouping
    ) -> list[OrderTotals]:
        """Per currency and value of `group`: distinct people, orders and the net sum."""
        query = (
            select(
                Order.currency,
                group,
                func.count(Order.customer_id.distinct()),
                func.count(Order.id),
                func.coalesce(func.sum(Order.net_total_cents), 0),
            )
            .join(Customer, Customer.id == Order.customer_id)
            .where(*conditions)
            .group_by(Order.currency, group)
        )
        return [
            OrderTotals(
                currency=str(currency),
                key=str(key),
                people=int(people),
                orders=int(orders),
                net_cents=int(net_cents),
            )
            for currency, key, people, orders, net_cents in (await self.session.execute(query))
        ]

    async def order_people(self, conditions: Sequence[ColumnElement[bool]]) -> int:
        """Distinct customers with an order meeting `conditions`."""
        query = (
            select(func.count(Order.customer_id.distinct()))
            .join(Customer, Customer.id == Order.customer_id)
            .where(*conditions)
        )
        return int((await self.session.scalar(query)) or 0)
