"""What the scenarios of machine clients need beyond customers and staff: recipients with
API keys, made through the registry's own services as an admin would make them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from customer_registry.config import Settings

T = TypeVar("T")

FINANCE_PURPOSE = "invoicing"


@dataclass(frozen=True)
class ApiKey:
    plaintext: str
    id: str
    recipient_id: str
    purposes: tuple[str, ...]


@dataclass(frozen=True)
class ApiKeys:
    web_shop: ApiKey
    finance: ApiKey

    def baseline_json(self) -> str:
        """The keys as the baseline takes them: it looks a key up, it does not verify it."""
        return json.dumps(
            {
                key.plaintext: {"id": key.id, "recipient_id": key.recipient_id}
                for key in (self.web_shop, self.finance)
            }
        )


def create_api_keys(settings: Settings) -> ApiKeys:
    """The web shop's key and the finance partner's (whose two purposes make it name one in
    X-Purpose), each for a recipient found by name or recorded now."""
    from customer_registry.models import DisclosurePurpose, RecipientRole

    web_shop = _recipient_key(
        settings,
        "Bench Verkkokauppa Oy",
        RecipientRole.web_shop_operator,
        ["customers:write", "customers:lookup", "orders:write"],
        [],
    )
    finance = _recipient_key(
        settings,
        "Bench Talouskumppani Oy",
        RecipientRole.finance_partner,
        ["billing:read", "invoices:write"],
        [DisclosurePurpose.invoicing, DisclosurePurpose.debt_collection],
    )
    return ApiKeys(web_shop, finance)


def _recipient_key(
    settings: Settings, name: str, role: str, scopes: list[str], purposes: list[str]
) -> ApiKey:
    from sqlalchemy import select

    from customer_registry.auth.api_keys import ApiKeyHasher
    from customer_registry.auth.principal import SYSTEM_ACTOR, ApiKeyScope
    from customer_registry.models import DisclosurePurpose, Recipient, RecipientRole
    from customer_registry.partners.schemas import ApiKeyCreate, RecipientCreate
    from customer_registry.partners.service import RecipientService

    async def create(session: AsyncSession) -> ApiKey:
        service = RecipientService(session, ApiKeyHasher(settings.signing_secret()))
        recipient_id = await session.scalar(select(Recipient.id).where(Recipient.name == name))
        if recipient_id is None:
            data = RecipientCreate(name=name, country="FI", role=RecipientRole(role))
            recipient_id = (await service.create(data, SYSTEM_ACTOR)).id
        key = await service.create_key(
            recipient_id,
            ApiKeyCreate(
                name="benchmark",
                scopes=[ApiKeyScope(scope) for scope in scopes],
                purposes=[DisclosurePurpose(purpose) for purpose in purposes],
            ),
            SYSTEM_ACTOR,
        )
        return ApiKey(key.key, str(key.id), str(recipient_id), tuple(purposes))

    return _in_registry(settings, create)


def _in_registry(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        async with _session(settings) as session:
            return await work(session)

    return asyncio.run(run())


@asynccontextmanager
async def _session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session of the registry's own, in one transaction committed at the end."""
    from customer_registry.core.database import create_engine, create_session_factory

    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            yield session
    finally:
        await engine.dispose()
