"""The kinds of request a load can mix, each written once for wrk (Lua) and once for Python.

Both generators get the same `LoadData` (tokens, seeded ids, names, logins, the web shop's
API key). A new kind of request is one more `RequestKind`.

Audit expectations come from the response, the same way in both generators: a 2xx list
(`{"items": ...}`) was audited once per item, any other 2xx response once.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

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
    api_key: str = ""
    nonce: str = field(default_factory=lambda: f"{random.getrandbits(32):08x}")


Request = tuple[str, str, dict[str, str], bytes | None]
# What one connection of the Python generator remembers between its requests.
Memory = dict[str, Request]


@dataclass(frozen=True)
class RequestKind:
    name: str
    # The body of a Lua function returning `wrk.format(...)`; helpers are in LUA_TEMPLATE.
    lua: str
    python: Callable[[LoadData, random.Random, int, Memory], Request]
    # The most audit rows one answer can stand for (a page of search results: its limit).
    max_audit_rows: int = 1


def _bearer(data: LoadData, rng: random.Random) -> dict[str, str]:
    return {"Authorization": f"Bearer {rng.choice(data.tokens)}"}


def _read(data: LoadData, rng: random.Random, _sequence: int, _memory: Memory) -> Request:
    return (
        "GET",
        f"/api/v1/customers/{customer_id(rng.randint(1, data.customers))}",
        _bearer(data, rng),
        None,
    )


def _search(data: LoadData, rng: random.Random, _sequence: int, _memory: Memory) -> Request:
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


def _create(data: LoadData, rng: random.Random, sequence: int, _memory: Memory) -> Request:
    email = f"new-{data.nonce}-{sequence}-{rng.getrandbits(32):08x}@example.fi"
    headers = {**_bearer(data, rng), "Content-Type": "application/json"}
    return ("POST", "/api/v1/customers", headers, new_customer_body(email))


def _login(data: LoadData, rng: random.Random, _sequence: int, _memory: Memory) -> Request:
    username, password = rng.choice(data.logins)
    body = f"username={username}&password={password}".encode()
    return (
        "POST",
        "/api/v1/auth/token",
        {"Content-Type": "application/x-www-form-urlencoded"},
        body,
    )


# The lines of every benchmark order: product code and name, quantity, unit price, VAT %.
ORDER_LINES = (
    ("KAHVI-500", "Kahvi 500 g", 3, "0.99", "14"),
    ("MUKI-01", "Kahvimuki", 1, "12.90", "25.5"),
)


class LineCents(NamedTuple):
    unit_price: int
    vat_rate: int
    net: int
    vat: int
    gross: int


def order_line_cents(quantity: int, unit_price: str, vat_rate: str) -> LineCents:
    """A line's amounts in cents (VAT rate in basis points), by the registry's own rule."""
    from decimal import Decimal

    from customer_registry.orders.money import line_amounts, to_cents

    amounts = line_amounts(quantity, Decimal(unit_price), Decimal(vat_rate))
    return LineCents(
        to_cents(Decimal(unit_price)),
        to_cents(Decimal(vat_rate)),
        *(to_cents(amount) for amount in (amounts.net, amounts.vat, amounts.gross)),
    )


def new_order_body(customer: str, number: str) -> bytes:
    """A web shop order with an invoice; the invoice number is INV- and the order number."""
    return json.dumps(
        {
            "customer_id": customer,
            "number": number,
            "ordered_on": "2026-11-20",
            "channel": "web_shop",
            "lines": [
                {
                    "product_code": code,
                    "product_name": name,
                    "quantity": quantity,
                    "unit_price": unit_price,
                    "vat_rate": vat_rate,
                }
                for code, name, quantity, unit_price, vat_rate in ORDER_LINES
            ],
            "invoice": {
                "number": f"INV-{number}",
                "issued_on": "2026-11-20",
                "due_on": "2026-12-04",
            },
        }
    ).encode()


def _order_request(data: LoadData, key: str, body: bytes) -> Request:
    headers = {
        "X-API-Key": data.api_key,
        "Idempotency-Key": key,
        "Content-Type": "application/json",
    }
    return ("POST", "/api/v1/orders", headers, body)


def _order(data: LoadData, rng: random.Random, sequence: int, memory: Memory) -> Request:
    number = f"WS-{data.nonce}-{sequence}"
    body = new_order_body(customer_id(rng.randint(1, data.customers)), number)
    memory["order"] = _order_request(data, number, body)
    return memory["order"]


def _order_retry(data: LoadData, rng: random.Random, sequence: int, memory: Memory) -> Request:
    """The connection's last order again, with its Idempotency-Key: a client's retry."""
    return memory.get("order") or _order(data, rng, sequence, memory)


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
        RequestKind(
            "order",
            """
            sequence = sequence + 1
            last_order_key = "WS-" .. nonce .. "-" .. thread_number .. "x" .. sequence
            last_order_body = string.format(new_order_template, random_customer_id(),
                last_order_key, last_order_key)
            return wrk.format("POST", "/api/v1/orders", order_headers(last_order_key),
                last_order_body)
            """,
            _order,
        ),
        RequestKind(
            "order-retry",
            """
            if last_order_key == nil then
                return builders["order"]()
            end
            return wrk.format("POST", "/api/v1/orders", order_headers(last_order_key),
                last_order_body)
            """,
            _order_retry,
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
