"""Statistics bodies: counts of people by group, never anything about one person."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from customer_registry.statistics.suppression import CellCount


class GroupCount(BaseModel):
    """The number of customers in one group."""

    key: str
    customers: CellCount


class MonthCount(BaseModel):
    """Customer relationships started and ended in one calendar month (UTC)."""

    month: str = Field(examples=["2026-11"])
    started: CellCount
    ended: CellCount


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


class OrderCell(BaseModel):
    """Orders of one month or one channel: nothing is shown when the cell is suppressed."""

    key: str = Field(examples=["2026-11", "web_shop"])
    suppressed: bool
    customers: int | None = Field(
        description="Distinct customers who ordered; null when suppressed."
    )
    orders: int | None = Field(description="Null when suppressed.")
    revenue: Decimal | None = Field(
        description="Sum of the orders' totals without VAT, in the currency; null when suppressed.",
        examples=["1234.50"],
    )


class CurrencyOrderStatistics(BaseModel):
    """The orders placed in one currency (amounts of different currencies are never added)."""

    currency: str = Field(examples=["EUR"])
    orders_by_month: list[OrderCell]
    orders_by_channel: list[OrderCell] = Field(
        description="Over the same months as `orders_by_month`."
    )


class OrderStatistics(BaseModel):
    """Orders and revenue per month and per channel.

    Cancelled orders are left out altogether (an order cancelled is no sale); returned ones
    count. Restricted customers' orders are left out; anonymised customers' orders count.
    """

    minimum_cell_size: int
    currencies: list[CurrencyOrderStatistics]
