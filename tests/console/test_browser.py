"""The console in a real browser: Debian's Chromium, driven by Playwright, against uvicorn.

The server is the application under uvicorn on a socket of its own, on the test's database;
the test data is made through the API. Chromium must be installed at /usr/bin/chromium: its
absence fails these tests, never skips them. Each test saves a screenshot in its tmp dir;
with CUSTOMER_REGISTRY_CONSOLE_SCREENSHOTS=<directory> the screenshot test also writes the
README's pictures (console-today.png, console-customer.png, console-request.png) there.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from customer_registry.app import create_app
from customer_registry.config import Settings
from customer_registry.models import Role
from tests.console.data import ConsoleData, seed
from tests.factories import PASSWORD, CreateStaff, Staff, audit_events

pytestmark = pytest.mark.anyio

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGUMENTS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS_VARIABLE = "CUSTOMER_REGISTRY_CONSOLE_SCREENSHOTS"
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium; its absence fails the browser tests (it is never a skip)."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: apt-get install -y chromium")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGUMENTS
        )
        yield launched
        await launched.close()


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    """The application under a real uvicorn, on the test's database; its base URL."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings), log_config=None, log_level="warning", lifespan="on"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)
    listening.close()


@pytest.fixture
async def context(browser: Browser, server: str) -> AsyncIterator[BrowserContext]:
    made = await browser.new_context(base_url=server, viewport=WIDE, locale="fi-FI")
    yield made
    await made.close()


@pytest.fixture
async def page(context: BrowserContext, tmp_path: Path) -> AsyncIterator[Page]:
    opened = await context.new_page()
    yield opened
    await opened.screenshot(path=tmp_path / "last-page.png", full_page=True)


@pytest.fixture
async def officer(create_staff: CreateStaff) -> Staff:
    return await create_staff(Role.privacy_officer)


@pytest.fixture
async def data(client: httpx.AsyncClient, officer: Staff) -> ConsoleData:
    return await seed(client, officer.headers)


async def sign_in(page: Page, who: Staff) -> None:
    await page.goto("/console/")
    await expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    await page.get_by_label("Käyttäjätunnus").fill(who.username)
    await page.get_by_label("Salasana").fill(PASSWORD)
    await page.get_by_role("button", name="Kirjaudu").click()
    await expect(page.get_by_role("heading", level=1, name="Tänään")).to_be_visible()


async def test_a_privacy_officer_handles_an_overdue_erasure_and_prints_the_letter(
    page: Page, officer: Staff, data: ConsoleData, tmp_path: Path
) -> None:
    await sign_in(page, officer)
    overdue = page.locator("tr.overdue")
    await expect(overdue).to_have_count(1)
    await expect(overdue.get_by_text("Myöhässä")).to_be_visible()
    await overdue.get_by_role("link", name="tietojen poistaminen").click()
    await expect(page.get_by_role("heading", name="Poistoa estävät seikat")).to_be_visible()
    await expect(page.get_by_text("Laskua ei ole maksettu")).to_be_visible()
    await page.get_by_label("Varmistustapa").select_option("signed_letter")
    await page.get_by_label("Kirje on allekirjoitettu").check()
    await page.get_by_role("button", name="Merkitse henkilöllisyys varmistetuksi").click()
    verified = page.get_by_role("heading", name="Tila: henkilöllisyys varmistettu")
    await expect(verified).to_be_visible()
    await page.screenshot(path=tmp_path / "verified.png", full_page=True)
    await page.get_by_role("button", name="Toteuta pyyntö").click()
    await expect(page.get_by_role("heading", name="Tila: toteutettu")).to_be_visible()
    await expect(page.get_by_text("partially_erased")).to_be_visible()
    await page.get_by_role("link", name="Päätöskirje", exact=True).click()
    await expect(page.get_by_role("heading", name="Päätös pyyntöönne")).to_be_visible()
    await expect(page.get_by_text("Tietosuojavaltuutetun toimisto").first).to_be_visible()
    await page.emulate_media(media="print")
    await expect(page.locator(".letter-tools")).to_be_hidden()
    await expect(page.get_by_role("heading", name="Päätös pyyntöönne")).to_be_visible()
    await page.pdf(path=tmp_path / "letter.pdf", format="A4")
    await page.screenshot(path=tmp_path / "letter.png", full_page=True)
    assert (tmp_path / "letter.pdf").read_bytes().startswith(b"%PDF")


async def test_staff_cannot_open_the_audit_or_administration_screens(
    page: Page, create_staff: CreateStaff, tmp_path: Path
) -> None:
    staff = await create_staff(Role.staff)
    await sign_in(page, staff)
    navigation = page.get_by_role("navigation")
    await expect(navigation.get_by_role("link", name="Asiakkaat")).to_be_visible()
    await expect(navigation.get_by_role("link", name="Lokitiedot")).to_have_count(0)
    await expect(navigation.get_by_role("link", name="Ylläpito")).to_have_count(0)
    for path in ("/console/audit", "/console/admin"):
        response = await page.goto(path)
        assert response is not None
        assert response.status == 403, path
        await expect(page.get_by_text("Roolisi ei salli tätä toimintoa.")).to_be_visible()
    await page.screenshot(path=tmp_path / "refused.png", full_page=True)


