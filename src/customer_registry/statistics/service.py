"""Statistics of the register (R2, R3).

Each breakdown is counted in the database and passed through `suppress`, so no cell under
the minimum is ever shown. Order aggregates (orders and revenue per month and channel) plug
in beside `customers` as their own method and endpoint, counting *people* per cell for the
suppression and leaving out restricted customers with `not_restricted()`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.audit.service import AuditTrail
from customer_registry.auth.principal import Actor
from customer_registry.core.database import SessionDep
from customer_registry.customers.predicates import not_restricted
from customer_registry.models import AuditAction, Customer, CustomerType, Language
from customer_registry.models.base import utcnow
from customer_registry.statistics.repository import StatisticsRepository
from customer_registry.statistics.schemas import CustomerStatistics, GroupCount, MonthCount
from customer_registry.statistics.suppression import MINIMUM_CELL_SIZE, suppress

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


class StatisticsService:
    def __init__(self, session: AsyncSession) -> None:
        self.statistics = StatisticsRepository(session)
        self.audit = AuditTrail(session)

    async def customers(self, actor: Actor, *, months: int) -> CustomerStatistics:
        included = [not_restricted()]
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


def get_statistics_service(session: SessionDep) -> StatisticsService:
    return StatisticsService(session)


StatisticsServiceDep = Annotated[StatisticsService, Depends(get_statistics_service)]
