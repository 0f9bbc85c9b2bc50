"""The OpenAPI document: committed copy is current, every route is documented."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from customer_registry.cli import openapi_document

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
