"""How many customers a mailing-label run would leave out, and why: counts only (R5)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.config import Settings
from customer_registry.consents.purposes import MAILING_LABEL_PURPOSES
from customer_registry.consents.service import ConsentStates
from customer_registry.customers.predicates import has_postal_address
from customer_registry.exports.filters import LabelFilters
from customer_registry.gdpr_requests.deadlines import today_in_finland
from customer_registry.models import Customer
from customer_registry.policy import Caller, Operation, State
from customer_registry.policy.conditions import admitted_subjects, in_states


@dataclass(frozen=True)
class LeftOut:
    included: int
    # (reason, count), each customer counted under the first reason that leaves them out.
    reasons: list[tuple[str, int]]


async def count_left_out(
    session: AsyncSession, settings: Settings, filters: LabelFilters, caller: Caller
) -> LeftOut:
    """The label run's conditions, one by one, over the customers the filters select: the
    states the processing policy leaves out of a label run, the address, the objections."""
    states = ConsentStates.from_settings(session, settings)
    today = today_in_finland()
    steps: list[tuple[str, ColumnElement[bool]]] = [
        ("erased", not_(in_states({State.erased}))),
        ("restricted", not_(in_states({State.restricted, State.partially_erased}))),
        ("ended", not_(in_states({State.relationship_ended}, today))),
        ("no_address", has_postal_address()),
        ("forbidden", and_(*(states.allows(purpose) for purpose in MAILING_LABEL_PURPOSES))),
    ]
    columns = []
    passed: list[ColumnElement[bool]] = []
    for _, condition in steps:
        fails = and_(*passed, not_(condition)) if passed else not_(condition)
        columns.append(func.coalesce(func.sum(case((fails, 1), else_=0)), 0))
        passed.append(condition)
    # Those on the labels: whom the processing policy admits to a label run, as the export.
    included = and_(
        admitted_subjects(caller, Operation.labels_export, today, states.allows),
        has_postal_address(),
    )
    columns.append(func.coalesce(func.sum(case((included, 1), else_=0)), 0))
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
