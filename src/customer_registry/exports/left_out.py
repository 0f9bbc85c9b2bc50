"""How many customers a mailing-label run would leave out, and why: counts only (R5)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.config import Settings
from customer_registry.consents.purposes import MAILING_LABEL_PURPOSES
from customer_registry.consents.service import ConsentStates
from customer_registry.customers.predicates import (
    has_postal_address,
    not_erased,
    not_restricted,
    relationship_active,
)
from customer_registry.exports.repository import LabelFilters
from customer_registry.models import Customer
from customer_registry.models.base import utcnow


@dataclass(frozen=True)
class LeftOut:
    included: int
    # (reason, count), each customer counted under the first reason that leaves them out.
    reasons: list[tuple[str, int]]


async def count_left_out(
    session: AsyncSession, settings: Settings, filters: LabelFilters
) -> LeftOut:
    """The label run's conditions, one by one, over the customers the filters select."""
    states = ConsentStates.from_settings(session, settings)
    steps: list[tuple[str, ColumnElement[bool]]] = [
        ("erased", not_erased()),
        ("restricted", not_restricted()),
        ("ended", relationship_active(utcnow().date())),
        ("no_address", has_postal_address()),
        ("forbidden", and_(*(states.allows(purpose) for purpose in MAILING_LABEL_PURPOSES))),
    ]
    columns = []
    passed: list[ColumnElement[bool]] = []
    for _, condition in steps:
        fails = and_(*passed, not_(condition)) if passed else not_(condition)
        columns.append(func.coalesce(func.sum(case((fails, 1), else_=0)), 0))
        passed.append(condition)
    columns.append(func.coalesce(func.sum(case((and_(*passed), 1), else_=0)), 0))
    statement = select(*columns).select_from(Customer)
    conditions = filters.conditions()
    if conditions:
        statement = statement.where(*conditions)
    row = (await session.execute(statement)).one()
    counts = [int(value) for value in row]
    return LeftOut(
        included=counts[-1],
        reasons=[(name, count) for (name, _), count in zip(steps, counts[:-1], strict=True)],
    )