async def test_a_forged_form_without_the_csrf_token_is_refused(
    page: Page,
    officer: Staff,
    data: ConsoleData,
    client: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    await sign_in(page, officer)
    request_id = data.overdue_erasure["id"]
    await page.goto(f"/console/requests/{request_id}")
    await page.locator('form[action$="/verify"] input[name="csrf_token"]').evaluate(
        "field => field.remove()"
    )
    await page.get_by_label("Kirje on allekirjoitettu").check()
    async with page.expect_response(lambda answer: answer.request.method == "POST") as sent:
        await page.get_by_role("button", name="Merkitse henkilöllisyys varmistetuksi").click()
    assert (await sent.value).status == 403
    await expect(page.get_by_text("Lomaketta ei lähetetty tästä istunnosta")).to_be_visible()
    await page.screenshot(path=tmp_path / "forged.png", full_page=True)
    unchanged = await client.get(f"/api/v1/gdpr-requests/{request_id}", headers=officer.headers)
    assert unchanged.json()["status"] == "received"


async def test_opening_a_persons_page_writes_the_audit_event_of_the_apis_read(
    page: Page,
    officer: Staff,
    admin: Staff,
    data: ConsoleData,
    client: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    customer_id = data.erasure_customer["id"]
    await sign_in(page, officer)
    await page.get_by_role("link", name="Asiakkaat").click()
    await page.get_by_label("Nimi, sähköposti tai organisaatio").fill("Lahtinen")
    await page.get_by_role("button", name="Hae").click()
    async with page.expect_response(f"**/console/customers/{customer_id}") as opened:
        await page.get_by_role("link", name="Helmi Lahtinen").click()
    await expect(page.get_by_role("heading", level=1, name="Helmi Lahtinen")).to_be_visible()
    await page.screenshot(path=tmp_path / "person.png", full_page=True)
    page_request_id = (await opened.value).headers["x-request-id"]
    api = await client.get(f"/api/v1/customers/{customer_id}", headers=officer.headers)
    compared = ("action", "actor_type", "actor_id", "actor_role", "entity", "entity_id")
    compared += ("customer_id", "fields", "purpose")
    events = await audit_events(client, admin.headers, customer_id=customer_id)

    def written_by(request_id: str) -> list[tuple[object, ...]]:
        return [
            tuple(event[name] for name in compared)
            for event in events
            if event["request_id"] == request_id
        ]

    (api_read,) = written_by(api.headers["x-request-id"])
    assert api_read[:1] == ("read",)
    assert api_read in written_by(page_request_id)


async def test_a_signed_out_session_cookie_is_refused(
    browser: Browser, page: Page, context: BrowserContext, officer: Staff, server: str
) -> None:
    await sign_in(page, officer)
    (cookie,) = [c for c in await context.cookies() if c["name"] == "console_session"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    await page.get_by_role("button", name="Kirjaudu ulos").click()
    await expect(page.get_by_role("heading", name="Kirjaudu sisään")).to_be_visible()
    replaying = await browser.new_context(base_url=server, locale="fi-FI")
    try:
        await replaying.add_cookies([cookie])
        again = await replaying.new_page()
        await again.goto("/console/")
        await expect(again.get_by_role("heading", name="Kirjaudu sisään")).to_be_visible()
        assert again.url.endswith("/console/sign-in")
    finally:
        await replaying.close()


async def test_screens_fit_a_narrow_window_and_keyboard_reaches_the_content(
    page: Page, officer: Staff, data: ConsoleData, tmp_path: Path
) -> None:
    """Today, a person and a request at 1280 px and at 390 px, as pictured in the README."""
    await sign_in(page, officer)
    await page.get_by_role("link", name="Lokitiedot").click()
    await page.get_by_role("button", name="Tarkista lokiketju").click()
    await expect(page.get_by_role("heading", name="Ketju tarkistettu")).to_be_visible()
    await expect(page.get_by_text("eheä")).to_be_visible()
    shots = os.environ.get(SCREENSHOTS_VARIABLE)
    pages = {
        "today": "/console/",
        "customer": f"/console/customers/{data.erasure_customer['id']}",
        "request": f"/console/requests/{data.overdue_erasure['id']}",
    }
    for name, path in pages.items():
        await page.set_viewport_size(WIDE)
        await page.goto(path)
        await page.screenshot(path=tmp_path / f"console-{name}.png", full_page=True)
        if shots:
            await page.screenshot(path=Path(shots) / f"console-{name}.png", full_page=True)
        await page.set_viewport_size(NARROW)
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways at 390 px"
        await page.screenshot(path=tmp_path / f"console-{name}-narrow.png", full_page=True)
    await page.set_viewport_size(WIDE)
    await page.goto("/console/")
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Siirry sisältöön")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_in_viewport()
    outline = await skip.evaluate("link => getComputedStyle(link).outlineStyle")
    assert outline == "solid"
