"""Documented error responses come from the domain exceptions; domain 422s locate the input."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from customer_registry.core.errors import (
    PROBLEM_JSON,
    Conflict,
    NotFound,
    RegistryError,
    error_responses,
)
from customer_registry.idempotency.service import IdempotencyKeyInProgress
from customer_registry.policy.rules import CustomerRestrictedConflict
from tests.factories import Staff, create_customer, customer_body, order_body

PROBLEM_SCHEMA = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _error_classes() -> list[type[RegistryError]]:
    found: list[type[RegistryError]] = []
    pending: list[type[RegistryError]] = [RegistryError]
    while pending:
        error = pending.pop()
        found.append(error)
        pending.extend(error.__subclasses__())
    return found


def _descriptions(status: int) -> set[str]:
    """Every description that one exception class of `status` documents."""
    return {error.documented() for error in _error_classes() if error.status_code == status} | {
        f"- `{error.code}`: {error.documented()}"
        for error in _error_classes()
        if error.status_code == status
    }


@pytest.mark.anyio
async def test_every_documented_error_of_every_route_is_an_exception_class(app: FastAPI) -> None:
    routes = [
        context
        for context in iter_route_contexts(app.router.routes)
        # The health checks answer their own body, not a problem.
        if isinstance(context.original_route, APIRoute) and context.path.startswith("/api/")
    ]
    documented = 0
    for route in routes:
        where = f"{sorted(route.methods or ())} {route.path}"
        for status, response in route.responses.items():
            if int(status) < 400:
                continue
            documented += 1
            assert response["content"] == PROBLEM_SCHEMA, (where, status)
            lines = response["description"].split("\n")
            if len(lines) == 1:
                assert lines[0] in _descriptions(int(status)), (where, status, lines)
            else:
                assert all(line in _descriptions(int(status)) for line in lines), (where, lines)
                assert all(line.startswith("- `") for line in lines), (where, lines)

    assert len(routes) > 40
    assert documented > 200


def test_errors_of_one_status_share_one_entry_listing_each() -> None:
    responses = error_responses(NotFound, Conflict, IdempotencyKeyInProgress, NotFound)

    assert list(responses) == [404, 409]
    assert responses[404] == {"description": "Not found", "content": PROBLEM_SCHEMA}
    assert responses[409]["description"] == (
        "- `conflict`: Conflict\n"
        "- `idempotency-key-in-progress`: A request with this idempotency key is in progress"
    )


@pytest.mark.anyio
async def test_a_restricted_customer_conflict_is_documented_on_order_creation(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    conflict = document["paths"]["/api/v1/orders"]["post"]["responses"]["409"]["description"]

    assert f"`{CustomerRestrictedConflict.code}`" in conflict
    assert f"`{IdempotencyKeyInProgress.code}`" in conflict


@pytest.mark.anyio
async def test_an_order_of_no_customer_locates_customer_id_in_the_body(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    unknown = str(uuid.uuid4())

    response = await client.post("/api/v1/orders", json=order_body(unknown), headers=staff.headers)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["type"].endswith("/unprocessable")
    assert problem["errors"] == [
        {
            "loc": ["body", "customer_id"],
            "msg": "customer_id names no customer.",
            "type": "unprocessable",
        }
    ]
    assert unknown not in response.text


@pytest.mark.anyio
async def test_an_invalid_cursor_is_located_in_the_query(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    await create_customer(client, staff.headers, customer_body())

    response = await client.get(
        "/api/v1/customers", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=staff.headers
    )

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["loc"] == ["query", "cursor"]
    assert error["type"] == "invalid_cursor"
    assert "bm90LWEtY3Vyc29y" not in error["msg"]
