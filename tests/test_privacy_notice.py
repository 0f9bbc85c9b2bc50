"""The privacy notice is public, in Finnish and English, and follows the configuration (R28)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from customer_registry.app import create_app
from tests.conftest import TEST_SECRET

pytestmark = pytest.mark.anyio

NOTICE = "/api/v1/privacy-notice"


def section(notice: dict[str, object], section_id: str) -> dict[str, object]:
    sections = notice["sections"]
    assert isinstance(sections, list)
    return next(s for s in sections if s["id"] == section_id)


async def test_public_in_finnish_and_english(client: httpx.AsyncClient) -> None:
    finnish = (await client.get(NOTICE, params={"lang": "fi"})).json()
    english = (await client.get(NOTICE, params={"lang": "en"})).json()

    assert finnish["title"] == "Tietosuojaseloste"
    assert english["title"] == "Privacy notice"
    assert "10 vuotta asiakkuuden päättymisestä" in str(section(finnish, "retention"))
    assert "10 years from the end of the customer relationship" in str(
        section(english, "retention")
    )
    assert finnish["supervisory_authority"]["email"] == "tietosuoja@om.fi"
    assert "yksityiset" in section(finnish, "categories")["items"]  # type: ignore[operator]
    assert "private persons" in section(english, "categories")["items"]  # type: ignore[operator]


async def test_html_page(client: httpx.AsyncClient) -> None:
    response = await client.get(NOTICE, params={"lang": "en", "format": "html"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Privacy notice: Customer register</h1>" in response.text
    assert "Office of the Data Protection Ombudsman" in response.text


async def test_unknown_language_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(NOTICE, params={"lang": "sv"})

    assert response.status_code == 422


@pytest.fixture
async def seven_year_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from customer_registry.config import Settings

    settings = Settings(
        database_url=database_url, secret_key=SecretStr(TEST_SECRET), retention_years=7
    )
    application = create_app(settings)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
        yield http
    await application.state.engine.dispose()


async def test_follows_the_retention_setting(seven_year_client: httpx.AsyncClient) -> None:
    finnish = (await seven_year_client.get(NOTICE, params={"lang": "fi"})).json()
    english = await seven_year_client.get(NOTICE, params={"lang": "en", "format": "html"})

    assert finnish["retention_years"] == 7
    assert "7 vuotta asiakkuuden päättymisestä" in str(section(finnish, "retention"))
    assert "7 years from the end of the customer relationship" in english.text
