"""Statistics endpoints: aggregates only (R2, R3)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from customer_registry.auth.dependencies import StatisticsReader
from customer_registry.core.errors import (
    Forbidden,
    Unauthorized,
    UnprocessableEntity,
    error_responses,
)
from customer_registry.core.routing import documented_router
from customer_registry.statistics.schemas import CustomerStatistics, OrderStatistics
from customer_registry.statistics.service import StatisticsServiceDep

router = documented_router(prefix="/api/v1/statistics", tags=["statistics"])
_ERRORS = error_responses(Unauthorized, Forbidden, UnprocessableEntity)


@router.get("/customers", response_model=CustomerStatistics, responses=_ERRORS)
async def customer_statistics(
    service: StatisticsServiceDep,
    actor: StatisticsReader,
    months: Annotated[
        int, Query(ge=1, le=120, description="How many months, up to this one, to show.")
    ] = 24,
) -> CustomerStatistics:
    """Customers by type, language and region, and relationships started and ended per month.

    A cell of fewer than 5 people is shown as `{"count": null, "suppressed": true}`, and
    further cells are suppressed where the hidden ones could otherwise be worked out from
    the rest. Restricted customers are left out.
    """
    return await service.customers(actor, months=months)


@router.get("/orders", response_model=OrderStatistics, responses=_ERRORS)
async def order_statistics(
    service: StatisticsServiceDep,
    actor: StatisticsReader,
    months: Annotated[
        int, Query(ge=1, le=120, description="How many months, up to this one, to show.")
    ] = 24,
) -> OrderStatistics:
    """Orders and revenue (without VAT) per month and per channel, for each currency.

    A cell whose orders come from fewer than 5 distinct customers is shown as suppressed,
    with no count and no revenue; further cells are suppressed where the hidden ones could
    otherwise be worked out from the rest. Cancelled orders and restricted customers are
    left out.
    """
    return await service.orders(actor, months=months)
