"""Queries on customers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, String, bindparam, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.core.prepared import DriverRow, DriverStatement
from customer_registry.customers.predicates import not_erased, not_restricted
from customer_registry.models import Customer

# Asked on every creation (and e-mail change): built once.
_EMAIL_TAKEN = select(exists().where(Customer.email_normalized == bindparam("email")))
_EMAIL_TAKEN_BY_ANOTHER = select(
    exists().where(
        Customer.email_normalized == bindparam("email"), Customer.id != bindparam("excluding")
    )
)


# A search matches names, e-mail and organisation name anywhere, in any letter case; the
# condition is built once, and the searched text is a parameter (`_contains_pattern`).
_SEARCH = bindparam("search", type_=String)
_MATCHES_SEARCH = or_(
    Customer.first_name.ilike(_SEARCH, escape="/"),
    Customer.last_name.ilike(_SEARCH, escape="/"),
    Customer.email_normalized.ilike(_SEARCH, escape="/"),
    Customer.organisation_name.ilike(_SEARCH, escape="/"),
)


def _contains_pattern(text: str) -> str:
    """A LIKE pattern (escape character `/`) matching `text` literally, anywhere."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


class CustomerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, customer_id: uuid.UUID) -> Customer | None:
        return await self.session.get(Customer, customer_id)

    async def read_one(
        self, query: DriverStatement, parameters: dict[str, Any]
    ) -> Row[Any] | DriverRow | None:
        """The row of a query on the table's columns (built once), or None.

        A plain row, without loading an object.
        """
        return await query.fetch_one(self.session, parameters)

    async def email_taken(self, email_normalized: str, excluding: uuid.UUID | None = None) -> bool:
        if excluding is None:
            return bool(await self.session.scalar(_EMAIL_TAKEN, {"email": email_normalized}))
        return bool(
            await self.session.scalar(
                _EMAIL_TAKEN_BY_ANOTHER, {"email": email_normalized, "excluding": excluding}
            )
        )

    async def list(
        self,
        *,
        search: str | None,
        customer_type: str | None,
        email: str | None,
        after: uuid.UUID | None,
        limit: int,
        with_columns: Sequence[ColumnElement[Any]] = (),
    ) -> Sequence[Row[Any]]:
        """Rows of `Customer` (as `row.Customer`) and the further columns asked for."""
        query = (
            select(Customer, *with_columns)
            .where(not_restricted(), not_erased())
            .order_by(Customer.id)
            .limit(limit)
        )
        parameters: dict[str, Any] = {}
        if search:
            query = query.where(_MATCHES_SEARCH)
            parameters["search"] = _contains_pattern(search)
        if customer_type is not None:
            query = query.where(Customer.type == customer_type)
        if email is not None:
            query = query.where(Customer.email_normalized == email.lower())
        if after is not None:
            query = query.where(Customer.id > after)
        return (await self.session.execute(query, parameters)).all()

    async def add(self, customer: Customer) -> Customer:
        self.session.add(customer)
        await self.session.flush()
        return customer

    async def update_if_version(
        self, customer_id: uuid.UUID, expected_version: int, values: dict[str, Any]
    ) -> bool:
        """Apply `values` and bump the version only if it is still `expected_version`."""
        result = await self.session.execute(
            update(Customer)
            .where(Customer.id == customer_id, Customer.version == expected_version)
            .values(**values, version=expected_version + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)
