"""The kinds of request a load can mix, each written once for wrk (Lua) and once for Python.

Both generators get the same `LoadData` (tokens, seeded ids, names, logins). A new kind of
request (an order with an Idempotency-Key, a partner page) is one more `RequestKind`.

Audit expectations come from the response, the same way in both generators: a 2xx list
(`{"items": ...}`) was audited once per item, any other 2xx response once.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field

# Seeded customers have predictable ids, so that load generators can pick one at random
# without a list: the i-th customer (1-based) is ID_PREFIX + i as 12 hex digits.
ID_PREFIX = "018f0000-0000-7000-8000-"

LAST_NAMES = (
    "Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine",
    "Heikkinen", "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen",
    "Heinonen", "Niemi", "Heikkilä", "Kinnunen", "Salonen", "Turunen", "Salo", "Laitinen",
    "Tuominen", "Rantanen", "Karjalainen", "Jokinen", "Mattila", "Savolainen", "Lahtinen",
    "Ahonen",
)  # fmt: skip
FIRST_NAMES = (
    "Aino", "Eino", "Helmi", "Onni", "Sofia", "Leo", "Aada", "Väinö", "Lilja", "Elias",
    "Olivia", "Oliver", "Eevi", "Toivo", "Ella", "Eeli", "Venla", "Niilo", "Kerttu", "Akseli",
)  # fmt: skip
# Searches use last names without letters that need URL encoding.
SEARCH_NAMES = tuple(name for name in LAST_NAMES if name.isascii())


def customer_id(number: int) -> str:
    return f"{ID_PREFIX}{number:012x}"


@dataclass(frozen=True)
class LoadData:
    """What requests are made of: the same for wrk and the Python generator."""

    customers: int
    tokens: tuple[str, ...]
    logins: tuple[tuple[str, str], ...] = ()
    nonce: str = field(default_factory=lambda: f"{random.getrandbits(32):08x}")


Request = tuple[str, str, dict[str, str], bytes | None]


@dataclass(frozen=True)
class RequestKind:
    name: str
    # The body of a Lua function returning `wrk.format(...)`; helpers are in LUA_TEMPLATE.
    lua: str
    python: Callable[[LoadData, random.Random, int], Request]
    # The most audit rows one answer can stand for (a page of search results: its limit).
    max_audit_rows: int = 1


def _bearer(data: LoadData, rng: random.Random) -> dict[str, str]:
    return {"Authorization": f"Bearer {rng.choice(data.tokens)}"}


def _read(data: LoadData, rng: random.Random, _sequence: int) -> Request:
    return (
        "GET",
        f"/api/v1/customers/{customer_id(rng.randint(1, data.customers))}",
        _bearer(data, rng),
        None,
    )


def _search(data: LoadData, rng: random.Random, _sequence: int) -> Request:
    return (
        "GET",
        f"/api/v1/customers?q={rng.choice(SEARCH_NAMES)}&limit=10",
        _bearer(data, rng),
        None,
    )


def new_customer_body(email: str) -> bytes:
    return json.dumps(
        {
            "type": "private_person",
            "first_name": "Aino",
            "last_name": "Uusitalo",
            "email": email,
            "phone": "+358401234567",
            "address": {
                "street": "Esimerkkikatu 1 A 2",
                "postal_code": "00100",
                "city": "Helsinki",
                "country": "FI",
            },
            "language": "fi",
            "source": "web_shop",
        }
    ).encode()


def _create(data: LoadData, rng: random.Random, sequence: int) -> Request:
    email = f"new-{data.nonce}-{sequence}-{rng.getrandbits(32):08x}@example.fi"
    headers = {**_bearer(data, rng), "Content-Type": "application/json"}
    return ("POST", "/api/v1/customers", headers, new_customer_body(email))


def _login(data: LoadData, rng: random.Random, _sequence: int) -> Request:
    username, password = rng.choice(data.logins)
    body = f"username={username}&password={password}".encode()
    return (
        "POST",
        "/api/v1/auth/token",
        {"Content-Type": "application/x-www-form-urlencoded"},
        body,
    )


KINDS: dict[str, RequestKind] = {
    kind.name: kind
    for kind in (
        RequestKind(
            "read",
            'return wrk.format("GET", "/api/v1/customers/" .. random_customer_id(), bearer())',
            _read,
        ),
        RequestKind(
            "search",
            'return wrk.format("GET", "/api/v1/customers?q=" .. pick(search_names) '
            '.. "&limit=10", bearer())',
            _search,
            max_audit_rows=10,
        ),
        RequestKind(
            "create",
            """
            sequence = sequence + 1
            local email = "new-" .. nonce .. "-" .. thread_number .. "x" .. sequence .. "-"
                .. string.format("%08x", math.random(0, 2147483647)) .. "@example.fi"
            local headers = bearer()
            headers["Content-Type"] = "application/json"
            return wrk.format("POST", "/api/v1/customers", headers,
                string.format(new_customer_template, email))
            """,
            _create,
        ),
        RequestKind(
            "login",
            """
            local login = pick(logins)
            return wrk.format("POST", "/api/v1/auth/token",
                {["Content-Type"] = "application/x-www-form-urlencoded"},
                "username=" .. login[1] .. "&password=" .. login[2])
            """,
            _login,
        ),
    )
}


def audit_rows_expected(status: int, body: bytes) -> int:
    """Audit events a response stands for: one per customer in a list, else one per 2xx."""
    if not 200 <= status < 300:
        return 0
    if body.startswith(b'{"items":'):
        return body.count(b'"id":')
    return 1
