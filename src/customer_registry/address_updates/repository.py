"""Queries that find the customers an update file names."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.models import Customer


class AddressUpdateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_ids(self, customer_ids: Collection[uuid.UUID]) -> Sequence[Customer]:
        if not customer_ids:
            return []
        query = select(Customer).where(Customer.id.in_(customer_ids))
        return (await self.session.scalars(query)).all()

    async def by_postal_code_and_last_name(
        self, postal_codes: Collection[str], last_names: Collection[str]
    ) -> Sequence[Customer]:
        """Candidates for a match by name and previous address, compared exactly in Python.

        `last_names` are lower-cased; PostgreSQL lower-cases every letter, SQLite only ASCII
        ones, so on SQLite a name that differs in the case of a non-ASCII letter is missed.
        """
        if not postal_codes or not last_names:
            return []
        query = select(Customer).where(
            Customer.postal_code.in_(postal_codes), func.lower(Customer.last_name).in_(last_names)
        )
        return (await self.session.scalars(query)).all()
