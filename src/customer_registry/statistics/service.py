"""Statistics of the register (R2, R3).

Each breakdown is counted in the database and passed through `suppress`, so no cell under
the minimum is ever shown. Order aggregates (orders and revenue per month and channel) count
distinct *people* per cell for the suppression, and hide a cell's orders and revenue with
its head count; who is counted is the processing policy's (`Operation.statistics`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import Annotated

from fastapi import Depends
from sqlalchemy import ColumnElement, func
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.audit.service import AuditTrail
from customer_registry.auth.principal import Actor
from customer_registry.core.database import SessionDep
from customer_registry.models import (
    AuditAction,
    Customer,
    CustomerType,
    Language,
    Order,
    OrderChannel,
    OrderStatus,
)
from customer_registry.models.base import utcnow
from customer_registry.orders.money import from_cents
from customer_registry.policy import Caller, Operation
from customer_registry.policy.conditions import admitted_subjects
from customer_registry.statistics.repository import (
    Grouping,
    OrderTotals,
    StatisticsRepository,
    month_of,
)
from customer_registry.statistics.schemas import (
    CurrencyOrderStatistics,
    CustomerStatistics,
    GroupCount,
    MonthCount,
    OrderCell,
    OrderStatistics,
)
from customer_registry.statistics.suppression import (
    MINIMUM_CELL_SIZE,
    suppress,
    suppress_overlapping,
)

STATISTICS_ENTITY = "statistics"
HOME_COUNTRY = "FI"
ABROAD = "abroad"
NO_ADDRESS = "no_address"


def _groups(counts: Mapping[str, int]) -> list[GroupCount]:
    return [GroupCount(key=key, customers=cell) for key, cell in suppress(counts).items()]


def _month_keys(today: dt.date, months: int) -> list[str]:
    year, month = today.year, today.month
    keys = []
    for _ in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return keys[::-1]


def _first_of_next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


class StatisticsService:
    def __init__(self, session: AsyncSession) -> None:
        self.statistics = StatisticsRepository(session)
        self.audit = AuditTrail(session)

    async def customers(self, actor: Actor, *, months: int) -> CustomerStatistics:
        included = [admitted_subjects(Caller.staff, Operation.statistics, utcnow().date())]
        by_type = Counter({item.value: 0 for item in CustomerType})
        for (customer_type,), count in await self.statistics.count_by(included, Customer.type):
            by_type[str(customer_type)] += count
        by_language = Counter({item.value: 0 for item in Language})
        for (language,), count in await self.statistics.count_by(included, Customer.language):
            by_language[str(language)] += count
        by_region: Counter[str] = Counter()
        for (country, prefix), count in await self.statistics.count_by(
            included, Customer.country, func.substr(Customer.postal_code, 1, 2)
        ):
            if country is None or prefix is None:
                by_region[NO_ADDRESS] += count
            else:
                by_region[str(prefix) if country == HOME_COUNTRY else ABROAD] += count

        month_keys = _month_keys(utcnow().date(), months)
        since = dt.date.fromisoformat(month_keys[0] + "-01")
        started = Counter({key: 0 for key in month_keys})
        ended = Counter({key: 0 for key in month_keys})
        for series, column in (
            (started, Customer.relationship_started_on),
            (ended, Customer.relationship_ended_on),
        ):
            for day, count in await self.statistics.count_by_day(included, column, since):
                key = day.strftime("%Y-%m")
                if key in series:
                    series[key] += count
        started_cells, ended_cells = suppress(started), suppress(ended)

        await self.audit.record(
            actor, AuditAction.read, STATISTICS_ENTITY, "customers", fields=["customers"]
        )
        return CustomerStatistics(
            minimum_cell_size=MINIMUM_CELL_SIZE,
            customers_by_type=_groups(by_type),
            customers_by_language=_groups(by_language),
            customers_by_region=_groups(dict(sorted(by_region.items()))),
            relationships_by_month=[
                MonthCount(month=key, started=started_cells[key], ended=ended_cells[key])
                for key in month_keys
            ],
        )

    async def orders(self, actor: Actor, *, months: int) -> OrderStatistics:
        today = utcnow().date()
        month_keys = _month_keys(today, months)
        included = [
            admitted_subjects(Caller.staff, Operation.statistics, today),
            Order.status != OrderStatus.cancelled.value,
            Order.ordered_on >= dt.date.fromisoformat(month_keys[0] + "-01"),
            Order.ordered_on < _first_of_next_month(today),
        ]
        channels = [channel.value for channel in OrderChannel]
        by_month = await self.statistics.order_totals(included, month_of(Order.ordered_on))
        by_channel = await self.statistics.order_totals(included, Order.channel)
        currencies = sorted({totals.currency for totals in by_month})
        result = []
        for currency in currencies:
            in_currency = [*included, Order.currency == currency]
            result.append(
                CurrencyOrderStatistics(
                    currency=currency,
                    orders_by_month=await self._order_cells(
                        in_currency, month_of(Order.ordered_on), month_keys, by_month, currency
                    ),
                    orders_by_channel=await self._order_cells(
                        in_currency, Order.channel, channels, by_channel, currency
                    ),
                )
            )

        await self.audit.record(
            actor, AuditAction.read, STATISTICS_ENTITY, "orders", fields=["orders"]
        )
        return OrderStatistics(minimum_cell_size=MINIMUM_CELL_SIZE, currencies=result)

    async def _order_cells(
        self,
        conditions: Sequence[ColumnElement[bool]],
        group: Grouping,
        keys: list[str],
        totals: list[OrderTotals],
        currency: str,
    ) -> list[OrderCell]:
        """One breakdown's cells in one currency, with every cell of too few people hidden."""
        cells = {key: OrderTotals(currency, key, 0, 0, 0) for key in keys}
        cells.update({row.key: row for row in totals if row.currency == currency})

        async def people_in(hidden: Collection[str]) -> int:
            return await self.statistics.order_people([*conditions, group.in_(list(hidden))])

        hidden = await suppress_overlapping(
            {key: row.people for key, row in cells.items()}, people_in
        )
        return [
            OrderCell(key=key, suppressed=True, customers=None, orders=None, revenue=None)
            if key in hidden
            else OrderCell(
                key=key,
                suppressed=False,
                customers=row.people,
                orders=row.orders,
                revenue=from_cents(row.net_cents),
            )
            for key, row in cells.items()
        ]


async def get_statistics_service(session: SessionDep) -> StatisticsService:
    return StatisticsService(session)


StatisticsServiceDep = Annotated[StatisticsService, Depends(get_statistics_service)]
