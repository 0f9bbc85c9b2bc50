"""Queries on staff accounts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.models import User


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def get_by_username(self, username: str) -> User | None:
        return await self.session.scalar(select(User).where(User.username == username))

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(User)) or 0)

    async def list(self, *, after: uuid.UUID | None, limit: int) -> Sequence[User]:
        query = select(User).order_by(User.id).limit(limit)
        if after is not None:
            query = query.where(User.id > after)
        return (await self.session.scalars(query)).all()

    async def add(self, user: User) -> User:
        self.session.add(user)
        await self.session.flush()
        return user
