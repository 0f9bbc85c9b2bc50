"""Queries on customers."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Result,
    Row,
    Select,
    String,
    Table,
    bindparam,
    exists,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.customers.validation import email_key
from customer_registry.models import Customer, CustomerLink
from customer_registry.policy import Caller, Operation, admitted
from customer_registry.policy.conditions import in_states

# Asked on every e-mail change: built once.
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


_CUSTOMERS = cast(Table, Customer.__table__)
# A creation: one statement, returning the row with the values its defaults gave.
_INSERT = insert(_CUSTOMERS).returning(*_CUSTOMERS.columns)

# The conditions a page of customers may have, each on its own parameter.
_PAGE_FILTERS: dict[str, ColumnElement[bool]] = {
    "search": _MATCHES_SEARCH,
    "customer_type": Customer.type == bindparam("customer_type"),
    "email": Customer.email_normalized == bindparam("email"),
    "after": Customer.id > bindparam("after"),
    # Only the customers a client (the web shop) created or was linked to.
    "linked_to": exists().where(
        CustomerLink.customer_id == Customer.id,
        CustomerLink.recipient_id == bindparam("linked_to"),
    ),
}
# Who a page of customers may hold: the processing policy's states for a list.
_LISTED = in_states(admitted(Caller.staff, Operation.customer_list))
_LINKED = select(
    exists().where(
        CustomerLink.customer_id == bindparam("customer_id"),
        CustomerLink.recipient_id == bindparam("recipient_id"),
    )
)


def one_statement(columns: Sequence[ColumnElement[Any]]) -> Select[Any]:
    """The customer with the id `customer_id`, whatever its state: every column of the
    table and `columns`."""
    return select(*_CUSTOMERS.columns, *columns).where(_CUSTOMERS.c.id == bindparam("customer_id"))


def page_statement(columns: Sequence[ColumnElement[Any]], filters: Iterable[str]) -> Select[Any]:
    """A page of the customers a list may hold (`Operation.customer_list`), in id order: every
    column of the table and `columns`, with the conditions named in `filters`.

    Its parameters are `limit` and those of `page_parameters`.
    """
    return (
        select(*_CUSTOMERS.columns, *columns)
        .where(_LISTED, *(_PAGE_FILTERS[name] for name in filters))
        .order_by(_CUSTOMERS.c.id)
        .limit(bindparam("limit"))
    )


def page_parameters(
    *,
    search: str | None,
    customer_type: str | None,
    email: str | None,
    after: uuid.UUID | None,
    linked_to: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The parameters of the filters asked for, by the names `page_statement` knows."""
    values = {
        "search": _contains_pattern(search) if search else None,
        "customer_type": customer_type,
        "email": email_key(email) if email is not None else None,
        "after": after,
        "linked_to": linked_to,
    }
    return {name: value for name, value in values.items() if value is not None}


def _contains_pattern(text: str) -> str:
    """A LIKE pattern (escape character `/`) matching `text` literally, anywhere."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


class CustomerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, customer_id: uuid.UUID) -> Customer | None:
        return await self.session.get(Customer, customer_id)

    async def read_one(self, query: Select[Any], parameters: dict[str, Any]) -> Row[Any] | None:
        """The row of a query on the table's columns (built once), or None: a plain row,
        without loading an object."""
        result: Result[Any] = await self.session.execute(query, parameters)
        return result.first()

    async def email_taken(self, email_normalized: str, excluding: uuid.UUID) -> bool:
        """Whether a customer other than `excluding` has this e-mail (lower-cased)."""
        return bool(
            await self.session.scalar(
                _EMAIL_TAKEN_BY_ANOTHER, {"email": email_normalized, "excluding": excluding}
            )
        )

    async def page(self, query: Select[Any], parameters: dict[str, Any]) -> Sequence[Row[Any]]:
        """The rows of a page query (`page_statement`), as plain rows."""
        result: Result[Any] = await self.session.execute(query, parameters)
        return result.all()

    async def insert(self, values: dict[str, Any]) -> Row[Any]:
        """A new customer of these column values, as stored: with the columns' defaults
        (id, version, timestamps). A taken e-mail raises `IntegrityError`."""
        return (await self.session.execute(_INSERT, values)).one()

    async def is_linked(self, customer_id: uuid.UUID, recipient_id: uuid.UUID) -> bool:
        """Whether the recipient (the web shop) created or was linked to the customer."""
        return bool(
            await self.session.scalar(
                _LINKED, {"customer_id": customer_id, "recipient_id": recipient_id}
            )
        )

    async def links_allow(self, customer_id: uuid.UUID, recipient_id: uuid.UUID | None) -> bool:
        """Whether a caller bound by links to `recipient_id` may act on the customer (always,
        for a caller not bound by links: None)."""
        return recipient_id is None or await self.is_linked(customer_id, recipient_id)

    async def link(
        self, customer_id: uuid.UUID, recipient_id: uuid.UUID, created_by: str | None
    ) -> None:
        """Record that the recipient acts on the customer (idempotent)."""
        if not await self.is_linked(customer_id, recipient_id):
            self.session.add(
                CustomerLink(
                    customer_id=customer_id, recipient_id=recipient_id, created_by=created_by
                )
            )
            await self.session.flush()

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
