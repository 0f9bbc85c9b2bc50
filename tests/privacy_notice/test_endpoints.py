"""The privacy notice is public, in Finnish and English, and follows the configuration (R28)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from customer_registry.app import create_app
from tests.factories import TEST_SECRET, Staff, create_recipient

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


async def test_names_the_controller_and_the_contact_person_as_the_notice_does(
    client: httpx.AsyncClient,
) -> None:
    finnish = (await client.get(NOTICE, params={"lang": "fi"})).json()
    english = await client.get(NOTICE, params={"lang": "en", "format": "html"})

    kuisma = {
        "name": "Oliver Kuisma",
        "contact_person": "Oliver Kuisma",
        "phone": "+358 40 554 4414",
        "email": "sales@finnprotec.fi",
    }
    assert finnish["controller"] == kuisma
    assert section(finnish, "controller")["paragraphs"] == [
        "Rekisterinpitäjä: Oliver Kuisma, +358 40 554 4414, sales@finnprotec.fi.",
        "Yhteyshenkilö rekisteriä koskevissa asioissa: Oliver Kuisma, +358 40 554 4414, "
        "sales@finnprotec.fi.",
    ]
    assert "Controller: Oliver Kuisma, +358 40 554 4414, sales@finnprotec.fi." in english.text


async def test_keeps_the_cookies_and_analytics_section(client: httpx.AsyncClient) -> None:
    finnish = (await client.get(NOTICE, params={"lang": "fi"})).json()
    english = await client.get(NOTICE, params={"lang": "en", "format": "html"})

    cookies = " ".join(section(finnish, "cookies")["paragraphs"])  # type: ignore[arg-type]
    assert section(finnish, "cookies")["heading"] == "Evästeet ja analytiikka"
    assert 'Käytämme sivuillamme evästeitä ("cookies").' in cookies
    assert "vierailijan IP-osoite" in cookies
    assert "Google Analytics Demographics" in cookies
    assert "https://www.google.com/settings/ads" in cookies
    assert "<h2>Cookies and analytics</h2>" in english.text
    assert "Our web site uses cookies." in english.text


async def test_a_recipient_outside_the_eu_eea_without_safeguard_is_said_to_receive_nothing(
    client: httpx.AsyncClient, admin: Staff
) -> None:
    await create_recipient(client, admin.headers, name="Overseas Inc", country="US")
    await create_recipient(
        client, admin.headers, name="Clauses Inc", country="IN", safeguard="EU SCC 2021/914"
    )

    finnish = (await client.get(NOTICE, params={"lang": "fi"})).json()
    english = (await client.get(NOTICE, params={"lang": "en"})).json()
    page = await client.get(NOTICE, params={"lang": "fi", "format": "html"})

    assert section(finnish, "recipients")["items"] == [
        "Clauses Inc (taloushallinnon ulkoistuskumppani, IN); EU:n/ETA:n ulkopuolella, "
        "suojatoimi: EU SCC 2021/914",
        "Overseas Inc (taloushallinnon ulkoistuskumppani, US); EU:n/ETA:n ulkopuolella, "
        "suojatoimea ei ole kirjattu: vastaanottajalle ei luovuteta tietoja ennen kuin "
        "suojatoimi on kirjattu",
    ]
    assert section(english, "recipients")["items"][1] == (  # type: ignore[index]
        "Overseas Inc (financial administration partner, US); outside the EU/EEA, no "
        "safeguard recorded: the recipient receives no data until a safeguard is recorded"
    )
    for text in (str(finnish), str(english), page.text):
        assert "None" not in text
