"""Optimistic concurrency: versions as ETags, `If-Match` required for changes."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Header

from customer_registry.core.errors import PreconditionFailed, PreconditionRequired

_ENTITY_TAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')


_IF_MATCH_DESCRIPTION = (
    'The ETag of the version being changed, e.g. "3": 428 without it, 412 when it is stale.'
)
_IF_MATCH_MAX_LENGTH = 200

# A missing required header would be FastAPI's 422; here it is 428 (RFC 6585). So the header is
# validated as optional (`expected_version` answers 428) and left out of the generated document,
# and a route that needs it documents it as required with `openapi_extra=if_match_required()`.
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=_IF_MATCH_MAX_LENGTH,
        description=_IF_MATCH_DESCRIPTION,
        include_in_schema=False,
    ),
]


def if_match_required() -> dict[str, Any]:
    """The `openapi_extra` of a route that answers 428 without `If-Match`."""
    return {
        "parameters": [
            {
                "name": "If-Match",
                "in": "header",
                "required": True,
                "description": _IF_MATCH_DESCRIPTION,
                "schema": {
                    "type": "string",
                    "maxLength": _IF_MATCH_MAX_LENGTH,
                    "title": "If-Match",
                },
            }
        ]
    }


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int:
    """The version an `If-Match` header names: 428 without one, 412 for one that cannot match."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "Send If-Match with the ETag of the version you read, so that no change is lost."
        )
    tags = [tag.strip() for tag in if_match.split(",")]
    versions = []
    for tag in tags:
        match = _ENTITY_TAG.match(tag)
        if match is None:
            raise PreconditionFailed('If-Match must name the ETag of a version, e.g. "3".')
        versions.append(int(match.group(1)))
    if len(set(versions)) != 1:
        raise PreconditionFailed("If-Match must name exactly one version.")
    return versions[0]
