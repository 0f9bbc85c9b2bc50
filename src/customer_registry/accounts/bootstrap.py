"""Creating accounts outside HTTP: the first administrator and `users create`."""

from __future__ import annotations

from customer_registry.accounts.repository import UserRepository
from customer_registry.accounts.schemas import UserCreate, UserRead
from customer_registry.accounts.service import AccountService
from customer_registry.auth.principal import SYSTEM_ACTOR
from customer_registry.config import Settings
from customer_registry.core.database import create_session_factory, scoped_engine


async def create_account(
    settings: Settings, data: UserCreate, *, only_if_none: bool
) -> UserRead | None:
    """Create an account as the system; with `only_if_none`, only into an empty database."""
    async with (
        scoped_engine(settings, job=False) as engine,
        create_session_factory(engine)() as session,
        session.begin(),
    ):
        if only_if_none and await UserRepository(session).count() > 0:
            return None
        return await AccountService(session).create_user(data, SYSTEM_ACTOR)
