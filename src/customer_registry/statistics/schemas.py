"""Statistics bodies: counts of people by group, never anything about one person."""

from __future__ import annotations

from pydantic import BaseModel, Field

from customer_registry.statistics.suppression import Count


class GroupCount(BaseModel):
    """The number of customers in one group."""

    key: str
    customers: Count


class MonthCount(BaseModel):
    """Customer relationships started and ended in one calendar month (UTC)."""

    month: str = Field(examples=["2026-11"])
    started: Count
    ended: Count


class CustomerStatistics(BaseModel):
    """Customers by type, language and region, and relationships per month.

    Restricted customers are left out; anonymised ones are counted (R27).
    """

    minimum_cell_size: int
    customers_by_type: list[GroupCount]
    customers_by_language: list[GroupCount]
    customers_by_region: list[GroupCount] = Field(
        description="By the first two digits of a Finnish postal code; `abroad` and "
        "`no_address` for the rest."
    )
    relationships_by_month: list[MonthCount]
