"""The OpenAPI document: committed copy is current, every route is documented."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from customer_registry.cli import openapi_document
from tests.factories import Staff, create_customer, customer_body

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


def test_operation_ids_are_unique_method_names() -> None:
    document = json.loads(openapi_document())
    ids = [
        operation["operationId"]
        for operations in document["paths"].values()
        for operation in operations.values()
    ]

    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) and "api_v1" not in name for name in ids)
    assert "create_customer" in ids
    assert "portability_archive" in ids


def test_a_generated_client_keeps_every_operation_and_type_checks(tmp_path: Path) -> None:
    """The client an integrator generates with openapi-python-client passes strict mypy."""
    root = COMMITTED.parent
    package = tmp_path / "registry_client"
    generated = subprocess.run(  # noqa: S603 - the generator from the test dependencies
        [
            str(Path(sys.executable).with_name("openapi-python-client")),
            "generate",
            "--path",
            str(COMMITTED),
            "--config",
            str(root / "client-config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(package),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=tmp_path,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout + generated.stderr, generated.stdout
    modules = {path.stem for path in (package / "api").glob("*/*.py")}
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    operations = {
        operation["operationId"]
        for operations in document["paths"].values()
        for operation in operations.values()
    }
    assert operations <= modules
    archive = (package / "api" / "gdpr_requests" / "portability_archive.py").read_text()
    assert "File(payload=BytesIO(response.content))" in archive

    # The generator's fixed client.py passes `*args: object` to httpx's typed __exit__: its
    # own template, not this document, so that one error code is allowed in that one module.
    (tmp_path / "mypy.ini").write_text(
        "[mypy]\nstrict = True\n\n[mypy-registry_client.client]\ndisable_error_code = arg-type\n",
        encoding="utf-8",
    )
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "registry_client"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=tmp_path,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _examples(media: dict[str, Any], components: dict[str, Any]) -> list[Any]:
    """The examples of a media type: its own, or its schema's (through a reference)."""
    if "example" in media:
        return [media["example"]]
    if "examples" in media:
        return [example["value"] for example in media["examples"].values()]
    schema = media.get("schema", {})
    for option in [schema, *schema.get("anyOf", [])]:
        if "$ref" in option:
            return list(components[option["$ref"].rsplit("/", 1)[-1]].get("examples", []))
    return list(schema.get("examples", []))


def test_every_operation_with_a_body_has_request_and_response_examples() -> None:
    document = json.loads(openapi_document())
    components = document["components"]["schemas"]
    missing = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "requestBody" not in operation:
                continue
            successes = [
                (content_type, media)
                for code, response in operation["responses"].items()
                if code.startswith("2")
                for content_type, media in response.get("content", {}).items()
            ]
            for content_type, media in [*operation["requestBody"]["content"].items(), *successes]:
                if not _examples(media, components):
                    missing.append((method.upper(), path, content_type))

    assert missing == []


def _models(cls: type[BaseModel]) -> list[type[BaseModel]]:
    return [cls, *(model for sub in cls.__subclasses__() for model in _models(sub))]


def test_every_example_is_valid_for_its_model() -> None:
    """Checked on the models: the document drops the example's nulls, as it drops all."""
    openapi_document()  # imports every schema
    checked = []
    for model in _models(BaseModel):
        if not model.__module__.startswith("customer_registry."):
            continue
        extra = model.model_config.get("json_schema_extra")
        if not isinstance(extra, dict):
            continue
        for example in extra.get("examples", []):
            model.model_validate(example)
            checked.append(model.__name__)

    assert len(checked) >= 28
