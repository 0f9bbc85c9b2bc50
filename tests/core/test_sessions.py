"""Which session a route gets is its own declaration: reads may ask for a read session."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from customer_registry.core.database import open_read_session

pytestmark = pytest.mark.anyio

# A POST that only reads: the address is in the body, never in a URL.
READS_BY_POST = {"/api/v1/customers/lookup"}


def read_session_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) of every route that declares a read session."""
    return {
        (method, re.sub(r":\w+}", "}", context.path))
        for context in iter_route_contexts(app.router.routes)
        if isinstance(route := context.original_route, APIRoute)
        and any(declared.dependency is open_read_session for declared in route.dependencies)
        for method in route.methods
    }


async def test_only_reads_run_in_read_sessions(app: FastAPI) -> None:
    routes = read_session_routes(app)

    assert ("GET", "/api/v1/customers/{customer_id}") in routes
    assert ("GET", "/api/v1/billing/invoices") in routes
    writes = {
        (method, path)
        for method, path in routes
        if method not in {"GET", "HEAD"} and path not in READS_BY_POST
    }
    assert writes == set()
