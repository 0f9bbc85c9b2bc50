"""Fictional register data for the console's tests and screenshots, made through the API."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import httpx

from tests.factories import create_customer, create_order, order_body

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class ConsoleData:
    erasure_customer: dict[str, Any]
    access_customer: dict[str, Any]
    contact_person: dict[str, Any]
    overdue_erasure: dict[str, Any]
    due_soon_access: dict[str, Any]
    new_objection: dict[str, Any]


def _person(first: str, last: str, email: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "private_person",
        "first_name": first,
        "last_name": last,
        "email": email,
        "phone": "+358401234567",
        "organisation": None,
        "address": {
            "street": "Esimerkkikatu 1 A 2",
            "postal_code": "00100",
            "city": "Helsinki",
            "country": "FI",
        },
        "language": "fi",
        "source": "web_shop",
    }
    body.update(overrides)
    return body


def _received(days_ago: int) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)).isoformat()


async def _request(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post("/api/v1/gdpr-requests", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def seed(client: httpx.AsyncClient, headers: dict[str, str]) -> ConsoleData:
    """Three fictional customers and three open requests: one overdue, one due in a few days."""
    erasure_customer = await create_customer(
        client, headers, _person("Helmi", "Lahtinen", "helmi.lahtinen@example.fi")
    )
    await create_order(client, headers, order_body(erasure_customer["id"]))
    access_customer = await create_customer(
        client,
        headers,
        _person(
            "Onni",
            "Korhonen",
            "onni.korhonen@example.fi",
            language="en",
            address={
                "street": "Mallitie 5",
                "postal_code": "33100",
                "city": "Tampere",
                "country": "FI",
            },
        ),
    )
    contact_person = await create_customer(
        client,
        headers,
        _person(
            "Liisa",
            "Mäkelä",
            "liisa.makela@example.fi",
            type="company",
            organisation={"name": "Esimerkki Oy", "business_id": "1234567-1"},
        ),
    )
    response = await client.post(
        f"/api/v1/customers/{access_customer['id']}/consents",
        json={
            "purpose": "listing",
            "decision": "forbidden",
            "channel": "customer_service",
            "evidence": "Puhelu asiakaspalveluun",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    overdue_erasure = await _request(
        client,
        headers,
        {
            "type": "erasure",
            "customer_id": erasure_customer["id"],
            "channel": "letter",
            "signed": True,
            "language": "fi",
            "received_at": _received(40),
            "reason": "En ole enää asiakas.",
        },
    )
    due_soon_access = await _request(
        client,
        headers,
        {
            "type": "access",
            "customer_id": access_customer["id"],
            "channel": "email",
            "language": "en",
            "received_at": _received(26),
        },
    )
    new_objection = await _request(
        client,
        headers,
        {
            "type": "objection",
            "customer_id": contact_person["id"],
            "channel": "phone",
            "language": "fi",
            "received_at": _received(2),
            "purposes": ["direct_marketing"],
        },
    )
    return ConsoleData(
        erasure_customer=erasure_customer,
        access_customer=access_customer,
        contact_person=contact_person,
        overdue_erasure=overdue_erasure,
        due_soon_access=due_soon_access,
        new_objection=new_objection,
    )


async def sign_in(
    client: httpx.AsyncClient, username: str, password: str, language: str = "fi"
) -> httpx.Response:
    """Sign in to the console as a browser does: the form's page first, then the form."""
    page = await client.get("/console/sign-in")
    assert page.status_code == 200, page.text
    return await client.post(
        "/console/sign-in",
        data={
            "username": username,
            "password": password,
            "csrf_token": client.cookies.get("console_sign_in") or "",
            "language": language,
        },
    )


def csrf_of(page: httpx.Response) -> str:
    match = CSRF_INPUT.search(page.text)
    assert match is not None, "the page has no form with a CSRF token"
    return match.group(1)
