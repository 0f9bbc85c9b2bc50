"""The OpenAPI document: committed copy is current, every route is documented."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from customer_registry.cli import openapi_document
from tests.conftest import Staff, customer_body
from tests.helpers import create_customer

COMMITTED = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def test_committed_document_is_current() -> None:
    # The command itself, in a process of its own: what `customer-registry openapi` prints.
    printed = subprocess.run(
        [sys.executable, "-m", "customer_registry", "openapi"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("CUSTOMER_REGISTRY_")},
    ).stdout
    assert COMMITTED.read_text(encoding="utf-8") == printed, (
        "openapi/openapi.json is stale: run `customer-registry openapi -o openapi/openapi.json`"
    )


def test_every_operation_has_summary_tags_and_documented_errors() -> None:
    document = json.loads(openapi_document())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation.get("tags"), where
            responses = operation["responses"]
            success = [code for code in responses if code.startswith("2")]
            assert success, where
            for code, response in responses.items():
                if path.startswith("/api/") and not code.startswith("2"):
                    assert "application/problem+json" in response["content"], (where, code)
            if operation.get("security") or operation.get("parameters"):
                assert "422" in responses or not operation.get("parameters"), where
            if operation.get("security"):
                assert "401" in responses, where


def test_security_schemes_are_documented() -> None:
    document = json.loads(openapi_document())
    schemes = document["components"]["securitySchemes"]
    assert any(scheme["type"] == "oauth2" for scheme in schemes.values())
    secured = document["paths"]["/api/v1/customers"]["get"]["security"]
    assert secured


@pytest.mark.anyio
async def test_if_match_is_documented_as_required_where_a_missing_one_is_428(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    document = (await client.get("/openapi.json")).json()
    customer = await create_customer(client, staff.headers, customer_body())
    path = f"/api/v1/customers/{customer['id']}"

    needing = {}
    for route, operations in document["paths"].items():
        for method, operation in operations.items():
            headers = [p for p in operation.get("parameters", []) if p["name"] == "If-Match"]
            if "428" in operation["responses"] or headers:
                needing[f"{method.upper()} {route}"] = [h["required"] for h in headers]
    missing = await client.patch(path, json={"last_name": "B"}, headers=staff.headers)
    too_long = await client.patch(
        path, json={"last_name": "B"}, headers={**staff.headers, "If-Match": '"1"' * 100}
    )

    assert {
        "PATCH /api/v1/customers/{customer_id}",
        "POST /api/v1/orders/{order_id}/status",
        "POST /api/v1/orders/{order_id}/invoice-status",
        "PATCH /api/v1/recipients/{recipient_id}",
    } <= set(needing)
    assert {route: [True] for route in needing} == needing
    assert missing.status_code == 428
    assert missing.headers["content-type"] == "application/problem+json"
    assert too_long.status_code == 422
