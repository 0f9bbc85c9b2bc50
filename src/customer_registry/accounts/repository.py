"""Queries on staff accounts."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import bindparam, delete, exists, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.models import LoginFailure, RevokedToken, User


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


# Asked on most staff requests: a plain EXISTS, built once, without loading an object.
_IS_REVOKED = select(exists().where(RevokedToken.token_id == bindparam("token_id")))


class RevokedTokenRepository:
    """The deny-list of logged-out tokens, each kept until it would have expired."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def is_revoked(self, token_id: str) -> bool:
        return bool(await self.session.scalar(_IS_REVOKED, {"token_id": token_id}))

    async def revoke(self, token_id: str, expires_at: dt.datetime) -> None:
        if not await self.is_revoked(token_id):
            self.session.add(RevokedToken(token_id=token_id, expires_at=expires_at))
            await self.session.flush()

    async def purge_expired(self, now: dt.datetime) -> None:
        await self.session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))


class LoginFailureRepository:
    """Failed logins per account key and address key, for throttling; rows older than the
    window go away."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock(self, key: str) -> None:
        """Serialise the login attempts under one key (PostgreSQL; SQLite serialises)."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": key},
            )

    async def count_for_account(self, account_key: str, since: dt.datetime) -> int:
        """The failures of this account key since a moment, from any address."""
        count = await self.session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.account_key == account_key, LoginFailure.failed_at >= since)
        )
        return int(count or 0)

    async def for_account_from(
        self, account_key: str, address_key: str, since: dt.datetime
    ) -> list[dt.datetime]:
        """When the failures of this account key from this address happened, oldest first."""
        times = await self.session.scalars(
            select(LoginFailure.failed_at)
            .where(
                LoginFailure.account_key == account_key,
                LoginFailure.address_key == address_key,
                LoginFailure.failed_at >= since,
            )
            .order_by(LoginFailure.failed_at)
        )
        return list(times)

    async def from_address(self, address_key: str, since: dt.datetime) -> list[dt.datetime]:
        """When the failures from this address happened, for any account, oldest first."""
        times = await self.session.scalars(
            select(LoginFailure.failed_at)
            .where(LoginFailure.address_key == address_key, LoginFailure.failed_at >= since)
            .order_by(LoginFailure.failed_at)
        )
        return list(times)

    async def add(self, account_key: str, address_key: str, failed_at: dt.datetime) -> None:
        self.session.add(
            LoginFailure(account_key=account_key, address_key=address_key, failed_at=failed_at)
        )
        await self.session.flush()

    async def clear(self, account_key: str, address_key: str) -> None:
        """Forget the failures of this account from this address (after its right password)."""
        await self.session.execute(
            delete(LoginFailure).where(
                LoginFailure.account_key == account_key, LoginFailure.address_key == address_key
            )
        )

    async def purge_before(self, moment: dt.datetime) -> None:
        await self.session.execute(delete(LoginFailure).where(LoginFailure.failed_at < moment))
